import { decodeImage, type DecodeLimits } from '../image/decode';
import { encodeMask, encodeRgb, encodeRgba, type CutoutOutputFormat, type EncodedImage, type Rgb } from '../image/encode';
import { cropInterleaved, flattenOnto, toRgba } from '../matte/composite';
import { refineForeground } from '../matte/foreground';
import { type Box, foregroundFraction, padBox, subjectBox } from '../matte/stats';
import type { SegmentationModel } from '../models/segmentationModels';
import { type OperatingResolution, segmentImage } from './segmentImage';

export interface RemoveBackgroundOptions {
	resolution?: OperatingResolution;
	/** Blur-fusion foreground colour estimation (default on). */
	refineForeground?: boolean;
	format?: CutoutOutputFormat;
	/** Solid background instead of transparency; JPEG always flattens (default white). */
	background?: Rgb;
	quality?: number;
	includeMask?: boolean;
	/** Crop image and mask to the subject plus this many pixels; undefined keeps the full frame. */
	cropMargin?: number;
	limits: DecodeLimits;
}

export interface Timings {
	decodeMs: number;
	inferMs: number;
	refineMs: number;
	encodeMs: number;
}

export interface RemoveBackgroundResult {
	image: EncodedImage;
	mask?: EncodedImage;
	/** Size of the input (after EXIF orientation). */
	width: number;
	height: number;
	model: string;
	/** Present when the output was cropped to the subject. */
	crop?: Box;
	foregroundFraction: number;
	subjectBox: Box | null;
	timings: Timings;
}

const WHITE: Rgb = { r: 255, g: 255, b: 255 };

export async function removeBackground(
	input: Buffer,
	model: SegmentationModel,
	options: RemoveBackgroundOptions,
): Promise<RemoveBackgroundResult> {
	let mark = performance.now();
	const lap = () => {
		const now = performance.now();
		const elapsed = now - mark;
		mark = now;
		return Math.round(elapsed);
	};

	const decoded = await decodeImage(input, options.limits);
	const decodeMs = lap();
	const { matte } = await segmentImage(decoded, model, options.resolution);
	const inferMs = lap();
	const foreground =
		options.refineForeground === false ? decoded.rgb : await refineForeground(decoded.rgb, matte, decoded.width, decoded.height);
	const refineMs = lap();

	const { width, height } = decoded;
	const box = subjectBox(matte, width, height);
	const crop = options.cropMargin !== undefined && box ? padBox(box, options.cropMargin, width, height) : undefined;
	const frame = crop ?? { x: 0, y: 0, width, height };
	const alpha = crop ? cropInterleaved(matte, width, 1, crop) : matte;
	const colour = crop ? cropInterleaved(foreground, width, 3, crop) : foreground;

	const format = options.format ?? 'png';
	const flatten = options.background !== undefined || format === 'jpeg';
	const image = flatten
		? await encodeRgb(flattenOnto(colour, alpha, options.background ?? WHITE), frame.width, frame.height, format, {
				quality: options.quality,
			})
		: await encodeRgba(toRgba(colour, alpha), frame.width, frame.height, format, { quality: options.quality });
	const mask = options.includeMask === false ? undefined : await encodeMask(alpha, frame.width, frame.height);
	const encodeMs = lap();

	return {
		image,
		mask,
		width,
		height,
		model: model.id,
		crop,
		foregroundFraction: foregroundFraction(matte),
		subjectBox: box,
		timings: { decodeMs, inferMs, refineMs, encodeMs },
	};
}
