/**
 * End to end: examples/fal-remove-background.json (Remove Background on the fal.ai engine, queue mode) in
 * a REAL n8n 2.8.4 with our PACKED package, against the loopback fal mock (test/mocks/fal.ts) running in
 * this jest process: real HTTP over 127.0.0.1, the key injected by n8n's httpRequestWithAuthentication
 * from a `falApi` credential imported with `n8n import:credentials` (n8n encrypts it with the user
 * folder's key). The example is imported unchanged: the test's credential carries the id and name the
 * example's node references.
 *
 * The mock's "model" cuts out pixels whose blue channel is below 80 (test/mocks/toyModels.ts), so the
 * scenes here have warm objects on the usual beige background, and the cutouts can be checked against
 * the drawn object like the local engine's.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { falMock, type FalMockState } from '../mocks/fal';
import { faults, type MockProviderServer, type MockRequest } from '../mocks/server';
import { expectCutout, expectExecutionSucceeded, expectMask } from './checks';
import { disposeFolderRun, runFolderExample, sceneOfItem, type FolderRun } from './fixtures';
import { REPO_ROOT, nodeItems, type CredentialImport, type ExecutionResult } from './n8n';
import { writeScenes, type SceneSpec } from './scenes';

const describeE2e = process.env.CUTOUT_E2E ? describe : describe.skip;
const EXAMPLE = path.join(REPO_ROOT, 'examples', 'fal-remove-background.json');
const NODE = 'Remove Background (fal.ai)';
const SCENES: SceneSpec[] = [
	{ name: 'orange-disc', width: 640, height: 480, shape: 'disc', colour: [236, 112, 28], format: 'png', seed: 31 },
	{ name: 'yellow-egg', width: 360, height: 540, shape: 'ellipse', colour: [230, 200, 30], format: 'jpeg', seed: 32 },
];
/** Random per run, so a match anywhere can only be a leak of this credential. */
const KEY = `fal-e2e-${randomBytes(16).toString('hex')}`;
const WRONG_KEY = `fal-e2e-wrong-${randomBytes(16).toString('hex')}`;

const SUBMIT = /^\/fal-ai\/birefnet\/v2$/;
const STATUS = /^\/fal-ai\/birefnet\/requests\/([\w-]+)\/status$/;
const RESULT = /^\/fal-ai\/birefnet\/requests\/([\w-]+)$/;
const FILE = /^\/files\/([\w-]+)\/(cutout|mask)\.png$/;

/** The credential the example's node references (id and name), as n8n exports it. */
function exampleCredential(): { id: string; name: string } {
	const workflow = JSON.parse(fs.readFileSync(EXAMPLE, 'utf8'));
	return workflow.nodes.find((n: any) => n.name === NODE).credentials.falApi;
}

function falCredential(ref: { id: string; name: string }, apiKey: string, baseUrl: string): CredentialImport {
	return { ...ref, type: 'falApi', data: { apiKey, baseUrl, syncBaseUrl: `${baseUrl}/sync` } };
}

const everything = (result: ExecutionResult) => `${result.stdout}\n${result.stderr}\n${JSON.stringify(result.execution ?? null)}`;

