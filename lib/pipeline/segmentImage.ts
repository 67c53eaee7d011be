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
export async function segmentImage(
	image: DecodedImage,
	model: SegmentationModel,
	resolution: OperatingResolution = 'native',
	upsampling: MatteUpsampling = 'linear',
): Promise<SegmentationResult> {
	const size = operatingSize(model, resolution);
	const started = performance.now();
	const tensor = await toInputTensor(image.rgb, image.width, image.height, size, model.contract.input);
	const lowResolutionMatte = await runSegmentation(model.session, model.contract, tensor, size);
	const inferMs = performance.now() - started;
	const modelGrid = { width: size, height: size };
	const upsampled =
		upsampling === 'guided'
			? await guidedUpsample(lowResolutionMatte, modelGrid, image.rgb, image)
			: await resizePlane(lowResolutionMatte, modelGrid, image, 'linear');
	const matte = image.alpha ? multiplyMattes(upsampled, image.alpha) : upsampled;
	return { matte, lowResolutionMatte, size, inferMs };
}
