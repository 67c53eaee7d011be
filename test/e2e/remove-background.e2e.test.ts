/**
 * End to end: examples/remove-background.json imported into a REAL n8n 2.8.4 that loads our PACKED package
 * from <userFolder>/.n8n/nodes (installed the way n8n's community installer does it), executed with
 * `n8n execute --id`, on synthetic photos with a known object. Asserts on the files the workflow wrote.
 *
 * Run: npm run test:e2e   (= npm run build && jest -c jest.e2e.config.js)
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { N8n, REPO_ROOT, ensureN8nInstalled, nodeItems, type ExecutionResult, type N8nItem } from './n8n';
import { DEFAULT_SCENES, maskIoU, readImage, writeScenes, type Scene } from './scenes';

const describeE2e = process.env.CUTOUT_E2E ? describe : describe.skip;
const EXAMPLE = path.join(REPO_ROOT, 'examples', 'remove-background.json');

describeE2e('examples/remove-background.json in real n8n', () => {
	let workDir: string;
	let inputDir: string;
	let outputDir: string;
	let n8n: N8n;
	let scenes: Scene[];
	let result: ExecutionResult;

	beforeAll(async () => {
		if (!fs.existsSync(path.join(REPO_ROOT, 'dist', 'nodes', 'RemoveBackground', 'RemoveBackground.node.js'))) {
			throw new Error('dist/ is not built: run `npm run build` (npm run test:e2e does)');
		}
		ensureN8nInstalled();
		workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cutout-e2e-'));
		inputDir = path.join(workDir, 'input');
		outputDir = path.join(workDir, 'output');
		fs.mkdirSync(outputDir, { recursive: true });
		scenes = await writeScenes(inputDir, DEFAULT_SCENES);

		n8n = await N8n.create({
			userFolder: path.join(workDir, 'home'),
			allowedDirs: [inputDir, outputDir],
			// share the prepared model between runs instead of rebuilding it in every fresh user folder
			env: { CUTOUT_MODELS_DIR: process.env.CUTOUT_MODELS_DIR ?? path.join(REPO_ROOT, '.e2e', 'cutout-models') },
		});
		n8n.installPackage();
		const { id } = await n8n.importWorkflow(EXAMPLE, { settings: { inputFolder: inputDir, outputFolder: outputDir } });
		result = await n8n.executeWorkflow(id);
	}, 20 * 60_000);

	afterAll(async () => {
		await n8n?.dispose();
		if (workDir && !process.env.E2E_KEEP) fs.rmSync(workDir, { recursive: true, force: true });
	});

	it('executes successfully', () => {
		if (result.status !== 'success') {
			throw new Error(`status ${result.status}, exit ${result.exitCode}: ${result.error}\n${result.stdout.slice(-4000)}${result.stderr.slice(-4000)}`);
		}
		expect(result.exitCode).toBe(0);
	});

	it('runs Remove Background once per image, with its json fields', () => {
		const items = nodeItems(result.execution, 'Remove Background');
		expect(items).toHaveLength(scenes.length);
		for (const item of items) {
			const scene = sceneOf(item);
			expect(item.json).toMatchObject({ width: scene.spec.width, height: scene.spec.height, engine: 'local' });
			expect(typeof item.json.model).toBe('string');
			for (const k of ['decodeMs', 'inferMs', 'refineMs', 'encodeMs']) expect(typeof item.json.timings?.[k]).toBe('number');
			expect(Math.abs(item.json.foregroundFraction - scene.truthFraction)).toBeLessThan(0.05);
			expect(item.json.subjectBox).toBeTruthy();
			// the input binary is kept, the two outputs are added
			expect(Object.keys(item.binary ?? {}).sort()).toEqual(['data', 'image', 'mask']);
			expect(item.binary!.image.mimeType).toBe('image/png');
			expect(item.binary!.mask.mimeType).toBe('image/png');
		}
	});

	describe.each(DEFAULT_SCENES.map((s) => [s.name]))('%s', (name) => {
		const scene = () => scenes.find((s) => s.spec.name === name)!;

		it('cutout: RGBA PNG with the input size, alpha matches the object', async () => {
			const file = path.join(outputDir, `${name}.png`);
			expect(fs.existsSync(file)).toBe(true);
			const img = await readImage(file);
			expect(img.format).toBe('png');
			expect([img.width, img.height]).toEqual([scene().spec.width, scene().spec.height]);
			expect(img.fileChannels).toBe(4);
			expect(maskIoU(img.data, img.channels, 3, scene().truth)).toBeGreaterThanOrEqual(0.9);
		});

		it('mask: 1-channel PNG with the input size, IoU >= 0.9 against the drawn object', async () => {
			const file = path.join(outputDir, `${name}.mask.png`);
			expect(fs.existsSync(file)).toBe(true);
			const img = await readImage(file);
			expect(img.format).toBe('png');
			expect([img.width, img.height]).toEqual([scene().spec.width, scene().spec.height]);
			expect(img.fileChannels).toBe(1);
			const iou = maskIoU(img.data, img.channels, 0, scene().truth);
			expect(iou).toBeGreaterThanOrEqual(0.9);
		});
	});

	function sceneOf(item: N8nItem): Scene {
		const fileName = item.binary?.data?.fileName ?? item.json.fileName;
		const scene = scenes.find((s) => s.fileName === fileName);
		if (!scene) throw new Error(`unexpected item for file ${fileName}`);
		return scene;
	}
});
