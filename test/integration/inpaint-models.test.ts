import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { decodeImage } from '../../lib/image/decode';
import { releaseSessions } from '../../lib/inference/sessions';
import { loadInpaintEngine } from '../../lib/inpaint/engines';
import { type CatalogModel, type InpaintingCatalogModel, loadCatalog } from '../../lib/models/catalog';
import { resolveModelsDir } from '../../lib/models/modelsDir';
import { localEngine } from '../../lib/engines/local';
import { inpaint } from '../../lib/pipeline';
import { toyLamaHoleValue, toyLamaModel, toyMiganModel } from '../helpers/onnx';
import { makeScene, rawPixels, sceneAsPng } from '../helpers/scene';
import { greyPng } from '../mocks/toyModels';

/**
 * The MI-GAN and LaMa wiring (download through the catalog, tensor names and types, mask polarity, value
 * ranges, crops and paste) against toy graphs with the same contracts, served from 127.0.0.1 through the
 * real verified download path. The real weights run too, wherever they are already in the models folder.
 */

const limits = { maxPixels: 64_000_000, maxInputBytes: 200 * 1024 * 1024 };
const MIGAN_FILL: [number, number, number] = [40, 200, 90];

let server: http.Server;
let requests: string[];
let workDir: string;
let catalog: CatalogModel[];

