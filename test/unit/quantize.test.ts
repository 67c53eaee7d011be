import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';

import { writeOptimizedGraph } from '../../lib/inference/sessions';
import { decodeModel, floatsOf } from '../../lib/models/onnxGraph';
import { activationQuantization, activationTensors, type CalibrationTable, quantizeModel, rangeProbeModel, TAIL_SHARES } from '../../lib/models/quantize';
import { onnxModel } from '../helpers/onnx';

const SIDE = 8;
const CHANNELS = 8;

/** Fixed pseudo-random weights in [-scale, scale]. */
const weights = (count: number, seed: number, scale = 0.5) => Array.from({ length: count }, (_, i) => (((i * 7919 + seed * 104729) % 1009) / 1009 - 0.5) * 2 * scale);

/**
 * ISNet in miniature: an identity Cast after the input, Conv → Relu twice, a residual Add, and a head Conv
 * whose logits go through Sigmoid to the output.
 */
function toySegmenter(): Buffer {
	const dims = (channels: number) => [1, channels, SIDE, SIDE];
	return onnxModel({
		inputs: [{ name: 'input', type: 'float32', dims: dims(3) }],
		outputs: [{ name: 'output', type: 'float32', dims: dims(1) }],
		constants: [
			{ name: 'w1', dims: [CHANNELS, 3, 1, 1], values: weights(CHANNELS * 3, 1) },
			{ name: 'b1', dims: [CHANNELS], values: weights(CHANNELS, 2, 0.1) },
			{ name: 'w2', dims: [CHANNELS, CHANNELS, 1, 1], values: weights(CHANNELS * CHANNELS, 3) },
			{ name: 'b2', dims: [CHANNELS], values: weights(CHANNELS, 4, 0.1) },
			{ name: 'w3', dims: [1, CHANNELS, 1, 1], values: weights(CHANNELS, 5, 2) },
			{ name: 'b3', dims: [1], values: [0.2] },
		],
		nodes: [
			{ op: 'Cast', inputs: ['input'], outputs: ['x'], attributes: { to: 1 } },
			{ op: 'Conv', inputs: ['x', 'w1', 'b1'], outputs: ['c1'] },
			{ op: 'Relu', inputs: ['c1'], outputs: ['r1'] },
			{ op: 'Conv', inputs: ['r1', 'w2', 'b2'], outputs: ['c2'] },
			{ op: 'Relu', inputs: ['c2'], outputs: ['r2'] },
			{ op: 'Add', inputs: ['r1', 'r2'], outputs: ['s'] },
			{ op: 'Conv', inputs: ['s', 'w3', 'b3'], outputs: ['logits'] },
			{ op: 'Sigmoid', inputs: ['logits'], outputs: ['output'] },
		],
	});
}

const inputs = [1, 2, 3, 4].map((seed) => new ort.Tensor('float32', Float32Array.from(weights(3 * SIDE * SIDE, seed * 11, 0.5)), [1, 3, SIDE, SIDE]));

async function outputsOf(model: Uint8Array): Promise<Float32Array[]> {
	const session = await ort.InferenceSession.create(model, { graphOptimizationLevel: 'all' });
	try {
		const results: Float32Array[] = [];
		for (const input of inputs) results.push((await session.run({ input })).output.data as Float32Array);
		return results;
	} finally {
		await session.release();
	}
}

/** The ranges a calibration measures with the probe graph, over the test inputs. */
async function calibrate(model: Buffer, tensors: string[]): Promise<CalibrationTable> {
	const session = await ort.InferenceSession.create(rangeProbeModel(model, tensors));
	const ranges: CalibrationTable['ranges'] = {};
	for (const input of inputs) {
		const results = await session.run({ input });
		for (const tensor of tensors) {
			const [min, max] = [(results[`${tensor}:min`].data as Float32Array)[0], (results[`${tensor}:max`].data as Float32Array)[0]];
			ranges[tensor] = [Math.min(min, ranges[tensor]?.[0] ?? min), Math.max(max, ranges[tensor]?.[1] ?? max)];
		}
	}
	await session.release();
	return { format: 1, images: 'test inputs', ranges };
}

