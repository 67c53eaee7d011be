/**
 * End to end: examples/remove-background.json imported into a REAL n8n 2.8.4 that loads our PACKED package
 * from <userFolder>/.n8n/nodes (installed the way n8n's community installer does it), executed with
 * `n8n execute --id`, on synthetic photos with a known object. Asserts on the files the workflow wrote.
 *
 * Run: npm run test:e2e   (= npm run build && jest -c jest.e2e.config.js)
 */
import * as path from 'node:path';

import { expectCutout, expectExecutionSucceeded, expectMask, expectRemoveBackgroundItem } from './checks';
import { disposeFolderRun, runFolderExample, sceneOfItem, type FolderRun } from './fixtures';
import { REPO_ROOT, nodeItems, type ExecutionResult } from './n8n';
import { DEFAULT_SCENES, type Scene } from './scenes';

const describeE2e = process.env.CUTOUT_E2E ? describe : describe.skip;
const EXAMPLE = path.join(REPO_ROOT, 'examples', 'remove-background.json');

describeE2e('examples/remove-background.json in real n8n', () => {
	let run: FolderRun;
	let scenes: Scene[];
	let result: ExecutionResult;
	let outputDir: string;

	beforeAll(async () => {
		run = await runFolderExample(EXAMPLE, DEFAULT_SCENES, 'folder');
		({ scenes, result, outputDir } = run);
	}, 20 * 60_000);

	afterAll(async () => {
		await disposeFolderRun(run);
	});

	it('executes successfully', () => {
		expectExecutionSucceeded(result);
	});

	it('runs Remove Background once per image, with its json fields', () => {
		const items = nodeItems(result.execution, 'Remove Background');
		expect(items).toHaveLength(scenes.length);
		for (const item of items) expectRemoveBackgroundItem(item, sceneOfItem(scenes, item));
	});

	describe.each(DEFAULT_SCENES.map((s) => [s.name]))('%s', (name) => {
		const scene = () => scenes.find((s) => s.spec.name === name)!;

		it('cutout: RGBA PNG with the input size, alpha matches the object', async () => {
			await expectCutout(path.join(outputDir, `${name}.png`), scene());
		});

		it('mask: 1-channel PNG with the input size, IoU >= 0.9 against the drawn object', async () => {
			await expectMask(path.join(outputDir, `${name}.mask.png`), scene());
		});
	});
});
