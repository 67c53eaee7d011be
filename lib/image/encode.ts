import sharp from 'sharp';

import { CutoutError } from '../errors';
import { type PngPixels, PngStripEncoder, type PngStripOptions } from './pngStrips';

export type CutoutOutputFormat = 'png' | 'webp' | 'avif' | 'gif' | 'jpeg';
export type TransparentOutputFormat = Exclude<CutoutOutputFormat, 'jpeg'>;
/** WebP is lossless; png16 is a 16-bit greyscale PNG. */
export type MaskOutputFormat = 'png' | 'png16' | 'webp';

export interface EncodedImage {
	data: Buffer;
	mimeType: string;
	fileExtension: string;
}

export interface Rgb {
	r: number;
	g: number;
	b: number;
}

/** How hard the PNG encoder works: time against file size (figures in the README's performance section). */
export type PngEffort = 'fast' | 'balanced' | 'small';

export interface PngEncodeOptions {
	/** Default 'balanced'. */
	pngEffort?: PngEffort;
}

export interface EncodeOptions extends PngEncodeOptions {
	/** 1–100, for JPEG, WebP and AVIF; PNG and GIF ignore it. Unset uses sharp's default for the format. */
	quality?: number;
}

export interface EncodeRgbaOptions extends EncodeOptions {
	/** What JPEG, having no alpha, is flattened onto (default white). */
	background?: Rgb;
}

const TRANSPARENT_OUTPUT_FORMATS: readonly TransparentOutputFormat[] = ['png', 'webp', 'avif', 'gif'];
const CUTOUT_OUTPUT_FORMATS: readonly CutoutOutputFormat[] = [...TRANSPARENT_OUTPUT_FORMATS, 'jpeg'];
const MASK_OUTPUT_FORMATS: readonly MaskOutputFormat[] = ['png', 'png16', 'webp'];

const FILE_TYPES: Readonly<Record<CutoutOutputFormat, Omit<EncodedImage, 'data'>>> = {
	png: { mimeType: 'image/png', fileExtension: 'png' },
	webp: { mimeType: 'image/webp', fileExtension: 'webp' },
	avif: { mimeType: 'image/avif', fileExtension: 'avif' },
	gif: { mimeType: 'image/gif', fileExtension: 'gif' },
	jpeg: { mimeType: 'image/jpeg', fileExtension: 'jpg' },
};

/**
 * PNG files are written by lib/image/pngStrips.ts (Sub/Up row filters, zlib on the thread pool in strips).
 * Its filters cost little, so every effort filters: unfiltered rows made photographic files 1.4–1.5× as large
 * for no time saved (bench/RESULTS.md). 'balanced' is zlib level 4; 'fast' level 1, files ≈ 5 % larger in
 * 75–85 % of the time; 'small' level 9, 2–3 % smaller in 3–5× the time. On 17 photos, full frame and cut
 * out: bench/RESULTS.md and the README's Remove Background section. 'fast' and 'balanced' deflate mattes
 * and sparse colour strips as runs (lib/image/pngStrips.ts): as small and several times faster there;
 * 'small' leaves zlib's full search on everywhere.
 */
const PNG_EFFORTS: Readonly<Record<PngEffort, PngStripOptions>> = {
	fast: { level: 1, filters: true, runLengths: true },
	balanced: { level: 4, filters: true, runLengths: true },
	small: { level: 9, filters: true },
};
/** sharp's default effort 4 takes ~11 s on 12 MP RGBA; 3 takes ~2.5 s for a file ~9% larger. */
const AVIF_EFFORT = 3;
/** sharp's default effort 7 takes ~7 s on 12 MP RGBA; 3 takes ~1.9 s for a file ~20% larger. */
const GIF_EFFORT = 3;
/** The WebP bitstream stores each dimension in 14 bits. */
const WEBP_MAX_DIMENSION = 16383;

const WHITE: Rgb = { r: 255, g: 255, b: 255 };

export async function encodeRgba(
	rgba: Buffer,
	width: number,
	height: number,
	format: CutoutOutputFormat,
	options: EncodeRgbaOptions = {},
): Promise<EncodedImage> {
	assertRaw(rgba, width, height, 4, 'RGBA');
	assertOneOf(format, CUTOUT_OUTPUT_FORMATS, 'output format');
	const background = options.background === undefined ? WHITE : assertRgb(options.background);
	let image = sharp(rgba, { raw: { width, height, channels: 4 } });
	if (format === 'jpeg') image = image.flatten({ background });
	return encode(image, width, height, format, options);
}

