import { decodeImage, type DecodeLimits } from '../image/decode';
import { refineForeground } from '../matte/foreground';
import type { SegmentationModel } from '../models/segmentationModels';
import { type CutoutEncodeOptions, type EncodedCutout, encodeCutout } from '../image/encodeCutout';
import { type MatteQuality, type OperatingResolution, segmentImage } from '../segmentation/segmentImage';

export interface RemoveBackgroundOptions extends CutoutEncodeOptions {
	resolution?: OperatingResolution;
	/** 'high' also runs the model on the mirror image and averages (see MatteQuality); default 'standard'. */
	matteQuality?: MatteQuality;
	/** Blur-fusion foreground colour estimation (default on). */
	refineForeground?: boolean;
	limits: DecodeLimits;
}

export interface Timings {
	decodeMs: number;
	inferMs: number;
	refineMs: number;
	encodeMs: number;
}

export interface RemoveBackgroundResult extends EncodedCutout {
	/** Size of the input (after EXIF orientation). */
	width: number;
	height: number;
	model: string;
	timings: Timings;
}

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
	const { matte } = await segmentImage(decoded, model, { resolution: options.resolution, quality: options.matteQuality });
	const inferMs = lap();
	const foreground =
		options.refineForeground === false ? decoded.rgb : await refineForeground(decoded.rgb, matte, decoded.width, decoded.height);
	const refineMs = lap();

	const { width, height } = decoded;
	const encoded = await encodeCutout(foreground, matte, width, height, options);
	const encodeMs = lap();

	return { ...encoded, width, height, model: model.id, timings: { decodeMs, inferMs, refineMs, encodeMs } };
}
