/**
 * End to end: examples/remove-background-then-inpaint.json in a REAL n8n 2.8.4 with our PACKED package,
 * offline (embedded ISNet, Patch Fill), on lossless generated scenes:
 *
 *   Read Images ─┬─ Remove Background ─┬─ Write Cutout                       <name>.cutout.png
 *                │                     └─ Erase Subject (Inpaint, auto-subject) ─ Write Erased    <name>.erased.png
 *                └─ Alpha Matte ─ Erase Matte Region (Inpaint, mask = the matte) ─ Write Matte Erased
 *
 * Both Inpaint nodes emit the region they filled (after dilation) as `erasedRegion` on the same item; the
 * test reads it from n8n's binary-data folder and checks the written image against the input with it:
 * byte-identical outside, the drawn object inside and erased (now background-coloured).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { expectCutout, expectErased, expectExecutionSucceeded, expectGrownBy } from './checks';
import { disposeFolderRun, runFolderExample, sceneOfItem, type FolderRun } from './fixtures';
import { REPO_ROOT, nodeExecutionMs, nodeItems, type N8nItem } from './n8n';
import { DEFAULT_SCENES, type Scene } from './scenes';

const describeE2e = process.env.CUTOUT_E2E ? describe : describe.skip;
const EXAMPLE = path.join(REPO_ROOT, 'examples', 'remove-background-then-inpaint.json');
/** Byte-identity is checked on decoded pixels, so the inputs are PNGs (a JPEG would do as long as both sides decode it alike). */
const SCENES = DEFAULT_SCENES.filter((s) => s.format === 'png');
const DILATION = 8;

const stem = (fileName: string) => fileName.replace(/\.[^.]*$/, '');

describeE2e('examples/remove-background-then-inpaint.json in real n8n', () => {
	let run: FolderRun;

	beforeAll(async () => {
		run = await runFolderExample(EXAMPLE, SCENES, 'erase');
	}, 20 * 60_000);

	afterAll(async () => {
		await disposeFolderRun(run);
	});

	/** The items of `node`, one per scene, keyed by scene name. */
	function itemsByScene(node: string): Map<string, N8nItem> {
		const items = nodeItems(run.result.execution, node);
		expect(items).toHaveLength(SCENES.length);
		return new Map(items.map((item) => [sceneOfItem(run.scenes, item).spec.name, item]));
	}

	it('executes successfully and writes three images per input', () => {
		expectExecutionSucceeded(run.result);
		const expected = run.scenes.flatMap((s) => ['cutout', 'erased', 'matte-erased'].map((kind) => `${stem(s.fileName)}.${kind}.png`));
		expect(fs.readdirSync(run.outputDir).sort()).toEqual(expected.sort());
		const nodes = ['Remove Background', 'Erase Subject', 'Alpha Matte', 'Erase Matte Region'];
		const seconds = nodes.map((node) => `${node} ${((nodeExecutionMs(run.result.execution, node) ?? NaN) / 1000).toFixed(1)} s`);
		console.log(`${SCENES.length} images in ${(run.result.ms / 1000).toFixed(1)} s (n8n execute): ${seconds.join(', ')}`);
	});

	it('Erase Subject ran in auto-subject mode, Erase Matte Region on the matte, both with Patch Fill', () => {
		for (const [node, mode] of [
			['Erase Subject', 'subject'],
			['Erase Matte Region', 'mask'],
		] as const) {
			for (const [name, item] of itemsByScene(node)) {
				const scene = SCENES.find((s) => s.name === name)!;
				expect(item.json).toMatchObject({ width: scene.width, height: scene.height, mode, model: 'patch', engine: 'local' });
				expect(item.json.warning).toBeUndefined();
				// the upstream binaries stay; the fill and its region are added under the example's field names
				expect(Object.keys(item.binary ?? {})).toEqual(expect.arrayContaining(['data', 'mask', 'erased', 'erasedRegion']));
			}
		}
		for (const item of itemsByScene('Erase Subject').values()) expect(item.json.subjectModel).toBe('isnet-general-fp16');
	});

	describe.each(SCENES.map((s) => [s.name]))('%s', (name) => {
		const scene = (): Scene => run.scenes.find((s) => s.spec.name === name)!;
		const file = (kind: string) => path.join(run.outputDir, `${stem(scene().fileName)}.${kind}.png`);
		const region = (node: string) => run.n8n.readBinary(itemsByScene(node).get(name)!.binary!.erasedRegion);

		it('cutout: RGBA PNG with the input size, alpha matches the object', async () => {
			await expectCutout(file('cutout'), scene());
		});

		it('auto-subject: the input byte for byte outside the filled region, the object erased inside', async () => {
			const stats = await expectErased(file('erased'), region('Erase Subject'), scene());
			const json = itemsByScene('Erase Subject').get(name)!.json;
			expect(json.holeFraction).toBeCloseTo(stats.regionPixels / scene().truth.length, 3);
		});

		it('matte as the mask: the same, and the filled region is the matte grown by the dilation', async () => {
			const item = itemsByScene('Erase Matte Region').get(name)!;
			const filled = region('Erase Matte Region');
			const stats = await expectErased(file('matte-erased'), filled, scene());
			expect(item.json.holeFraction).toBeCloseTo(stats.regionPixels / scene().truth.length, 3);
			// Alpha Matte's own `mask` stays on the item next to the region Inpaint made of it
			await expectGrownBy(filled, run.n8n.readBinary(item.binary!.mask), DILATION);
		});
	});
});
