import type { Engine, EngineReport, MatteTimings } from '../engines/engine';
import { DEFAULT_DECODE_LIMITS, type DecodeLimits } from '../image/decode';
import { encodeMask, type EncodedImage, type MaskOutputFormat } from '../image/encode';
import { recyclePixels } from '../image/pixelPool';
import { invert } from '../matte/morphology';
import { checkShapeOptions, type MatteShape, shapeMatte } from '../matte/shape';
import { type Box, foregroundFraction, subjectBox } from '../matte/stats';
import { stopwatch } from '../stopwatch';
import { withinPixelBudget } from './pixelBudget';

export interface AlphaMatteOptions extends MatteShape {
	/**
	 * Upsample a low-resolution matte with a guided filter on the full-resolution image (default on: on
	 * alphamatting_train_lowres at 2× it lowers MAE in the trimap's unknown band by 6 %; bench/guided-upsampling.ts).
	 * A hosted provider's matte smaller than the input is upsampled linearly.
	 */
	guidedUpsampling?: boolean;
	/** White background, black subject. */
	invert?: boolean;
	format?: MaskOutputFormat;
	/** Default 64 MP and 100 MB. */
	limits?: DecodeLimits;
}

export interface AlphaMatteTimings extends MatteTimings {
	encodeMs: number;
}

/** The same fields whichever engine ran (null where an engine has nothing to report). */
export interface AlphaMatteFields extends EngineReport {
	width: number;
	height: number;
	/** Of the subject as output, before inversion; 4 decimals. */
	foregroundFraction: number;
	subjectBox: Box | null;
	timings: AlphaMatteTimings;
}

export interface AlphaMatteResult {
	/** The matte as a greyscale image at the input's size. */
	mask: EncodedImage;
	fields: AlphaMatteFields;
}

/** The subject's matte at the input's full resolution, shaped as asked, on the given engine. */
export async function alphaMatte(input: Buffer, engine: Engine, options: AlphaMatteOptions = {}): Promise<AlphaMatteResult> {
	return withinPixelBudget(input, () => alphaMatteWithin(input, engine, options));
}

async function alphaMatteWithin(input: Buffer, engine: Engine, options: AlphaMatteOptions): Promise<AlphaMatteResult> {
	checkShapeOptions(options);
	const matte = await engine.matte(input, {
		limits: options.limits ?? DEFAULT_DECODE_LIMITS,
		guidedUpsampling: options.guidedUpsampling !== false,
	});
	const lap = stopwatch();
	const { width, height } = matte;
	const shaped = await shapeMatte(matte.alpha, matte, options);
	const shapeMs = lap();
	const mask = await encodeMask(options.invert ? invert(shaped) : shaped, width, height, options.format ?? 'png');
	const fields: AlphaMatteFields = {
		width,
		height,
		...matte.report,
		foregroundFraction: Number(foregroundFraction(shaped).toFixed(4)),
		subjectBox: subjectBox(shaped, width, height),
		timings: { ...matte.timings, refineMs: matte.timings.refineMs + shapeMs, encodeMs: lap() },
	};
	// Nothing reads the matte any more: a buffer the engine borrowed is kept for the next image.
	recyclePixels(matte.alpha);
	return { mask, fields };
}
