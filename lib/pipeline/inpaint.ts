import { decodeImage, type DecodeLimits } from '../image/decode';
import { encodeMask, encodeRgb, type EncodedImage } from '../image/encode';
import type { InpaintEngine } from '../inpaint/engines';
import { checkDilation, dilateHoles, type HoleRequest, holeFraction, type InpaintMode, resolveHoles } from '../inpaint/mask';
import { planCrops } from '../inpaint/regions';
import { cropInterleaved } from '../matte/composite';
import { feather } from '../matte/morphology';
import type { Box } from '../matte/stats';
import type { SegmentationModel } from '../models/segmentationModels';
import { type SegmentOptions, segmentImage } from '../segmentation/segmentImage';
import { stopwatch } from '../stopwatch';

export type InpaintOutputFormat = 'png' | 'webp' | 'jpeg';

export interface InpaintOptions {
	engine: InpaintEngine;
	/** An encoded mask image, white = fill; wins over `bbox` and the subject. */
	mask?: Buffer;
	/** In image pixels; wins over the subject. */
	bbox?: Box;
	/** Auto-subject mode, used when neither a mask nor a box is given: the subject is erased. */
	segmentation?: { model: SegmentationModel } & Pick<SegmentOptions, 'resolution' | 'quality'>;
	/** Pixels (0–32) the region grows before filling; default 8. */
	dilation?: number;
	format?: InpaintOutputFormat;
	quality?: number;
	limits: DecodeLimits;
}

export interface InpaintTimings {
	decodeMs: number;
	/** Reading the mask or box, or finding the subject, and dilating. */
	maskMs: number;
	fillMs: number;
	encodeMs: number;
}

export interface InpaintResult {
	image: EncodedImage;
	/** The region actually filled (after dilation), 255 = filled, as PNG. */
	mask: EncodedImage;
	width: number;
	height: number;
	mode: InpaintMode;
	/** The engine or model that filled the region. */
	model: string;
	/** Share of the image filled, after dilation. */
	holeFraction: number;
	/** Set when the region covers more than half the image. */
	warning?: string;
	/** Crops the engine ran on. */
	crops: number;
	timings: InpaintTimings;
}

export const DEFAULT_DILATION = 8;
const LARGE_HOLE_FRACTION = 0.5;

/**
 * Erases a region and fills it with background. Every pixel outside the (dilated) region is the decoded
 * input's, byte for byte: the output starts as a copy of the input and only region pixels are written.
 * Transparency is flattened onto white, as decoding presents it.
 */
export async function inpaint(input: Buffer, options: InpaintOptions): Promise<InpaintResult> {
	const lap = stopwatch();

	const decoded = await decodeImage(input, options.limits);
	const decodeMs = lap();
	const size = { width: decoded.width, height: decoded.height };
	const segmentation = options.segmentation;
	const request: HoleRequest = {
		mask: options.mask,
		bbox: options.bbox,
		subjectMatte: segmentation ? async () => (await segmentImage(decoded, segmentation.model, segmentation)).matte : undefined,
	};
	// Checked before any model runs, so a bad setting fails fast.
	const dilation = checkDilation(options.dilation ?? DEFAULT_DILATION);
	const { mode, plane } = await resolveHoles(size, request, options.limits);
	holeFraction(plane);
	const holes = dilateHoles(plane, size, dilation);
	const fraction = holeFraction(holes);
	const maskMs = lap();

	const { rgb, crops } = await fillHoles(decoded.rgb, holes, size, options.engine);
	const fillMs = lap();

	const format = options.format ?? 'png';
	const image = await encodeRgb(rgb, size.width, size.height, format, { quality: options.quality });
	const mask = await encodeMask(holes, size.width, size.height);
	const encodeMs = lap();

	return {
		image,
		mask,
		...size,
		mode,
		model: options.engine.id,
		holeFraction: fraction,
		warning:
			fraction > LARGE_HOLE_FRACTION
				? `The region to fill covers ${Math.round(fraction * 100)} % of the image; fill quality drops on very large holes`
				: undefined,
		crops: crops.length,
		timings: { decodeMs, maskMs, fillMs, encodeMs },
	};
}

/**
 * Runs the engine on each crop and writes its fill into a copy of `rgb`, at hole pixels only (feathered
 * inward when the engine asks). Pixels outside `holes` are never written.
 */
export async function fillHoles(
	rgb: Buffer,
	holes: Buffer,
	size: { width: number; height: number },
	engine: InpaintEngine,
): Promise<{ rgb: Buffer; crops: Box[] }> {
	const out = Buffer.from(rgb);
	const crops = planCrops(holes, size, engine.cropRule);
	const weights = engine.featherPixels > 0 ? await featherInside(holes, size, engine.featherPixels) : holes;
	for (const crop of crops) {
		// Crops see the image as filled so far, so a later crop never copies an earlier crop's hole.
		const hole = cropInterleaved(holes, size.width, 1, crop);
		const filled = await engine.fill({ width: crop.width, height: crop.height, rgb: cropInterleaved(out, size.width, 3, crop), hole });
		for (let y = 0; y < crop.height; y++) {
			for (let x = 0; x < crop.width; x++) {
				const i = (crop.y + y) * size.width + crop.x + x;
				const w = holes[i] ? weights[i] : 0;
				if (w === 0) continue;
				const p = i * 3;
				const q = (y * crop.width + x) * 3;
				for (let c = 0; c < 3; c++) out[p + c] = Math.round((filled[q + c] * w + out[p + c] * (255 - w)) / 255);
			}
		}
	}
	return { rgb: out, crops };
}

/** Weights for a feathered paste: the hole blurred, kept only inside the hole (so 0 outside it). */
async function featherInside(holes: Buffer, size: { width: number; height: number }, pixels: number): Promise<Buffer> {
	const blurred = await feather(holes, size, pixels);
	const weights = Buffer.allocUnsafe(holes.length);
	for (let i = 0; i < holes.length; i++) weights[i] = holes[i] ? Math.max(1, blurred[i]) : 0;
	return weights;
}
