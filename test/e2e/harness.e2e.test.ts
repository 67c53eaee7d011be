/**
 * Smoke test of the e2e harness itself with built-in n8n nodes only (no package needed): import + execute
 * a file-copy workflow, then publish + start + call a webhook. When this passes and the Cutout suites fail,
 * the problem is in our package, not in the n8n setup.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { N8n, ensureN8nInstalled, makeWorkDir, nodeItems, removeWorkDir } from './n8n';
import { drawScene, readImage } from './scenes';

const describeE2e = process.env.CUTOUT_E2E ? describe : describe.skip;
const WORKFLOWS = path.join(__dirname, 'workflows');

describeE2e('e2e harness on built-in nodes', () => {
	let workDir: string;
	let inputDir: string;
	let outputDir: string;
	let n8n: N8n;

	beforeAll(async () => {
		ensureN8nInstalled();
		workDir = makeWorkDir('harness');
		inputDir = path.join(workDir, 'in (1)');
		outputDir = path.join(workDir, 'out');
		fs.mkdirSync(inputDir, { recursive: true });
		fs.mkdirSync(outputDir, { recursive: true });
		n8n = await N8n.create({ userFolder: path.join(workDir, 'home'), allowedDirs: [inputDir, outputDir] });
	}, 15 * 60_000);

	afterAll(async () => {
		await n8n?.dispose();
		removeWorkDir(workDir);
	});

	it('imports and executes a workflow by id, parsing the execution JSON', async () => {
		const scene = await drawScene({ name: 'disc', width: 96, height: 64, shape: 'disc', colour: [200, 40, 40], format: 'png', seed: 7 });
		fs.writeFileSync(path.join(inputDir, scene.fileName), scene.encoded);
		const { id } = await n8n.importWorkflow(path.join(WORKFLOWS, 'copy-files.json'), {
			settings: { inputFolder: inputDir, outputFolder: outputDir },
		});
		const result = await n8n.executeWorkflow(id);
		expect(result.error).toBeUndefined();
		expect(result.status).toBe('success');
		const items = nodeItems(result.execution, 'Write Copy');
		expect(items.map((i) => i.json.fileName)).toEqual([path.join(outputDir, 'disc.copy.png')]);
		expect(fs.readFileSync(path.join(outputDir, 'disc.copy.png')).equals(scene.encoded)).toBe(true);
	});

	it('reports a failed execution (file outside the allowed folders) with status error', async () => {
		const secret = path.join(workDir, 'secret');
		fs.mkdirSync(secret);
		fs.writeFileSync(path.join(secret, 'a.png'), 'not allowed to read this');
		const { id } = await n8n.importWorkflow(path.join(WORKFLOWS, 'copy-files.json'), {
			settings: { inputFolder: secret, outputFolder: outputDir },
			patch: (wf) => {
				wf.id = 'cutoutE2eCopyDenied';
			},
		});
		const result = await n8n.executeWorkflow(id);
		expect(result.status).toBe('error');
		expect(result.exitCode).not.toBe(0);
		expect(result.error).toMatch(/not allowed/i);
	});

	it('publishes a webhook workflow, starts n8n and answers HTTP requests', async () => {
		const { id } = await n8n.importWorkflow(path.join(WORKFLOWS, 'echo-webhook.json'));
		await n8n.publishWorkflow(id);
		await n8n.startN8n();
		try {
			const png = (await drawScene({ name: 'x', width: 40, height: 30, shape: 'disc', colour: [0, 0, 255], format: 'png', seed: 1 })).encoded;
			const res = await fetch(`${n8n.baseUrl}/webhook/e2e-echo`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: png });
			expect(res.status).toBe(200);
			expect(res.headers.get('content-type')).toMatch(/^image\/png/);
			const body = Buffer.from(await res.arrayBuffer());
			expect(body.equals(png)).toBe(true);
			const file = path.join(workDir, 'echo.png');
			fs.writeFileSync(file, body);
			expect((await readImage(file)).width).toBe(40);
			const missing = await fetch(`${n8n.baseUrl}/webhook/nope`, { method: 'POST', body: 'x' });
			expect(missing.status).toBe(404);
		} finally {
			await n8n.stop();
		}
	});
});
