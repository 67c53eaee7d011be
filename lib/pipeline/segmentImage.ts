import { CutoutError } from '../errors';
import { toInputTensor, runSegmentation } from '../inference/segment';
import { multiplyMattes } from '../matte/composite';
import { guidedUpsample } from '../matte/guidedFilter';
import { resizePlane } from '../matte/resize';
import type { SegmentationModel } from '../models/segmentationModels';
import type { DecodedImage } from '../image/decode';

/** 'native' runs the model at the size it was exported for; a number asks for that square size. */
export type OperatingResolution = 'native' | number;

/**
 * How the model's matte reaches full resolution: 'linear' resizes it; 'guided' fits it to the
 * full-resolution image with a fast guided filter, so edges follow the image (lib/matte/guidedFilter.ts).
 */
export type MatteUpsampling = 'linear' | 'guided';

/**
 * 'high' runs the model twice and averages: on the image shrunk to 95 % of the model's square with its
 * edge pixels repeated around it (context for subjects that touch the border), and on the mirror image of
 * that. Of eight combinations of flips, margins and crops tried on ../shared/eval with ISNet, it was the
 * best on both sets: mIoU +0.033 (alphamatting) and +0.027 (ECSSD), MAE -0.015 and -0.005, for twice the
 * inference time (a flip alone gave +0.016 and +0.020). Chosen on those sets, so the gain is optimistic
 * for other images; bench/RESULTS.md has the figures.
 */
export type MatteQuality = 'standard' | 'high';

export interface SegmentOptions {
	resolution?: OperatingResolution;
	upsampling?: MatteUpsampling;
	quality?: MatteQuality;
}

export interface SegmentationResult {
	/** Full-resolution 8-bit matte, the source's own alpha already applied. */
	matte: Buffer;
	/** The matte as the model saw the image (grid × grid), for callers that upsample it themselves. */
	lowResolutionMatte: Buffer;
	grid: { width: number; height: number };
	inferMs: number;
}

/** Share of the model's square each side of the image in 'high' quality: 2.5 %, so the image fills 95 %. */
const HIGH_QUALITY_MARGIN = 0.025;

export function operatingSize(model: SegmentationModel, resolution: OperatingResolution): number {
	const { size, sizes } = model.contract.input;
	if (resolution === 'native') return size;
	if (!sizes.includes(resolution)) {
		throw new CutoutError(
			'invalid_option',
			`Model "${model.id}" cannot run at ${resolution}×${resolution}`,
			`It accepts ${sizes.map((s) => `${s}×${s}`).join(', ')}; choose "Model Native".`,
		);
	}
	return resolution;
}

/** Runs the segmentation model on a decoded image and returns its matte at full resolution. */
export async function segmentImage(image: DecodedImage, model: SegmentationModel, options: SegmentOptions = {}): Promise<SegmentationResult> {
	const { resolution = 'native', upsampling = 'linear', quality = 'standard' } = options;
	if (quality !== 'standard' && quality !== 'high') {
		throw new CutoutError('invalid_option', `Matte quality must be "standard" or "high", got "${String(quality)}"`);
	}
	const size = operatingSize(model, resolution);
	const margin = quality === 'high' ? Math.round(size * HIGH_QUALITY_MARGIN) : 0;
	const started = performance.now();
	const tensor = await toInputTensor(image.rgb, image.width, image.height, size, model.contract.input, margin);
	let lowResolutionMatte = await runSegmentation(model.session, model.contract, tensor, size);
	if (quality === 'high') {
		// The margins are equal, so mirroring the tensor is the same as mirroring the image first.
		const mirrored = await runSegmentation(model.session, model.contract, mirrorPlanes(tensor, size, 3), size);
		lowResolutionMatte = cropSquare(averageMattes(lowResolutionMatte, mirrorPlanes(mirrored, size, 1)), size, margin);
	}
	const inferMs = performance.now() - started;
	const inner = size - 2 * margin;
	const grid = { width: inner, height: inner };
	const upsampled =
		upsampling === 'guided'
			? await guidedUpsample(lowResolutionMatte, grid, image.rgb, image)
			: await resizePlane(lowResolutionMatte, grid, image, 'linear');
	const matte = image.alpha ? multiplyMattes(upsampled, image.alpha) : upsampled;
	return { matte, lowResolutionMatte, grid, inferMs };
}

/** Mirrors each of `planes` size×size planes left to right. */
export function mirrorPlanes<T extends Float32Array | Buffer>(data: T, size: number, planes: number): T {
	const out = (Buffer.isBuffer(data) ? Buffer.allocUnsafe(data.length) : new Float32Array(data.length)) as T;
	for (let row = 0; row < size * planes; row++) {
		const start = row * size;
		for (let x = 0, mirrored = start + size - 1; x < size; x++, mirrored--) out[start + x] = data[mirrored];
	}
	return out;
}

/** The inner (size - 2·margin)² square of a size×size plane. */
function cropSquare(plane: Buffer, size: number, margin: number): Buffer {
	const inner = size - 2 * margin;
	const out = Buffer.allocUnsafe(inner * inner);
	for (let y = 0; y < inner; y++) plane.copy(out, y * inner, (y + margin) * size + margin, (y + margin) * size + margin + inner);
	return out;
}

function averageMattes(a: Buffer, b: Buffer): Buffer {
	const out = Buffer.allocUnsafe(a.length);
	for (let i = 0; i < a.length; i++) out[i] = (a[i] + b[i] + 1) >> 1;
	return out;
}
