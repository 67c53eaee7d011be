import { CutoutError } from '../errors';
import { decodeImage, type DecodeLimits } from '../image/decode';
import { encodeMask, type EncodedImage, type MaskOutputFormat } from '../image/encode';
import { feather, growOrShrink, invert, threshold } from '../matte/morphology';
import { type Box, foregroundFraction, subjectBox } from '../matte/stats';
import type { SegmentationModel } from '../models/segmentationModels';
import { type MatteQuality, type OperatingResolution, segmentImage } from '../segmentation/segmentImage';
import { stopwatch } from '../stopwatch';

const MAX_FEATHER = 500;

export interface AlphaMatteOptions {
	resolution?: OperatingResolution;
	/** 'high' also runs the model on the mirror image and averages (see MatteQuality); default 'standard'. */
	matteQuality?: MatteQuality;
	/**
	 * Upsample the model's matte with a guided filter on the full-resolution image (default on: on
	 * alphamatting_train_lowres at 2× it lowers MAE in the trimap's unknown band by 6 %; bench/guided-upsampling.ts).
	 */
	guidedUpsampling?: boolean;
	/** A binary mask instead of the soft matte: 255 where alpha ≥ threshold. */
	binary?: boolean;
	/** 0–1 (default 0.5), for binary output. */
	threshold?: number;
	/** Pixels to grow (positive) or shrink (negative) the subject. */
	grow?: number;
	/** Soften the edge over about this many pixels. */
	feather?: number;
	/** White background, black subject. */
	invert?: boolean;
	format?: MaskOutputFormat;
	limits: DecodeLimits;
}

export interface AlphaMatteTimings {
	decodeMs: number;
	inferMs: number;
	/** Upsampling and the threshold, grow, feather and invert steps. */
	refineMs: number;
	encodeMs: number;
}

export interface EncodedMatte {
	mask: EncodedImage;
	/** Of the subject as output, before inversion. */
	foregroundFraction: number;
	subjectBox: Box | null;
}

export interface AlphaMatteResult extends EncodedMatte {
	width: number;
	height: number;
	model: string;
	timings: AlphaMatteTimings;
}

/** The subject's matte at the input's full resolution, shaped as asked, as a greyscale image. */
export async function alphaMatte(input: Buffer, model: SegmentationModel, options: AlphaMatteOptions): Promise<AlphaMatteResult> {
	const lap = stopwatch();

	checkShapeOptions(options);
	const decoded = await decodeImage(input, options.limits);
	const decodeMs = lap();
	const upsampling = options.guidedUpsampling === false ? 'linear' : 'guided';
	const { matte: raw, inferMs } = await segmentImage(decoded, model, { resolution: options.resolution, upsampling, quality: options.matteQuality });
	// segmentImage times the model alone; the rest of its work counts as refinement.
	const refineStart = lap() - Math.round(inferMs);
	const { width, height } = decoded;
	const matte = await shapeMatte(raw, { width, height }, options);
	const refineMs = refineStart + lap();
	const encoded = await encodeMatte(matte, { width, height }, options);
	const encodeMs = lap();

	return { ...encoded, width, height, model: model.id, timings: { decodeMs, inferMs: Math.round(inferMs), refineMs, encodeMs } };
}

/** Inverts when asked and encodes a shaped matte, whichever engine made it; statistics are of the subject. */
export async function encodeMatte(
	matte: Buffer,
	size: { width: number; height: number },
	options: Pick<AlphaMatteOptions, 'invert' | 'format'>,
): Promise<EncodedMatte> {
	const output = options.invert ? invert(matte) : matte;
	return {
		mask: await encodeMask(output, size.width, size.height, options.format ?? 'png'),
		foregroundFraction: foregroundFraction(matte),
		subjectBox: subjectBox(matte, size.width, size.height),
	};
}

/** Threshold (when binary), then grow or shrink, then feather; inversion is left to the caller. */
export async function shapeMatte(
	matte: Buffer,
	size: { width: number; height: number },
	options: Pick<AlphaMatteOptions, 'binary' | 'threshold' | 'grow' | 'feather'>,
): Promise<Buffer> {
	let shaped = options.binary ? threshold(matte, options.threshold ?? 0.5) : matte;
	if (options.grow) shaped = growOrShrink(shaped, size, options.grow);
	if (options.feather) shaped = await feather(shaped, size, options.feather);
	return shaped;
}

/** Refuses shaping settings out of range, before any work (or upload) happens. */
export function checkShapeOptions(options: Pick<AlphaMatteOptions, 'threshold' | 'grow' | 'feather'>): void {
	const { threshold: level = 0.5, grow = 0, feather: softness = 0 } = options;
	if (!(level >= 0 && level <= 1)) throw new CutoutError('invalid_option', `Threshold must be from 0 to 1, got ${level}`);
	if (!Number.isInteger(grow)) throw new CutoutError('invalid_option', `Grow/shrink must be a whole number of pixels, got ${grow}`);
	if (!(softness >= 0 && softness <= MAX_FEATHER)) {
		throw new CutoutError('invalid_option', `Feather must be from 0 to ${MAX_FEATHER} pixels, got ${softness}`);
	}
}