/**
 * Encodes colours and a separate matte as RGBA without interleaving them here: the PNG encoder and libvips
 * join them strip by strip while they encode, where an interleaved copy would take 4 bytes a pixel (96 MB at
 * 24 MP). Fully transparent pixels get black, as toRgba (lib/matte/composite.ts) gives them, so the file is
 * the same: the PNG encoder writes them so; for the other formats they are blacked out in `rgb` itself,
 * which the caller hands over (a mask to do it in libvips would take another byte a pixel). JPEG has no
 * alpha: flatten with encodeRgb instead.
 */
export async function encodeRgbAndAlpha(
	rgb: Buffer,
	alpha: Buffer,
	width: number,
	height: number,
	format: TransparentOutputFormat,
	options: EncodeOptions = {},
): Promise<EncodedImage> {
	assertRaw(rgb, width, height, 3, 'RGB');
	assertRaw(alpha, width, height, 1, 'alpha');
	assertOneOf(format, TRANSPARENT_OUTPUT_FORMATS, 'transparent output format');
	if (format === 'png') return encodePng({ rgb, alpha }, 'rgba', width, height, options.pngEffort);
	for (let i = 0, p = 0; i < alpha.length; i++, p += 3) {
		if (alpha[i] === 0) rgb[p] = rgb[p + 1] = rgb[p + 2] = 0;
	}
	const image = sharp(rgb, { raw: { width, height, channels: 3 } }).joinChannel(alpha, { raw: { width, height, channels: 1 } });
	return encode(image, width, height, format, options);
}

export async function encodeRgb(
	rgb: Buffer,
	width: number,
	height: number,
	format: CutoutOutputFormat,
	options: EncodeOptions = {},
): Promise<EncodedImage> {
	assertRaw(rgb, width, height, 3, 'RGB');
	assertOneOf(format, CUTOUT_OUTPUT_FORMATS, 'output format');
	if (format === 'png') return encodePng({ rgb }, 'rgb', width, height, options.pngEffort);
	return encode(sharp(rgb, { raw: { width, height, channels: 3 } }), width, height, format, options);
}

/**
 * Encodes an 8-bit matte as a single-channel greyscale image. WebP has no greyscale mode, so a WebP mask
 * decodes as three equal channels; it is lossless, so the values survive exactly.
 */
export async function encodeMask(
	gray: Buffer,
	width: number,
	height: number,
	format: MaskOutputFormat = 'png',
	options: PngEncodeOptions = {},
): Promise<EncodedImage> {
	assertRaw(gray, width, height, 1, 'greyscale');
	assertOneOf(format, MASK_OUTPUT_FORMATS, 'mask format');
	const raw = { width, height, channels: 1 } as const;
	switch (format) {
		case 'png':
			return encodePng({ grey: gray }, 'grey', width, height, options.pngEffort);
		case 'png16':
			// 'grey16' alone keeps the 8-bit values (255 → 255 of 65535), so widen them first: 255 → 65535.
			return finish(sharp(widenTo16Bit(gray), { raw }).toColourspace('grey16').png(sharpPngOptions(options.pngEffort)), 'png');
		case 'webp':
			assertWebpSize(width, height);
			return finish(sharp(gray, { raw }).toColourspace('b-w').webp({ lossless: true }), 'webp');
	}
}

const NAMED_COLORS: Readonly<Record<string, Rgb>> = {
	white: { r: 255, g: 255, b: 255 },
	black: { r: 0, g: 0, b: 0 },
	grey: { r: 128, g: 128, b: 128 },
	gray: { r: 128, g: 128, b: 128 },
	silver: { r: 192, g: 192, b: 192 },
	red: { r: 255, g: 0, b: 0 },
	green: { r: 0, g: 128, b: 0 },
	lime: { r: 0, g: 255, b: 0 },
	blue: { r: 0, g: 0, b: 255 },
	yellow: { r: 255, g: 255, b: 0 },
	cyan: { r: 0, g: 255, b: 255 },
	magenta: { r: 255, g: 0, b: 255 },
};

const COLOR_SYNTAX = `#rgb, #rrggbb, rgb(r, g, b) or one of ${Object.keys(NAMED_COLORS).join(', ')}`;

