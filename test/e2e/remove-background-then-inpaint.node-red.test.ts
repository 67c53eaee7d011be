/**
 * The Node-RED real run: node-red/ packed with `npm pack`, the tarball installed into a fresh Node-RED user
 * directory as the palette manager installs modules, and a REAL Node-RED 4.1 started headless on the example
 * flow (node-red/examples/remove-background-then-inpaint.json): File In (a generated photo) → Remove Background
 * (cutout to msg.image) → Inpaint (erases the subject via msg.mask) → File Out, the cutout written too. Also a
 * file that is no image, whose error must reach the Catch node with its code.
 *
 * Run: npm run test:node-red   (= npm run build:node-red && jest -c jest.node-red.config.js)
 * Env: E2E_KEEP=1 keeps the work folder; NODE_RED_VERBOSE=1 prints Node-RED's output.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { expectCutout, expectErased } from './checks';
import { makeWorkDir, removeWorkDir } from './n8n';
import { installIntoUserDir, NODE_RED_PACKAGE_DIR, NODE_RED_VERSION, NodeRed, packNodeRedPackage, tarballFiles } from './nodeRed';
import { drawScene, readImage, type Scene } from './scenes';

const describeNodeRed = process.env.CUTOUT_NODE_RED ? describe : describe.skip;
const EXAMPLE = path.join(NODE_RED_PACKAGE_DIR, 'examples', 'remove-background-then-inpaint.json');

type FlowNode = Record<string, unknown> & { id: string; type: string; wires?: string[][] };

/**
 * The example flow, pointed at files in `io` and started once, plus: the region Inpaint filled written
 * beside its output, a second inject reading a file that is no image, and the Catch node's msg.error
 * appended to errors.jsonl.
 */
function flowFor(io: string): FlowNode[] {
	const flow: FlowNode[] = JSON.parse(fs.readFileSync(EXAMPLE, 'utf8'));
	const byId = (id: string) => flow.find((node) => node.id === id)!;
	const fileOut = (id: string, filename: string, append = false): FlowNode => ({
		id,
		type: 'file',
		z: 'cutout_tab',
		filename: path.join(io, filename),
		filenameType: 'str',
		appendNewline: append,
		createDir: true,
		overwriteFile: append ? 'false' : 'true',
		encoding: 'none',
		wires: [[]],
	});
	Object.assign(byId('cutout_start'), { once: true });
	byId('cutout_read').filename = path.join(io, 'photo.png');
	byId('cutout_writeCutout').filename = path.join(io, 'photo.cutout.png');
	byId('cutout_writeErased').filename = path.join(io, 'photo.erased.png');
	byId('cutout_inpaint').wires = [['cutout_writeErased', 'run_regionToPayload']];
	byId('cutout_catch').wires = [['cutout_errors', 'run_errorToPayload']];
	return [
		...flow,
		{ id: 'run_regionToPayload', type: 'change', z: 'cutout_tab', rules: [{ t: 'move', p: 'mask', pt: 'msg', to: 'payload', tot: 'msg' }], wires: [['run_writeRegion']] },
		fileOut('run_writeRegion', 'photo.region.png'),
		{ id: 'run_startBad', type: 'inject', z: 'cutout_tab', props: [{ p: 'payload' }], once: true, onceDelay: 0.5, repeat: '', wires: [['run_readBad']] },
		{ id: 'run_readBad', type: 'file in', z: 'cutout_tab', filename: path.join(io, 'bad.png'), filenameType: 'str', format: '', wires: [['cutout_removeBackground']] },
		{ id: 'run_errorToPayload', type: 'change', z: 'cutout_tab', rules: [{ t: 'set', p: 'payload', pt: 'msg', to: 'error', tot: 'msg' }], wires: [['run_errorToJson']] },
		{ id: 'run_errorToJson', type: 'json', z: 'cutout_tab', action: 'str', property: 'payload', wires: [['run_writeErrors']] },
		fileOut('run_writeErrors', 'errors.jsonl', true),
	];
}

/** Resolves once every file exists and none has grown for a second (File Out writes in chunks). */
async function filesWritten(files: string[], timeoutMs: number): Promise<void> {
	let sizes = '';
	for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 1000))) {
		if (!files.every((file) => fs.existsSync(file))) continue;
		const now = files.map((file) => fs.statSync(file).size).join(',');
		if (now === sizes) return;
		sizes = now;
	}
	throw new Error(`Not written within ${timeoutMs} ms: ${files.filter((file) => !fs.existsSync(file)).join(', ') || '(still growing)'}`);
}

