import * as ort from 'onnxruntime-common';

import { CutoutError } from '../errors';
import { runForOutput } from './sessions';
import type { PlaneSize } from '../matte/morphology';
import { resizePlane, resizeRgb } from '../matte/resize';
import type { InpaintingModel } from '../models/inpaintingModels';
import type { InpaintingImageTensor, InpaintingMaskTensor } from '../models/catalog';

/** A crop to fill: interleaved RGB and its holes (non-zero = fill), same size. */
export interface CropPixels extends PlaneSize {
	rgb: Buffer;
	hole: Uint8Array;
}

/**
 * Runs an inpainting model on one crop and returns the model's RGB for the whole crop, at the crop's
 * size. The caller keeps only the hole pixels. Models with a fixed input size get the crop resized to it
 * (a hole pixel stays a hole at any scale, so nothing to fill is lost) and their output resized back.
 */
export async function runInpainting(model: InpaintingModel, crop: CropPixels): Promise<Buffer> {
	const { contract, session } = model;
	const native = contract.cropping === 'pipeline' && contract.size !== null ? { width: contract.size, height: contract.size } : crop;
	const rgb = await resizeRgb(crop.rgb, crop, native);
	const hole = await resizeHoles(crop.hole, crop, native);

	const { image, mask } = contract.input;
	const outputName = contract.output.name ?? session.outputNames[contract.output.index ?? 0];
	const dims = (channels: number) => [1, channels, native.height, native.width];
	const feeds = {
		[image.name]: new ort.Tensor(image.type, imageTensor(rgb, image), dims(3)),
		[mask.name]: new ort.Tensor(mask.type, maskTensor(hole, mask), dims(1)),
	};
	const output = await runForOutput(session, feeds, outputName, `#${contract.output.index}`);
	try {
		const pixels = native.width * native.height;
		const data = output.data as Float32Array | Uint8Array;
		if (data.length < pixels * 3) {
			throw new CutoutError('inference_failed', `The model returned ${data.length} values, expected ${pixels * 3} (RGB ${native.width}×${native.height})`);
		}
		const filled = fromPlanar(data, pixels, contract.output.scale);
		return await resizeRgb(filled, native, crop);
	} finally {
		output.dispose();
	}
}

/** Planar [3, H, W] in the tensor's type: value = pixel × scale. */
function imageTensor(rgb: Buffer, contract: InpaintingImageTensor): Uint8Array | Float32Array {
	const pixels = rgb.length / 3;
	const tensor = contract.type === 'uint8' ? new Uint8Array(rgb.length) : new Float32Array(rgb.length);
	for (let c = 0; c < 3; c++) {
		const plane = c * pixels;
		for (let i = 0, j = c; i < pixels; i++, j += 3) tensor[plane + i] = rgb[j] * contract.scale;
	}
	return tensor;
}

function maskTensor(hole: Uint8Array, contract: InpaintingMaskTensor): Uint8Array | Float32Array {
	const tensor = contract.type === 'uint8' ? new Uint8Array(hole.length) : new Float32Array(hole.length);
	for (let i = 0; i < hole.length; i++) tensor[i] = hole[i] ? contract.fill : contract.keep;
	return tensor;
}

/** Interleaved 8-bit RGB from planar output: pixel = value × scale, rounded and clamped. */
function fromPlanar(data: Float32Array | Uint8Array, pixels: number, scale: number): Buffer {
	const rgb = Buffer.allocUnsafe(pixels * 3);
	for (let c = 0; c < 3; c++) {
		const plane = c * pixels;
		for (let i = 0, j = c; i < pixels; i++, j += 3) {
			const v = Math.round(data[plane + i] * scale);
			rgb[j] = v < 0 ? 0 : v > 255 ? 255 : v;
		}
	}
	return rgb;
}

/** Resizes a hole mask so that any pixel touched by a hole stays a hole (1 = fill). */
export async function resizeHoles(hole: Uint8Array, from: PlaneSize, to: PlaneSize): Promise<Uint8Array> {
	if (from.width === to.width && from.height === to.height) return hole;
	const plane = Buffer.allocUnsafe(hole.length);
	for (let i = 0; i < hole.length; i++) plane[i] = hole[i] ? 255 : 0;
	const resized = await resizePlane(plane, from, to, 'linear');
	for (let i = 0; i < resized.length; i++) resized[i] = resized[i] > 0 ? 1 : 0;
	return resized;
}
