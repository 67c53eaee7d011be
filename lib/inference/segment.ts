import * as ort from 'onnxruntime-common';
import sharp from 'sharp';

import { CutoutError } from '../errors';
import { takePixels } from '../image/pixelPool';
import type { SegmentationContract } from '../models/catalog';
import { type InferenceSession, runForOutput } from './sessions';

/** Pixels of the model's square on each side of the image. */
export interface Margins {
	top: number;
	right: number;
	bottom: number;
	left: number;
}

/** Kernel that squeezes the image into the model's square. */
export type InputKernel = 'linear' | 'lanczos3';

/** What fills the margins: the image's edge pixels repeated, or the image reflected across its edges. */
export type MarginFill = 'copy' | 'mirror';

/**
 * Resizes RGB to size×size (not aspect-preserving, as the models were trained) and lays it out as
 * NCHW float32 normalised per the contract: (pixel * scale - mean) / std. With margins (one number for all
 * four sides, or per side), the image fills only the square inside them and `fill` fills them.
 */
export async function toInputTensor(
	rgb: Buffer,
	width: number,
	height: number,
	size: number,
	input: SegmentationContract['input'],
	margin: number | Margins = 0,
	kernel: InputKernel = 'lanczos3',
	fill: MarginFill = 'copy',
): Promise<Float32Array> {
	return normalisePlanar(await toModelSquare(rgb, width, height, size, margin, kernel, fill), size * size, input);
}

/** The 8-bit RGB square the model's input tensor is made of (toInputTensor). */
export async function toModelSquare(
	rgb: Buffer,
	width: number,
	height: number,
	size: number,
	margin: number | Margins = 0,
	kernel: InputKernel = 'lanczos3',
	fill: MarginFill = 'copy',
): Promise<Buffer> {
	const sides = typeof margin === 'number' ? { top: margin, right: margin, bottom: margin, left: margin } : margin;
	const innerWidth = size - sides.left - sides.right;
	const innerHeight = size - sides.top - sides.bottom;
	if (Object.values(sides).some((m) => !Number.isInteger(m) || m < 0) || innerWidth < 1 || innerHeight < 1) {
		throw new Error(`Margin ${typeof margin === 'number' ? margin : JSON.stringify(margin)} does not fit a ${size}×${size} input`);
	}
	let pipeline = sharp(rgb, { raw: { width, height, channels: 3 } }).resize(innerWidth, innerHeight, { fit: 'fill', kernel });
	if (innerWidth < size || innerHeight < size) pipeline = pipeline.extend({ ...sides, extendWith: fill });
	return pipeline.raw().toBuffer();
}

export function normalisePlanar(rgb: Uint8Array, pixels: number, input: SegmentationContract['input']): Float32Array {
	if (rgb.length !== pixels * 3) {
		throw new Error(`Expected ${pixels * 3} RGB bytes, got ${rgb.length}`);
	}
	// Lent: segmentImage gives it back once the model has run (lib/image/pixelPool.ts).
	const tensor = new Float32Array(takePixels(pixels * 3 * Float32Array.BYTES_PER_ELEMENT).buffer, 0, pixels * 3);
	for (let c = 0; c < 3; c++) {
		// value = pixel * (scale / std) - mean / std: one multiply-add per sample.
		const gain = input.scale / input.std[c];
		const offset = -input.mean[c] / input.std[c];
		const plane = c * pixels;
		for (let i = 0, j = c; i < pixels; i++, j += 3) tensor[plane + i] = rgb[j] * gain + offset;
	}
	return tensor;
}

/** Turns the model's raw output plane into an 8-bit matte (0 = background, 255 = subject). */
export function toMatte(prediction: Float32Array, output: SegmentationContract['output']): Buffer {
	const values = output.activation === 'sigmoid' ? prediction.map((v) => 1 / (1 + Math.exp(-v))) : prediction;
	let low = 0;
	let range = 1;
	if (output.minMax) {
		let min = Infinity;
		let max = -Infinity;
		for (const v of values) {
			if (v < min) min = v;
			if (v > max) max = v;
		}
		low = min;
		range = max - min > 1e-6 ? max - min : 1;
	}
	const matte = Buffer.allocUnsafe(values.length);
	for (let i = 0; i < values.length; i++) {
		// Clamp: ISNet overshoots [0, 1] slightly, and a wrapped byte would punch holes in the subject.
		const v = Math.round(((values[i] - low) / range) * 255);
		matte[i] = v < 0 ? 0 : v > 255 ? 255 : v;
	}
	return matte;
}

/** Runs the model and returns its matte at the model's resolution (size×size). */
export async function runSegmentation(
	session: InferenceSession,
	contract: SegmentationContract,
	tensor: Float32Array,
	size: number,
): Promise<Buffer> {
	const inputName = contract.input.name ?? session.inputNames[0];
	const outputName = contract.output.name ?? session.outputNames[contract.output.index ?? 0];
	const feeds = { [inputName]: new ort.Tensor('float32', tensor, [1, 3, size, size]) };
	const output = await runForOutput(session, feeds, outputName, `#${contract.output.index}`);
	try {
		const plane = size * size;
		const data = output.data as Float32Array;
		if (data.length < plane) {
			throw new CutoutError('inference_failed', `The model returned ${data.length} values, expected at least ${plane}`);
		}
		return toMatte(data.subarray(0, plane), contract.output);
	} finally {
		output.dispose();
	}
}
