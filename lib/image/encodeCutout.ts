import { encodeMask, encodeRgb, encodeRgbAndAlpha, type CutoutOutputFormat, type EncodedImage, type PngEffort, type Rgb } from './encode';
import { cropInterleaved, flattenOnto } from '../matte/composite';
import { type Box, foregroundFraction, padBox, subjectBox } from '../matte/stats';

/** How a cutout is written out, whichever engine made the matte. */
export interface CutoutEncodeOptions {
	format?: CutoutOutputFormat;
	/** Solid background instead of transparency; JPEG always flattens (default white). */
	background?: Rgb;
	quality?: number;
	/** For the PNG cutout and the mask; default 'balanced'. */
	pngEffort?: PngEffort;
	includeMask?: boolean;
	/** Crop image and mask to the subject plus this many pixels; undefined keeps the full frame. */
	cropMargin?: number;
}

export interface EncodedCutout {
	image: EncodedImage;
	mask?: EncodedImage;
	/** Present when the output was cropped to the subject. */
	crop?: Box;
	foregroundFraction: number;
	subjectBox: Box | null;
}

const WHITE: Rgb = { r: 255, g: 255, b: 255 };

/**
 * Crops, flattens or keeps transparency, and encodes the cutout and its mask from full-resolution planes.
 * `foreground` is handed over: a transparent cutout blacks out its colours where the matte is 0.
 */
export async function encodeCutout(
	foreground: Buffer,
	matte: Buffer,
	width: number,
	height: number,
	options: CutoutEncodeOptions,
): Promise<EncodedCutout> {
	const box = subjectBox(matte, width, height);
	const crop = options.cropMargin !== undefined && box ? padBox(box, options.cropMargin, width, height) : undefined;
	const frame = crop ?? { x: 0, y: 0, width, height };
	const alpha = crop ? cropInterleaved(matte, width, 1, crop) : matte;
	const colour = crop ? cropInterleaved(foreground, width, 3, crop) : foreground;

	const format = options.format ?? 'png';
	const flatten = options.background !== undefined || format === 'jpeg';
	// Both encodes compress on the thread pool side by side (PNG filters their rows first, on this thread).
	const encoding = { quality: options.quality, pngEffort: options.pngEffort };
	const [image, mask] = await Promise.all([
		flatten
			? encodeRgb(flattenOnto(colour, alpha, options.background ?? WHITE), frame.width, frame.height, format, encoding)
			: encodeRgbAndAlpha(colour, alpha, frame.width, frame.height, format, encoding),
		options.includeMask === false ? undefined : encodeMask(alpha, frame.width, frame.height, 'png', encoding),
	]);
	return { image, mask, crop, foregroundFraction: foregroundFraction(matte), subjectBox: box };
}