describe('static int8 quantisation (QDQ)', () => {
	const float = toySegmenter();

	it('quantises what the Convs and the Add read, through the identity Cast, and leaves the head float', () => {
		expect(activationTensors(decodeModel(float), 'output')).toEqual(['x', 'input', 'r1', 'r2', 's']);
	});

	it('measures the upper tail beside the extremes, at the ranks of TAIL_SHARES from the top', async () => {
		const count = 10_000;
		const graph = onnxModel({
			inputs: [{ name: 'values', type: 'float32', dims: [1, 1, 100, 100] }],
			outputs: [{ name: 'rectified', type: 'float32', dims: [1, 1, 100, 100] }],
			constants: [],
			nodes: [{ op: 'Relu', inputs: ['values'], outputs: ['rectified'] }],
		});
		const session = await ort.InferenceSession.create(rangeProbeModel(graph, ['values']));
		// 0 … 9999 in a scrambled order: the k-th largest is 10 000 − k.
		const values = Float32Array.from({ length: count }, (_, i) => (i * 7919) % count);
		const results = await session.run({ values: new ort.Tensor('float32', values, [1, 1, 100, 100]) });
		await session.release();
		expect(TAIL_SHARES).toEqual([1e-3, 1e-4, 1e-5]);
		expect(Array.from(results['values:tail'].data as Float32Array)).toEqual([9990, 9999, 9999]);
		expect([results['values:min'].data[0], results['values:max'].data[0]]).toEqual([0, 9999]);
	});

	it('widens a range to include zero, so that zero padding and Relu outputs are exact', () => {
		const cases: Array<[[number, number], number, number]> = [
			[[0, 5.1], 0.02, 0],
			[[2, 5.1], 0.02, 0],
			[[-1.275, 1.275], 0.01, 128],
			[[-5.1, -1], 0.02, 255],
		];
		for (const [range, scale, zeroPoint] of cases) {
			const quantization = activationQuantization(range);
			expect(quantization.scale).toBeCloseTo(scale, 12);
			expect(quantization.zeroPoint).toBe(zeroPoint);
		}
	});

	it('stores each Conv weight as int8 with one scale per output channel, the largest magnitude at ±127', async () => {
		const table = await calibrate(float, activationTensors(decodeModel(float), 'output'));
		const quantized = decodeModel(quantizeModel(float, table));
		const levels = quantized.initializers.get('w2:q')!;
		const scales = floatsOf(quantized.initializers.get('w2:scale')!);
		expect(levels.dims).toEqual([CHANNELS, CHANNELS, 1, 1]);
		expect(scales).toHaveLength(CHANNELS);
		const original = floatsOf(decodeModel(float).initializers.get('w2')!);
		const int8 = new Int8Array(levels.raw.buffer, levels.raw.byteOffset, levels.raw.length);
		for (let c = 0; c < CHANNELS; c++) {
			const row = int8.subarray(c * CHANNELS, (c + 1) * CHANNELS);
			expect(Math.max(...Array.from(row, Math.abs))).toBe(127);
			row.forEach((level, i) => expect(Math.abs(level * scales[c] - original[c * CHANNELS + i])).toBeLessThanOrEqual(scales[c] / 2 + 1e-7));
		}
		expect(quantized.initializers.has('w2')).toBe(false);
	});

	it('leaves the Convs named in floatNodes float, reading unrounded input, and still fuses the others', async () => {
		const table = await calibrate(float, activationTensors(decodeModel(float), 'output'));
		// conv_1 is the first Conv (the helper names nodes by op and index): only it reads x, so x and the input lose their Q/DQ pairs.
		const int8 = quantizeModel(float, { ...table, floatNodes: ['conv_1'] });
		const model = decodeModel(int8);
		expect(model.initializers.has('w1')).toBe(true);
		expect(model.initializers.has('w2:q')).toBe(true);
		expect(model.nodes.filter((node) => node.opType === 'QuantizeLinear').map((node) => node.inputs[0])).toEqual(['r1', 'r2', 's']);
		const [expected, actual] = [await outputsOf(float), await outputsOf(int8)];
		expected.forEach((plane, i) => plane.forEach((value, j) => expect(Math.abs(value - actual[i][j])).toBeLessThan(0.02)));
		expect(() => quantizeModel(float, { ...table, floatNodes: ['conv_9'] })).toThrow('conv_9');
	});

	it('runs in ONNX Runtime as QLinearConv, with outputs close to the float graph', async () => {
		const table = await calibrate(float, activationTensors(decodeModel(float), 'output'));
		const int8 = quantizeModel(float, table);
		const [expected, actual] = [await outputsOf(float), await outputsOf(int8)];
		let worst = 0;
		expected.forEach((plane, i) => plane.forEach((value, j) => (worst = Math.max(worst, Math.abs(value - actual[i][j])))));
		expect(worst).toBeGreaterThan(0);
		expect(worst).toBeLessThan(0.02);

		const dir = await mkdtemp(join(tmpdir(), 'cutout-quantize-'));
		try {
			await writeOptimizedGraph(int8, join(dir, 'optimized.onnx'), 'all', 'ONNX');
			const ops = decodeModel(await readFile(join(dir, 'optimized.onnx'))).nodes.map((node) => node.opType);
			expect(ops.filter((op) => op === 'QLinearConv')).toHaveLength(2);
			expect(ops).not.toContain('Relu');
		} finally {
			await rm(dir, { recursive: true, force: true });
		}
	});
});
