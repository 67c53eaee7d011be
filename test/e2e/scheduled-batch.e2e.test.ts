/**
 * End to end: examples/scheduled-batch.json (Schedule Trigger "every day at 03:00" + Manual Trigger →
 * Settings → Read Images → Sort by File Name → Remove Background → Write Cutout / Write Mask) in a REAL
 * n8n 2.8.4 with our PACKED package.
 *
 *  1. `n8n execute --id` on 20 generated images. n8n 2.8.4's `execute` refuses a workflow that has neither
 *     an Execute Workflow Trigger nor a Manual Trigger, which is why the example carries a Manual Trigger
 *     next to its Schedule Trigger, on the same chain. Given one, it starts at the FIRST trigger in the
 *     workflow's node list (Workflow.getStartNode), here the Schedule Trigger; in a `cli` execution a
 *     trigger node does not run its own code (n8n-core executeTriggerNode), it passes one empty item on.
 *     All 20 outputs, in input order, right sizes, masks with IoU >= 0.9.
 *  2. The same file without its Manual Trigger is refused by `n8n execute` ("Missing node to start execution").
 *  3. Published and served by `n8n start`, the Schedule Trigger itself runs the chain (its rule is set to
 *     every 20 seconds on a copy, with a 2-image folder, so the test need not wait for 03:00).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { expectCutout, expectExecutionSucceeded, expectMask, expectRemoveBackgroundItem } from './checks';
import { sleep } from './daemons';
import { disposeFolderRun, runFolderExample, type FolderRun } from './fixtures';
import { REPO_ROOT, nodeItems, type ExecutionResult, type N8n } from './n8n';
import { readImage, sceneSeries, writeScenes, type Scene } from './scenes';

const describeE2e = process.env.CUTOUT_E2E ? describe : describe.skip;
const EXAMPLE = path.join(REPO_ROOT, 'examples', 'scheduled-batch.json');
const SCHEDULE = 'Every Day at 03:00';
const MANUAL = 'Run Now';
const BATCH_SIZE = 20;

const stem = (fileName: string) => fileName.replace(/\.[^.]*$/, '');

describeE2e('examples/scheduled-batch.json in real n8n', () => {
	let run: FolderRun;
	let workDir: string;
	let inputDir: string;
	let outputDir: string;
	let n8n: N8n;
	let scenes: Scene[];
	let result: ExecutionResult;

	beforeAll(async () => {
		run = await runFolderExample(EXAMPLE, sceneSeries('batch', BATCH_SIZE), 'batch');
		({ workDir, inputDir, outputDir, n8n, scenes, result } = run);
	}, 20 * 60_000);

	afterAll(async () => {
		await disposeFolderRun(run);
	});

	it('`n8n execute` runs the chain, started at the first trigger in the node list (the schedule)', () => {
		expectExecutionSucceeded(result);
		const ran = Object.keys(result.execution.data.resultData.runData);
		expect(ran).toContain(SCHEDULE);
		expect(ran).not.toContain(MANUAL);
		expect(nodeItems(result.execution, SCHEDULE).map((i) => i.json)).toEqual([{}]);
	});

	it(`processes all ${BATCH_SIZE} images in input (file-name) order through every node`, () => {
		const names = scenes.map((s) => s.fileName);
		expect(names).toEqual([...names].sort());
		// the folder listing comes in directory order: the same files, in whatever order
		expect(nodeItems(result.execution, 'Read Images').map((i) => i.json.fileName).sort()).toEqual(names);
		expect(nodeItems(result.execution, 'Sort by File Name').map((i) => i.json.fileName)).toEqual(names);
		const removed = nodeItems(result.execution, 'Remove Background');
		expect(removed).toHaveLength(BATCH_SIZE);
		// item i is scene i: its size, foreground fraction and file name
		removed.forEach((item, i) => expectRemoveBackgroundItem(item, scenes[i]));
		expect(nodeItems(result.execution, 'Write Cutout').map((i) => i.json.fileName)).toEqual(names.map((n) => path.join(outputDir, `${stem(n)}.png`)));
		expect(nodeItems(result.execution, 'Write Mask').map((i) => i.json.fileName)).toEqual(names.map((n) => path.join(outputDir, `${stem(n)}.mask.png`)));
	});

	it(`writes exactly ${BATCH_SIZE} cutouts and ${BATCH_SIZE} masks: input sizes, alpha and mask IoU >= 0.9`, async () => {
		const expected = scenes.flatMap((s) => [`${stem(s.fileName)}.png`, `${stem(s.fileName)}.mask.png`]).sort();
		expect(fs.readdirSync(outputDir).sort()).toEqual(expected);
		for (const scene of scenes) {
			await expectCutout(path.join(outputDir, `${stem(scene.fileName)}.png`), scene);
			await expectMask(path.join(outputDir, `${stem(scene.fileName)}.mask.png`), scene);
		}
	});

	it('without its Manual Trigger, `n8n execute` refuses the workflow (why the example has both triggers)', async () => {
		const { id } = await n8n.importWorkflow(EXAMPLE, {
			settings: { inputFolder: inputDir, outputFolder: outputDir },
			patch: (wf) => {
				wf.id = 'cutoutBatchNoManual';
				wf.nodes = wf.nodes.filter((n: any) => n.name !== MANUAL);
				delete wf.connections[MANUAL];
			},
		});
		const refused = await n8n.executeWorkflow(id);
		expect(refused.status).toBe('error');
		expect(refused.exitCode).not.toBe(0);
		expect(`${refused.error}\n${refused.stdout}\n${refused.stderr}`).toMatch(/Missing node to start execution/);
	});

	it('published, the Schedule Trigger runs the same chain in `n8n start`', async () => {
		const nightIn = path.join(workDir, 'night-inbox');
		const nightOut = path.join(workDir, 'night-cutouts');
		fs.mkdirSync(nightOut, { recursive: true });
		const night = await writeScenes(nightIn, sceneSeries('night', 2, 500));
		const { id } = await n8n.importWorkflow(EXAMPLE, {
			settings: { inputFolder: nightIn, outputFolder: nightOut },
			patch: (wf) => {
				wf.id = 'cutoutBatchLive';
				// every 20 s instead of daily at 03:00 (cron "*/20 * * * * *")
				wf.nodes.find((n: any) => n.name === SCHEDULE).parameters.rule = { interval: [{ field: 'seconds', secondsInterval: 20 }] };
			},
		});
		await n8n.publishWorkflow(id);
		const t0 = Date.now();
		await n8n.startN8n();
		const files = night.flatMap((s) => [`${stem(s.fileName)}.png`, `${stem(s.fileName)}.mask.png`]).map((f) => path.join(nightOut, f));
		try {
			// the masks are written last; a file that exists but does not decode yet is still being written
			const done = async () => (await Promise.all(files.map((f) => readImage(f).then(() => true, () => false)))).every(Boolean);
			while (!(await done())) {
				if (Date.now() - t0 > 120_000) throw new Error(`no scheduled run finished within 120 s\n${n8n.serverLog.slice(-3000)}`);
				await sleep(500);
			}
		} finally {
			await n8n.stop();
		}
		expect(n8n.serverLog).toMatch(/Activated workflow .*\(ID: cutoutBatchLive\)/);
		for (const scene of night) {
			await expectCutout(path.join(nightOut, `${stem(scene.fileName)}.png`), scene);
			await expectMask(path.join(nightOut, `${stem(scene.fileName)}.mask.png`), scene);
		}
	});
});
