import type { Engine, EngineReport, MatteTimings } from '../engines/engine';
import { DEFAULT_DECODE_LIMITS, type DecodeLimits } from '../image/decode';
import { type CutoutEncodeOptions, encodeCutout } from '../image/encodeCutout';
import type { EncodedImage } from '../image/encode';
import { recyclePixels } from '../image/pixelPool';
import type { Box } from '../matte/stats';
import { stopwatch } from '../stopwatch';
import { withinPixelBudget } from './pixelBudget';

export interface RemoveBackgroundOptions extends CutoutEncodeOptions {
	/** Foreground colours at soft edges without the old background's tint (default on). */
	refineForeground?: boolean;
	/** Default 64 MP and 100 MB. */
	limits?: DecodeLimits;
}

export interface RemoveBackgroundTimings extends MatteTimings {
	encodeMs: number;
}

/** The same fields whichever engine ran (null where an engine has nothing to report). */
export interface RemoveBackgroundFields extends EngineReport {
	/** Size of the input (after EXIF orientation). */
	width: number;
	height: number;
	/** Share of the image that is subject (mean alpha), 4 decimals. */
	foregroundFraction: number;
	subjectBox: Box | null;
	/** Present when the output was cropped to the subject. */
	crop?: Box;
	timings: RemoveBackgroundTimings;
}

export interface RemoveBackgroundResult {
	/** The cutout: RGBA, or flattened onto the background colour. */
	image: EncodedImage;
	/** The 8-bit mask as PNG, unless includeMask is false. */
	mask?: EncodedImage;
	fields: RemoveBackgroundFields;
}

/** Cuts the subject out of an image at the input's full resolution, on the given engine. */
export async function removeBackground(input: Buffer, engine: Engine, options: RemoveBackgroundOptions = {}): Promise<RemoveBackgroundResult> {
	return withinPixelBudget(input, () => removeBackgroundWithin(input, engine, options));
}

async function removeBackgroundWithin(input: Buffer, engine: Engine, options: RemoveBackgroundOptions): Promise<RemoveBackgroundResult> {
	const cutout = await engine.cutout(input, {
		limits: options.limits ?? DEFAULT_DECODE_LIMITS,
		refineForeground: options.refineForeground !== false,
		includeMask: options.includeMask !== false,
	});
	const lap = stopwatch();
	const { width, height } = cutout;
	const encoded = await encodeCutout(cutout.foreground, cutout.alpha, width, height, options);
	// Encoded: nothing reads the colours or the matte any more; buffers the engine borrowed are kept for the
	// next image (lib/image/pixelPool.ts).
	recyclePixels(cutout.foreground);
	recyclePixels(cutout.alpha);
	return {
		image: encoded.image,
		mask: encoded.mask,
		fields: {
			width,
			height,
			...cutout.report,
			foregroundFraction: Number(encoded.foregroundFraction.toFixed(4)),
			subjectBox: encoded.subjectBox,
			...(encoded.crop ? { crop: encoded.crop } : {}),
			timings: { ...cutout.timings, encodeMs: lap() },
		},
	};
}