/** Parses '#rgb', '#rrggbb', 'rgb(r, g, b)' (commas or spaces, 0–255) or a CSS color name, case-insensitively. */
export function parseColor(text: string): Rgb {
	const colour = text.trim().toLowerCase();
	const named = NAMED_COLORS[colour];
	if (named) return { ...named };

	const hex = /^#([0-9a-f]{3}|[0-9a-f]{6})$/.exec(colour)?.[1];
	if (hex) {
		const pairs = hex.length === 3 ? [...hex].map((digit) => digit + digit) : [0, 2, 4].map((i) => hex.slice(i, i + 2));
		const [r, g, b] = pairs.map((pair) => parseInt(pair, 16));
		return { r, g, b };
	}

	const components = /^rgb\(\s*(\d+)(?:\s*,\s*|\s+)(\d+)(?:\s*,\s*|\s+)(\d+)\s*\)$/.exec(colour);
	if (components) {
		const [r, g, b] = components.slice(1).map(Number);
		if (Math.max(r, g, b) > 255) {
			throw new CutoutError('invalid_option', `Invalid color "${text}": rgb() components must be 0–255`);
		}
		return { r, g, b };
	}

	throw new CutoutError('invalid_option', `Invalid color "${text}": use ${COLOR_SYNTAX}`);
}

async function encode(
	image: sharp.Sharp,
	width: number,
	height: number,
	format: CutoutOutputFormat,
	options: EncodeOptions,
): Promise<EncodedImage> {
	const quality = assertQuality(options.quality);
	switch (format) {
		case 'png':
			return finish(image.png(sharpPngOptions(options.pngEffort)), format);
		case 'webp':
			assertWebpSize(width, height);
			return finish(image.webp({ quality }), format);
		case 'avif':
			return finish(image.avif({ quality, effort: AVIF_EFFORT }), format);
		case 'gif':
			return finish(image.gif({ effort: GIF_EFFORT }), format);
		case 'jpeg':
			return finish(image.jpeg({ quality }), format);
	}
}

/** The zlib level and row filtering of a PNG effort (lib/image/pngStrips.ts). */
export function pngStripOptions(effort: PngEffort = 'balanced'): PngStripOptions {
	assertOneOf(effort, Object.keys(PNG_EFFORTS) as PngEffort[], 'PNG effort');
	return PNG_EFFORTS[effort];
}

/** The same effort for a PNG that sharp writes (16-bit masks, interleaved RGBA). */
function sharpPngOptions(effort?: PngEffort): sharp.PngOptions {
	const { level, filters } = pngStripOptions(effort);
	return { compressionLevel: level, adaptiveFiltering: filters };
}

async function encodePng(pixels: PngPixels, layout: 'rgb' | 'rgba' | 'grey', width: number, height: number, effort?: PngEffort): Promise<EncodedImage> {
	const encoder = new PngStripEncoder(width, height, pngStripOptions(effort), layout);
	return { data: await encoder.finish(pixels), ...FILE_TYPES.png };
}

async function finish(image: sharp.Sharp, format: CutoutOutputFormat): Promise<EncodedImage> {
	return { data: await image.toBuffer(), ...FILE_TYPES[format] };
}

function widenTo16Bit(gray: Buffer): Uint16Array {
	const wide = new Uint16Array(gray.length);
	for (let i = 0; i < gray.length; i++) wide[i] = gray[i] * 257;
	return wide;
}

function assertRaw(pixels: Buffer, width: number, height: number, channels: number, label: string): void {
	if (!Number.isSafeInteger(width) || width <= 0 || !Number.isSafeInteger(height) || height <= 0) {
		throw new CutoutError('invalid_option', `Image size must be positive integers, got ${width}×${height}`);
	}
	const expected = width * height * channels;
	if (pixels.length !== expected) {
		throw new CutoutError(
			'invalid_option',
			`The ${label} buffer is ${pixels.length} bytes, but ${width}×${height}×${channels} needs ${expected}`,
		);
	}
}

function assertOneOf<T extends string>(value: T, allowed: readonly T[], what: string): void {
	if (!allowed.includes(value)) {
		throw new CutoutError('invalid_option', `Unknown ${what} "${value}": use one of ${allowed.join(', ')}`);
	}
}

function assertQuality(quality: number | undefined): number | undefined {
	if (quality !== undefined && !(Number.isInteger(quality) && quality >= 1 && quality <= 100)) {
		throw new CutoutError('invalid_option', `Quality must be an integer from 1 to 100, got ${quality}`);
	}
	return quality;
}

function assertRgb(colour: Rgb): Rgb {
	for (const channel of ['r', 'g', 'b'] as const) {
		const value = colour[channel];
		if (!Number.isInteger(value) || value < 0 || value > 255) {
			throw new CutoutError(
				'invalid_option',
				`Background color ${channel} must be an integer from 0 to 255, got ${value}`,
			);
		}
	}
	return colour;
}

function assertWebpSize(width: number, height: number): void {
	if (width > WEBP_MAX_DIMENSION || height > WEBP_MAX_DIMENSION) {
		throw new CutoutError(
			'invalid_option',
			`A ${width}×${height} image is too large for WebP (at most ${WEBP_MAX_DIMENSION} pixels a side)`,
			'Choose PNG output instead.',
		);
	}
}
