import type { Engine, EngineReport, FillTimings } from '../engines/engine';
import { DEFAULT_DECODE_LIMITS, type DecodeLimits } from '../image/decode';
import { encodeMask, encodeRgb, type EncodedImage } from '../image/encode';
import { holeFraction, type InpaintMode } from '../inpaint/mask';
import type { Box } from '../matte/stats';
import { stopwatch } from '../stopwatch';
import { withinPixelBudget } from './pixelBudget';

export type InpaintOutputFormat = 'png' | 'webp' | 'jpeg';

export interface InpaintOptions {
	/** An encoded mask image, white = fill; wins over `box` and the subject. */
	mask?: Buffer;
	/** In image pixels; wins over the subject. With neither, the subject is erased. */
	box?: Box;
	/** Pixels (0–32) the region grows before filling; default 8. */
	dilation?: number;
	format?: InpaintOutputFormat;
	quality?: number;
	/** Default 64 MP and 100 MB. */
	limits?: DecodeLimits;
}

export interface InpaintTimings extends FillTimings {
	encodeMs: number;
}

/** The same fields whichever engine ran (null where an engine has nothing to report). */
export interface InpaintFields extends EngineReport {
	width: number;
	height: number;
	mode: InpaintMode;
	/** What found the subject in 'subject' mode: the local model, or the provider. */
	subjectModel: string | null;
	/** Share of the image filled, after dilation; 4 decimals. */
	holeFraction: number;
	timings: InpaintTimings;
	/** Set when the region covers more than half the image. */
	warning?: string;
}

export interface InpaintResult {
	image: EncodedImage;
	/** The region actually filled (after dilation), 255 = filled, as PNG. */
	mask: EncodedImage;
	fields: InpaintFields;
}

export const DEFAULT_DILATION = 8;
const LARGE_HOLE_FRACTION = 0.5;

/**
 * Erases a region (mask > box > subject) and fills it with background, on the given engine. Every pixel
 * outside the (dilated) region is the decoded input's, byte for byte. Transparency is flattened onto white,
 * as decoding presents it.
 */
export async function inpaint(input: Buffer, engine: Engine, options: InpaintOptions = {}): Promise<InpaintResult> {
	return withinPixelBudget(input, () => inpaintWithin(input, engine, options));
}

async function inpaintWithin(input: Buffer, engine: Engine, options: InpaintOptions): Promise<InpaintResult> {
	const filled = await engine.fill(input, {
		limits: options.limits ?? DEFAULT_DECODE_LIMITS,
		mask: options.mask,
		box: options.box,
		dilation: options.dilation ?? DEFAULT_DILATION,
	});
	const lap = stopwatch();
	const { width, height, holes } = filled;
	const [image, mask] = await Promise.all([
		encodeRgb(filled.rgb, width, height, options.format ?? 'png', { quality: options.quality }),
		encodeMask(holes, width, height),
	]);
	const fraction = holeFraction(holes);
	return {
		image,
		mask,
		fields: {
			width,
			height,
			...filled.report,
			mode: filled.mode,
			subjectModel: filled.subjectModel,
			holeFraction: Number(fraction.toFixed(4)),
			timings: { ...filled.timings, encodeMs: lap() },
			...(fraction > LARGE_HOLE_FRACTION
				? { warning: `The region to fill covers ${Math.round(fraction * 100)} % of the image; fill quality drops on very large holes` }
				: {}),
		},
	};
}