async function serve(files: Record<string, Buffer>): Promise<string> {
	requests = [];
	server = http.createServer((request, response) => {
		requests.push(request.url ?? '');
		const body = files[request.url ?? ''];
		if (!body) {
			response.writeHead(404).end();
			return;
		}
		response.writeHead(200, { 'content-length': body.length }).end(body);
	});
	await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
	return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** The packaged catalog's inpainting entries, pinned to the toy files instead. */
async function toyCatalog(origin: string, toys: Record<string, Buffer>): Promise<CatalogModel[]> {
	const models = loadCatalog()
		.filter((model) => model.task === 'inpainting')
		.map((model) => {
			const file = new URL((model.sources[0] as { url: string }).url).pathname.split('/').pop()!;
			const toy = toys[`/${file}`];
			return {
				...model,
				sources: [{ type: 'url', url: `${origin}/${file}`, bytes: toy.length, sha256: createHash('sha256').update(toy).digest('hex') }],
			};
		});
	// A LaMa contract pinned to the MI-GAN-like file: its tensors do not match the contract.
	const lama = models.find((model) => model.id === 'lama')!;
	const miganFile = models.find((model) => model.id === 'migan-pipeline-v2')!.sources[0];
	models.push({ ...lama, id: 'lama-mismatched', sources: [{ ...miganFile, url: `${origin}/mismatched/migan_pipeline_v2.onnx` }] });
	const path = join(workDir, 'catalog.json');
	await writeFile(path, JSON.stringify({ version: 1, models }));
	return loadCatalog(path);
}

function engineOptions() {
	return { catalog, modelsDir: join(workDir, 'models'), allowInsecureLoopback: true };
}

/** A photo-like scene whose lower half is flat colour, so a resized crop keeps exact values there. */
async function flatBottomScene(width: number, height: number): Promise<{ png: Buffer; rgb: Buffer }> {
	const scene = makeScene(width, height);
	for (let y = Math.floor(height / 2); y < height; y++) {
		for (let x = 0; x < width; x++) scene.rgb.set(x < width / 2 ? [60, 120, 180] : [200, 150, 30], (y * width + x) * 3);
	}
	return { png: await sceneAsPng(scene), rgb: scene.rgb };
}

function box(plane: Buffer, width: number, x0: number, y0: number, w: number, h: number): void {
	for (let y = y0; y < y0 + h; y++) plane.fill(255, y * width + x0, y * width + x0 + w);
}

/** Checks the output guarantee on real output: outside the mask, every byte is the decoded input's. */
async function expectUntouchedOutside(output: Buffer, input: Buffer, mask: Buffer): Promise<{ filled: Buffer; holes: Buffer }> {
	const original = await decodeImage(input, limits);
	const filled = await rawPixels(output);
	const holes = await rawPixels(mask);
	expect([filled.width, filled.height, filled.channels]).toEqual([original.width, original.height, 3]);
	let differing = 0;
	for (let i = 0; i < holes.data.length; i++) {
		if (holes.data[i] !== 0) continue;
		for (let c = 0; c < 3; c++) if (filled.data[i * 3 + c] !== original.rgb[i * 3 + c]) differing++;
	}
	expect(differing).toBe(0);
	return { filled: filled.data, holes: holes.data };
}

beforeAll(async () => {
	workDir = await mkdtemp(join(tmpdir(), 'cutout-inpaint-models-'));
	const toys = { '/migan_pipeline_v2.onnx': toyMiganModel(MIGAN_FILL), '/lama_fp32.onnx': toyLamaModel() };
	catalog = await toyCatalog(await serve({ ...toys, '/mismatched/migan_pipeline_v2.onnx': toys['/migan_pipeline_v2.onnx'] }), toys);
});

afterAll(async () => {
	await releaseSessions();
	await new Promise((done) => server.close(done));
	await rm(workDir, { recursive: true, force: true });
});

describe('MI-GAN pipeline v2 contract (toy graph)', () => {
	it('downloads once through the verified path, then fills holes with 255 = keep polarity, pasting only the mask', async () => {
		const [engine, again] = await Promise.all([
			loadInpaintEngine('migan-pipeline-v2', engineOptions()),
			loadInpaintEngine('migan-pipeline-v2', engineOptions()),
		]);
		expect(engine.id).toBe('migan-pipeline-v2');
		expect(again.id).toBe('migan-pipeline-v2');
		expect(requests).toEqual(['/migan_pipeline_v2.onnx']);
		expect(existsSync(join(workDir, 'models', 'migan-pipeline-v2', 'migan_pipeline_v2.onnx'))).toBe(true);

		const { png } = await flatBottomScene(900, 600);
		const mask = Buffer.alloc(900 * 600);
		box(mask, 900, 100, 80, 120, 90);
		const result = await inpaint(png, localEngine({ inpaintModel: engine }), { mask: await greyPng(mask, 900, 600), dilation: 4, limits });
		expect(result.fields).toMatchObject({ mode: 'mask', model: 'migan-pipeline-v2', width: 900, height: 600 });
		const { filled, holes } = await expectUntouchedOutside(result.image.data, png, result.mask.data);
		// Every filled pixel is what the graph painted into its holes: the polarity reached the model.
		let painted = 0;
		let filledPixels = 0;
		for (let i = 0; i < holes.length; i++) {
			if (!holes[i]) continue;
			filledPixels++;
			if (filled[i * 3] === MIGAN_FILL[0] && filled[i * 3 + 1] === MIGAN_FILL[1] && filled[i * 3 + 2] === MIGAN_FILL[2]) painted++;
		}
		expect(filledPixels).toBeGreaterThan(120 * 90);
		expect(painted).toBe(filledPixels);
	});
});

describe('LaMa contract (toy graph, static 512)', () => {
	it('works on a 512 crop around each hole: 0..1 in, 1 = fill, 0..255 out, feathered paste inside the mask only', async () => {
		const engine = await loadInpaintEngine('lama', engineOptions());
		const width = 1400;
		const height = 900;
		const { png, rgb } = await flatBottomScene(width, height);
		const mask = Buffer.alloc(width * height);
		box(mask, width, 150, 600, 250, 150); // on the left flat colour
		box(mask, width, 1100, 650, 120, 120); // on the right one, far enough for a crop of its own
		const result = await inpaint(png, localEngine({ inpaintModel: engine }), { mask: await greyPng(mask, width, height), dilation: 0, limits });
		const { filled, holes } = await expectUntouchedOutside(result.image.data, png, result.mask.data);

		// Deep inside each hole (past the feather) the pixel is the toy's hole value of the input pixel.
		for (const [x, y] of [
			[275, 675],
			[1160, 710],
		]) {
			const i = y * width + x;
			for (let c = 0; c < 3; c++) expect(Math.abs(filled[i * 3 + c] - toyLamaHoleValue(rgb[i * 3 + c]))).toBeLessThanOrEqual(1);
		}
		// On the hole's edge the fill is blended with the input, still inside the mask.
		const edge = 600 * width + 275;
		expect(holes[edge]).toBe(255);
		const expectedEdge = toyLamaHoleValue(rgb[edge * 3]);
		expect(filled[edge * 3]).toBeGreaterThan(rgb[edge * 3]);
		expect(filled[edge * 3]).toBeLessThan(expectedEdge);
	});
});

describe('a model whose tensors do not match its contract', () => {
	it('fails with inference_failed, naming the tensors', async () => {
		const engine = await loadInpaintEngine('lama-mismatched', engineOptions());
		const { png } = await flatBottomScene(300, 200);
		await expect(inpaint(png, localEngine({ inpaintModel: engine }), { box: { x: 10, y: 10, width: 20, height: 20 }, limits })).rejects.toMatchObject({
			code: 'inference_failed',
			message: expect.stringMatching(/output "output".*outputs result/),
		});
	});
});

describe('real weights, where they are already in the models folder', () => {
	const modelsDir = resolveModelsDir();
	const present = (id: string) => {
		const model = loadCatalog().find((entry) => entry.id === id) as unknown as InpaintingCatalogModel;
		const url = (model.sources[0] as { url: string }).url;
		return existsSync(join(modelsDir, id, url.split('/').pop()!));
	};

	for (const id of ['migan-pipeline-v2', 'lama']) {
		(present(id) ? it : it.skip)(`${id} erases a box on a generated scene`, async () => {
			const engine = await loadInpaintEngine(id, { modelsDir });
			const scene = makeScene(800, 600);
			const png = await sceneAsPng(scene);
			const result = await inpaint(png, localEngine({ inpaintModel: engine }), { box: { x: 300, y: 200, width: 200, height: 250 }, limits });
			await expectUntouchedOutside(result.image.data, png, result.mask.data);
		});
	}
});