describeNodeRed(`Node-RED ${NODE_RED_VERSION} runs the packed node-red-contrib-cutout`, () => {
	let workDir: string;
	let nodeRed: NodeRed | undefined;
	const timings: Record<string, number> = {};

	async function timed<T>(label: string, step: () => Promise<T> | T): Promise<T> {
		const start = Date.now();
		const result = await step();
		timings[label] = Date.now() - start;
		return result;
	}

	beforeAll(() => {
		workDir = makeWorkDir('node-red');
	});

	afterAll(async () => {
		await nodeRed?.stop();
		console.log(`Node-RED real run timings (ms): ${JSON.stringify(timings)}`);
		removeWorkDir(workDir);
	});

	it('example flow: cutout and erased photo written, a bad file caught with its code, Node-RED stopped cleanly', async () => {
		const tarball = await timed('pack', () => packNodeRedPackage(workDir));
		const files = tarballFiles(tarball);
		expect(files).toEqual(expect.arrayContaining(['package.json', 'README.md', 'core/index.js', 'models/catalog.json', 'resources/editor.js', 'examples/remove-background-then-inpaint.json']));
		expect(files.filter((file) => /^nodes\/cutout-.*\.(js|html)$/.test(file))).toHaveLength(8);
		// No n8n code, no weights, no tests, no TypeScript sources or build config.
		expect(files.filter((file) => /n8n|\.onnx$|\.ts$|test|tsconfig|\.map$/i.test(file))).toEqual([]);

		const userDir = path.join(workDir, 'userDir');
		await timed('npmInstall', () => installIntoUserDir(userDir, tarball));
		const installed = JSON.parse(fs.readFileSync(path.join(userDir, 'package.json'), 'utf8'));
		expect(Object.keys(installed.dependencies)).toEqual(['node-red-contrib-cutout']);
		expect(fs.existsSync(path.join(userDir, 'node_modules', 'onnxruntime-node', 'package.json'))).toBe(true);

		const io = path.join(workDir, 'io');
		fs.mkdirSync(io);
		const scene: Scene = await drawScene({ name: 'photo', width: 640, height: 480, shape: 'disc', colour: [236, 112, 28], format: 'png', seed: 11 });
		fs.writeFileSync(path.join(io, 'photo.png'), scene.encoded);
		fs.writeFileSync(path.join(io, 'bad.png'), Buffer.from('this is not an image, whatever its name says'));

		nodeRed = await timed('start', () =>
			NodeRed.start({ userDir, flows: flowFor(io), onOutput: process.env.NODE_RED_VERBOSE ? (line) => console.log(`[node-red] ${line}`) : undefined }),
		);
		expect(nodeRed.log).toMatch(/Node-RED version: v4\.1\./);
		// The four node types loaded from the installed package (Node-RED would wait for missing types, not start the flows).
		const response = await fetch(`${nodeRed.baseUrl}/nodes`, { headers: { accept: 'application/json' } });
		const nodeSets = (await response.json()) as Array<{ module: string; types: string[]; enabled: boolean }>;
		const ours = nodeSets.filter((set) => set.module === 'node-red-contrib-cutout');
		expect(ours.flatMap((set) => set.types).sort()).toEqual(['cutout-alpha-matte', 'cutout-inpaint', 'cutout-provider', 'cutout-remove-background']);
		expect(ours.every((set) => set.enabled)).toBe(true);
		const outputs = ['photo.cutout.png', 'photo.erased.png', 'photo.region.png', 'errors.jsonl'].map((name) => path.join(io, name));
		await timed('flow', () => filesWritten(outputs, 5 * 60_000));
		const [cutout, erased, region, errors] = outputs;

		// The cutout: an RGBA PNG at the photo's size, the subject opaque and the background transparent.
		await expectCutout(cutout, scene);
		const image = await readImage(cutout);
		const alpha = { subject: [] as number[], background: [] as number[] };
		scene.truth.forEach((inside, i) => (inside ? alpha.subject : alpha.background).push(image.data[i * image.channels + 3]));
		const share = (values: number[], test: (value: number) => boolean) => values.filter(test).length / values.length;
		expect(share(alpha.subject, (value) => value >= 250)).toBeGreaterThan(0.95);
		expect(share(alpha.background, (value) => value <= 5)).toBeGreaterThan(0.95);

		// Inpaint erased the subject; outside the region it filled (the dilated mask) the output is the input.
		await expectErased(erased, fs.readFileSync(region), scene);

		const caught = fs.readFileSync(errors, 'utf8').trim().split('\n').map((line) => JSON.parse(line));
		expect(caught).toHaveLength(1);
		expect(caught[0]).toMatchObject({ code: 'unsupported_format', source: { id: 'cutout_removeBackground', type: 'cutout-remove-background' } });
		expect(caught[0].message).toContain('(code: unsupported_format)');

		await timed('stop', () => nodeRed!.stop());
		expect(nodeRed.log).toContain('Stopped flows');
		nodeRed = undefined;
	}, 15 * 60_000);
});
