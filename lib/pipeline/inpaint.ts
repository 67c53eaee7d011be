import type { Engine, EngineReport, FillTimings } from '../engines/engine';
import { DEFAULT_DECODE_LIMITS, type DecodeLimits } from '../image/decode';
import { encodeMask, encodeRgb, type EncodedImage, type PngEffort, pngStripOptions } from '../image/encode';
import { recyclePixels } from '../image/pixelPool';
import { PngStripEncoder } from '../image/pngStrips';
import { holeFraction, type InpaintMode } from '../inpaint/mask';
import { type Box, firstNonZero, lastNonZero } from '../matte/stats';
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
	/** For the PNG image and the mask; default 'balanced'. */
	pngEffort?: PngEffort;
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
	const format = options.format ?? 'png';
	let early: EarlyEncoding | undefined;
	const filled = await engine.fill(input, {
		limits: options.limits ?? DEFAULT_DECODE_LIMITS,
		mask: options.mask,
		box: options.box,
		dilation: options.dilation ?? DEFAULT_DILATION,
		onRegion: (region) => (early = startEncoding(region, format, options.pngEffort)),
	});
	const lap = stopwatch();
	const { width, height, holes } = filled;
	const png = format === 'png' ? (early?.png ?? new PngStripEncoder(width, height, pngStripOptions(options.pngEffort))) : null;
	const [image, mask] = await Promise.all([
		png
			? png.finish({ rgb: filled.rgb }).then((data): EncodedImage => ({ data, mimeType: 'image/png', fileExtension: 'png' }))
			: encodeRgb(filled.rgb, width, height, format, { quality: options.quality }),
		early?.mask ?? encodeMask(holes, width, height, 'png', { pngEffort: options.pngEffort }),
	]);
	// Encoded: nothing reads the filled colours any more; a decoder's buffer is kept for the next image.
	recyclePixels(filled.rgb);
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

interface EarlyEncoding {
	mask: Promise<EncodedImage>;
	png: PngStripEncoder | null;
}

/**
 * Starts, while the fill runs, on what it will not change: the mask, and for PNG the rows above and below
 * the region.
 */
function startEncoding(region: { rgb: Buffer; holes: Buffer; width: number; height: number }, format: InpaintOutputFormat, effort?: PngEffort): EarlyEncoding {
	const { rgb, holes, width, height } = region;
	const mask = encodeMask(holes, width, height, 'png', { pngEffort: effort });
	// Awaited after the fill; should the fill fail first, the rejection must not go unhandled meanwhile.
	mask.catch(() => undefined);
	if (format !== 'png') return { mask, png: null };
	const png = new PngStripEncoder(width, height, pngStripOptions(effort));
	const first = firstNonZero(holes, 0, holes.length);
	const last = lastNonZero(holes, 0, holes.length);
	// Rows above the region, and below it from the second row on (the first one's filter reads the last
	// filled row), are final now.
	if (first < holes.length) {
		png.add({ rgb }, 0, Math.floor(first / width));
		png.add({ rgb }, Math.floor(last / width) + 2, height);
	}
	return { mask, png };
}
