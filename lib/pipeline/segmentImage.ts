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
 * 'high' runs the model twice, on the image and on its mirror image, and averages the two mattes (test-time
 * augmentation). On ../shared/eval with ISNet it raised mIoU by 0.016 (alphamatting) and 0.020 (ECSSD) and
 * lowered MAE, for twice the inference time (bench/RESULTS.md, `npm run eval`).
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
	/** The matte at the model's operating resolution, for callers that upsample it themselves. */
	lowResolutionMatte: Buffer;
	size: number;
	inferMs: number;
}

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
	const started = performance.now();
	const tensor = await toInputTensor(image.rgb, image.width, image.height, size, model.contract.input);
	let lowResolutionMatte = await runSegmentation(model.session, model.contract, tensor, size);
	if (quality === 'high') {
		// Mirroring the model's input equals mirroring the image before the resize (the kernel is symmetric).
		const mirrored = await runSegmentation(model.session, model.contract, mirrorPlanes(tensor, size, 3), size);
		lowResolutionMatte = averageMattes(lowResolutionMatte, mirrorPlanes(mirrored, size, 1));
	}
	const inferMs = performance.now() - started;
	const modelGrid = { width: size, height: size };
	const upsampled =
		upsampling === 'guided'
			? await guidedUpsample(lowResolutionMatte, modelGrid, image.rgb, image)
			: await resizePlane(lowResolutionMatte, modelGrid, image, 'linear');
	const matte = image.alpha ? multiplyMattes(upsampled, image.alpha) : upsampled;
	return { matte, lowResolutionMatte, size, inferMs };
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

function averageMattes(a: Buffer, b: Buffer): Buffer {
	const out = Buffer.allocUnsafe(a.length);
	for (let i = 0; i < a.length; i++) out[i] = (a[i] + b[i] + 1) >> 1;
	return out;
}
