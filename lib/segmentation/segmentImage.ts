import sharp from 'sharp';

import { CutoutError } from '../errors';
import { recyclePixels } from '../image/pixelPool';
import { normalisePlanar, runSegmentation, toModelSquare } from '../inference/segment';
import { multiplyMattes } from '../matte/composite';
import { guidedUpsample } from '../matte/guidedFilter';
import { matteToImageSize } from '../matte/resize';
import { highViewsFor, joinMattes, mirrorPlanes, mirrorViewFor, PLAIN_VIEW, type MatteView, type RunView, viewMatteToGrid, viewName } from './matteViews';
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
 * 'standard' runs the model once on the image (Lanczos-3 resize into the model's square). 'high' runs the
 * model's int8 graph on four views (the image; the mirror image and the image reflected into margins, 10 %
 * where the subject touches the border and 2.5 % elsewhere; the mirror image) and joins the four mattes by a
 * power mean (lib/segmentation/matteViews.ts; the figures per set are in bench/RESULTS.md); for a model
 * without an int8 graph, the model itself on the image and the reflected mirror view. 'speed' is one pass like
 * 'standard', of the model's int8 graph. The caller loads the int8 graph (loadSegmentationModel's precision
 * 'int8'): as the model for 'speed', as highViewsModel for 'high'.
 */
export type MatteQuality = 'standard' | 'high' | 'speed';
export const MATTE_QUALITIES: readonly MatteQuality[] = ['standard', 'high', 'speed'];

export interface SegmentOptions {
	resolution?: OperatingResolution;
	upsampling?: MatteUpsampling;
	quality?: MatteQuality;
	/**
	 * The int8 graph of `model`, on which 'high' runs all four of its views; without it (a model with none),
	 * 'high' runs `model` on the image and the reflected mirror view, in about the same time.
	 */
	highViewsModel?: SegmentationModel;
}

export interface SegmentationResult {
	/** Full-resolution 8-bit matte, the source's own alpha already applied. */
	matte: Buffer;
	/** The matte as the model saw the image (grid × grid), for callers that upsample it themselves. */
	lowResolutionMatte: Buffer;
	grid: { width: number; height: number };
	/** The image as the model saw it without margins (size×size RGB), where this call made it. */
	modelSquare?: Buffer;
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
	options: SegmentOptions = {},
	render: RenderView = renderView,
): Promise<SegmentationResult> {
	const { resolution = 'native', upsampling = 'linear', quality = 'standard', highViewsModel } = options;
	if (!MATTE_QUALITIES.includes(quality)) {
		throw new CutoutError('invalid_option', `Matte quality must be one of ${MATTE_QUALITIES.map((name) => `"${name}"`).join(', ')}, got "${String(quality)}"`);
	}
	const size = operatingSize(model, resolution);
	const started = performance.now();
	const inputs: ModelInputs = new Map();
	const runOn =
		(viewModel: SegmentationModel): RunView =>
		async (view) =>
			viewMatteToGrid(await render(image, viewModel, size, view, inputs), size, view);
	const lowResolutionMatte = await matteForQuality(quality, size, runOn(model), highViewsModel && runOn(highViewsModel)).finally(() => {
		for (const { tensor } of inputs.values()) recyclePixels(tensor);
	});
	const inferMs = performance.now() - started;
	const grid = { width: size, height: size };
	const upsampled =
		upsampling === 'guided'
			? await guidedUpsample(lowResolutionMatte, grid, image.rgb, image)
			: await matteToImageSize(lowResolutionMatte, grid, image);
	const matte = image.alpha ? multiplyMattes(upsampled, image.alpha) : upsampled;
	if (matte !== upsampled) recyclePixels(upsampled);
	return { matte, lowResolutionMatte, grid, modelSquare: inputs.get(inputKey(size, PLAIN_VIEW))?.square, inferMs };
}

/**
 * The model inputs one call has made of one image (the RGB square and its tensor), by their view apart from
 * the mirror: High's four views need two resizes of the image (its models share a contract).
 */
export type ModelInputs = Map<string, { square: Buffer; tensor: Float32Array }>;

function inputKey(size: number, view: MatteView): string {
	return `${size}-${viewName({ ...view, mirror: false })}`;
}

/** The model's size×size matte of one view of the image, as the model saw it (mirrored, with margins). */
export type RenderView = (image: DecodedImage, model: SegmentationModel, size: number, view: MatteView, inputs?: ModelInputs) => Promise<Buffer>;

export const renderView: RenderView = async (image, model, size, view, inputs = new Map()) => {
	const key = inputKey(size, view);
	let input = inputs.get(key);
	if (!input) {
		const { crop } = view;
		const rgb = crop ? await sharp(image.rgb, { raw: { width: image.width, height: image.height, channels: 3 } }).extract(crop).raw().toBuffer() : image.rgb;
		const { width, height } = crop ?? image;
		const square = await toModelSquare(rgb, width, height, size, view.margins, view.kernel, view.marginFill);
		input = { square, tensor: normalisePlanar(square, size * size, model.contract.input) };
		inputs.set(key, input);
	}
	return runSegmentation(model.session, model.contract, view.mirror ? mirrorPlanes(input.tensor, size, 3) : input.tensor, size);
};

/**
 * The size×size matte for a quality, from the views `runView` returns (the model's, or a cache of them);
 * High's four views come from `runHighViews` (the int8 graph's), or without it High is the model's image
 * and reflected mirror view.
 */
export async function matteForQuality(quality: MatteQuality, size: number, runView: RunView, runHighViews?: RunView): Promise<Buffer> {
	if (quality !== 'high') return runView(PLAIN_VIEW);
	if (!runHighViews) {
		const plain = await runView(PLAIN_VIEW);
		return joinMattes([plain, await runView(mirrorViewFor(plain, size))]);
	}
	const plain = await runHighViews(PLAIN_VIEW);
	const mattes = [plain];
	for (const view of highViewsFor(plain, size)) mattes.push(await runHighViews(view));
	return joinMattes(mattes);
}