describeE2e('examples/fal-remove-background.json in real n8n, against the loopback fal mock', () => {
	let mock: MockProviderServer & { fal: FalMockState };
	let run: FolderRun;
	/** Requests of the successful run (later tests add their own). */
	let requests: MockRequest[];

	beforeAll(async () => {
		mock = await falMock(KEY).start();
		run = await runFolderExample(EXAMPLE, SCENES, 'fal', {
			prepare: (n8n) => n8n.importCredentials([falCredential(exampleCredential(), KEY, mock.baseUrl)]),
		});
		requests = [...mock.requests];
	}, 20 * 60_000);

	afterAll(async () => {
		await disposeFolderRun(run);
		await mock?.stop();
	});

	it('executes successfully: one fal job per image, with its request id and metrics', () => {
		expectExecutionSucceeded(run.result);
		const items = nodeItems(run.result.execution, NODE);
		expect(items).toHaveLength(SCENES.length);
		for (const item of items) {
			const { spec } = sceneOfItem(run.scenes, item);
			expect(item.json).toMatchObject({
				width: spec.width,
				height: spec.height,
				engine: 'fal',
				provider: 'fal.ai',
				providerRequestId: expect.stringMatching(/^req-\d+$/),
				providerMeta: { inferenceSeconds: 0.42 },
			});
			expect(Object.keys(item.binary ?? {}).sort()).toEqual(['data', 'image', 'mask']);
		}
	});

	it('speaks the queue protocol: submit → status until COMPLETED → result → result file, nothing synchronous', () => {
		const submits = requests.filter((r) => SUBMIT.test(r.path));
		expect(submits.map((r) => r.method)).toEqual(SCENES.map(() => 'POST'));
		expect(requests.filter((r) => r.path.startsWith('/sync/'))).toEqual([]);
		for (const submit of submits) {
			const body = submit.json as Record<string, unknown>;
			expect(body).toMatchObject({ model: 'General Use (Light)', operating_resolution: '1024x1024', output_mask: true });
			expect(String(body.image_url)).toMatch(/^data:image\/(png|jpeg);base64,/);
		}
		const ids = nodeItems(run.result.execution, NODE).map((item) => item.json.providerRequestId as string);
		for (const id of ids) {
			const of = (pattern: RegExp) => requests.map((r, i) => ({ r, i })).filter(({ r }) => pattern.exec(r.path)?.[1] === id);
			const statuses = of(STATUS);
			const [result] = of(RESULT);
			const files = of(FILE);
			// the mock answers IN_QUEUE, then IN_PROGRESS, then COMPLETED
			expect(statuses.length).toBeGreaterThanOrEqual(3);
			expect(of(RESULT)).toHaveLength(1);
			// Include Mask is on, so output_mask is sent and fal's mask is fetched next to the cutout
			expect(files.map(({ r }) => FILE.exec(r.path)?.[2]).sort()).toEqual(['cutout', 'mask']);
			expect(statuses.every(({ r }) => r.method === 'GET')).toBe(true);
			expect(Math.max(...statuses.map(({ i }) => i))).toBeLessThan(result.i);
			expect(result.i).toBeLessThan(Math.min(...files.map(({ i }) => i)));
		}
	});

	it('sends `Authorization: Key <key>` to the queue host, and no key to the file host', () => {
		for (const request of requests) {
			const expected = FILE.test(request.path) ? undefined : `Key ${KEY}`;
			expect([request.path, request.headers.authorization]).toEqual([request.path, expected]);
		}
	});

	it('writes an RGBA PNG cutout and a mask per image, at the input size, matching the object', async () => {
		for (const scene of run.scenes) {
			const stem = scene.fileName.replace(/\.[^.]*$/, '');
			await expectCutout(path.join(run.outputDir, `${stem}.png`), scene);
			await expectMask(path.join(run.outputDir, `${stem}.mask.png`), scene);
		}
	});

	it('keeps the key out of the execution JSON, stdout and stderr, and stores it only encrypted', () => {
		expect(everything(run.result)).not.toContain(KEY);
		// everything n8n wrote: database (and its WAL), config, event log, binary data; not the installed package
		const installed = path.join(run.n8n.userFolder, '.n8n', 'nodes');
		const files = fs
			.readdirSync(run.n8n.userFolder, { recursive: true, withFileTypes: true })
			.filter((e) => e.isFile() && !e.parentPath.startsWith(installed))
			.map((e) => path.join(e.parentPath, e.name));
		expect(files).toContainEqual(expect.stringMatching(/database\.sqlite$/));
		expect(files.filter((file) => fs.readFileSync(file).includes(KEY))).toEqual([]);
	});

	describe('failures, on one image', () => {
		let oneImageDir: string;

		beforeAll(async () => {
			oneImageDir = path.join(run.workDir, 'one');
			await writeScenes(oneImageDir, SCENES.slice(0, 1));
		});

		/** A copy of the example (own id) with its node on `credential`, executed on the one-image folder. */
		async function executeCopy(workflowId: string, credential: { id: string; name: string }): Promise<ExecutionResult> {
			const { id } = await run.n8n.importWorkflow(EXAMPLE, {
				settings: { inputFolder: oneImageDir, outputFolder: path.join(run.workDir, workflowId) },
				patch: (wf) => {
					wf.id = workflowId;
					wf.nodes.find((n: any) => n.name === NODE).credentials.falApi = credential;
				},
			});
			return await run.n8n.executeWorkflow(id);
		}

		it('a wrong key: the execution fails with "invalid API key", without retrying or echoing the key', async () => {
			const wrong = { id: 'falWrongKey', name: 'fal.ai wrong key' };
			await run.n8n.importCredentials([falCredential(wrong, WRONG_KEY, mock.baseUrl)]);
			const before = mock.requests.length;
			const result = await executeCopy('cutoutFalWrongKey', wrong);
			expect(result.status).toBe('error');
			expect(result.exitCode).not.toBe(0);
			expect(result.error).toMatch(/^orange-disc\.png: fal\.ai: invalid API key \(HTTP 401\): Invalid Key: Check the API key/);
			const sent = mock.requests.slice(before);
			// 401 is final: one submit, refused
			expect(sent.map((r) => [r.method, r.path, r.headers.authorization])).toEqual([['POST', '/fal-ai/birefnet/v2', `Key ${WRONG_KEY}`]]);
			expect(everything(result)).not.toContain(WRONG_KEY);
			expect(everything(result)).not.toContain(KEY);
		});

		it('a provider that echoes the key in its error: n8n shows the message with the key masked', async () => {
			mock.failNext(SUBMIT, faults.status(400, { detail: `Key ${KEY} is not allowed to run this model` }));
			const result = await executeCopy('cutoutFalKeyEchoed', exampleCredential());
			expect(result.status).toBe('error');
			expect(result.error).toMatch(/^orange-disc\.png: fal\.ai: request rejected \(HTTP 400\): Key \*\*\* is not allowed to run this model/);
			expect(everything(result)).not.toContain(KEY);
		});
	});
});
