import decodeBmp from 'decode-bmp';
import sharp from 'sharp';

import { CutoutError } from '../errors';
import {
	describeUnrecognisedContent,
	IMAGE_FORMAT_NAMES,
	type ImageFormat,
	sniffImageFormat,
	sniffRefusedFormat,
} from './format';
import { takePixels } from './pixelPool';

export interface DecodeLimits {
	/** Largest width × height accepted; checked against the header, before any pixel is decoded. */
	maxPixels: number;
	/** Largest encoded input accepted, in bytes. */
	maxInputBytes: number;
}

export interface DecodedImage {
	/** Width after EXIF orientation. */
	width: number;
	/** Height after EXIF orientation. */
	height: number;
	/** Format detected from the bytes. */
	format: ImageFormat;
	/** width × height × 3, 8-bit sRGB; any transparency flattened onto white. */
	rgb: Buffer;
	/** width × height, 8-bit: the source's own alpha; null when the source has none or is fully opaque. */
	alpha: Buffer | null;
}

/** Interleaved 8-bit pixels as a decoder produced them, before alpha is split off. */
interface Pixels {
	width: number;
	height: number;
	channels: 3 | 4;
	data: Buffer;
}

const SUPPORTED_FORMATS_HINT = `Supported formats: ${Object.values(IMAGE_FORMAT_NAMES).join(', ')}.`;

/** 64 MP and 100 MB: what the nodes allow unless told otherwise. */
export const DEFAULT_DECODE_LIMITS: DecodeLimits = { maxPixels: 64_000_000, maxInputBytes: 100 * 1024 * 1024 };

export async function decodeImage(input: Buffer, limits: DecodeLimits): Promise<DecodedImage> {
	assertLimits(limits);
	if (input.length === 0) {
		throw new CutoutError(
			'empty_input',
			'The input image is empty (0 bytes)',
			'Check that the binary property holds the image.',
		);
	}
	if (input.length > limits.maxInputBytes) {
		throw new CutoutError(
			'too_many_bytes',
			`The input is ${input.length} bytes, over the limit of ${limits.maxInputBytes} bytes`,
		);
	}
	const format = sniffImageFormat(input);
	if (format === null) throw unsupportedFormatError(input);

	const pixels =
		format === 'bmp'
			? decodeBmpPixels(input, limits)
			: format === 'heic'
				? await decodeHeicPixels(input, limits)
				: await decodeWithSharp(input, format, limits);
	return { format, ...splitAlpha(pixels) };
}

/**
 * width × height from the header alone, to size work before any pixel is decoded (lib/pixelBudget.ts); 0 when
 * the header cannot be read, as decodeImage will then say why.
 */
export async function headerPixelCount(input: Buffer): Promise<number> {
	const format = sniffImageFormat(input);
	try {
		if (format === null) return 0;
		const size =
			format === 'bmp'
				? readBmpHeader(input)
				: format === 'heic'
					? await heicHeaderSize(input)
					: await sharp(input, { ...SHARP_OPTIONS, limitInputPixels: false }).metadata();
		return size.width * size.height;
	} catch {
		return 0;
	}
}

function assertLimits(limits: DecodeLimits): void {
	for (const name of ['maxPixels', 'maxInputBytes'] as const) {
		const value = limits[name];
		if (!Number.isSafeInteger(value) || value <= 0) {
			throw new CutoutError('invalid_option', `${name} must be a positive integer, got ${String(value)}`);
		}
	}
}

function assertPixelCount(width: number, height: number, format: ImageFormat, limits: DecodeLimits): void {
	const pixels = width * height;
	if (pixels > limits.maxPixels) {
		throw new CutoutError(
			'too_many_pixels',
			`The ${IMAGE_FORMAT_NAMES[format]} image is ${width}×${height} (${formatPixelCount(pixels)}), ` +
				`over the limit of ${formatPixelCount(limits.maxPixels)}`,
			'Downscale the image first, or raise the pixel limit.',
		);
	}
}

function formatPixelCount(pixels: number): string {
	return pixels < 1e6 ? `${pixels} pixels` : `${(pixels / 1e6).toFixed(1)} megapixels`;
}

function unsupportedFormatError(input: Buffer): CutoutError {
	switch (sniffRefusedFormat(input)) {
		case 'svg':
			return new CutoutError('unsupported_format', 'SVG (vector) images are not supported: rasterise to PNG first');
		case 'pdf':
			return new CutoutError(
				'unsupported_format',
				'PDF documents are not supported: export the page as PNG or JPEG first',
			);
		case null:
			return new CutoutError(
				'unsupported_format',
				`The input is not a supported image: it ${describeUnrecognisedContent(input)}`,
				SUPPORTED_FORMATS_HINT,
			);
	}
}

function corruptImageError(format: ImageFormat, error: unknown): CutoutError {
	const reason = (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ').trim();
	return new CutoutError(
		'corrupt_image',
		`The ${IMAGE_FORMAT_NAMES[format]} image could not be decoded: ${reason}`,
		'The file may be truncated or damaged; try exporting it again.',
	);
}

/**
 * Separates alpha from colour in one pass and flattens colour onto white, so callers that ignore alpha
 * still see what a viewer shows. An alpha channel that is 255 everywhere is dropped.
 */
function splitAlpha({ width, height, channels, data }: Pixels): Omit<DecodedImage, 'format'> {
	if (channels === 3) return { width, height, rgb: data, alpha: null };
	const pixelCount = width * height;
	const rgb = Buffer.allocUnsafe(pixelCount * 3);
	const alpha = Buffer.allocUnsafe(pixelCount);
	let opaque = true;
	for (let i = 0, src = 0, dst = 0; i < pixelCount; i++, src += 4, dst += 3) {
		const a = data[src + 3];
		alpha[i] = a;
		if (a === 255) {
			rgb[dst] = data[src];
			rgb[dst + 1] = data[src + 1];
			rgb[dst + 2] = data[src + 2];
		} else {
			opaque = false;
			const white = 255 * (255 - a) + 127; // + 127, then the Buffer store truncating, rounds to nearest
			rgb[dst] = (data[src] * a + white) / 255;
			rgb[dst + 1] = (data[src + 1] * a + white) / 255;
			rgb[dst + 2] = (data[src + 2] * a + white) / 255;
		}
	}
	return { width, height, rgb, alpha: opaque ? null : alpha };
}

// ---------------------------------------------------------------------------------------------------------
// JPEG, PNG, WebP, TIFF, GIF, AVIF: sharp (libvips)

const SHARP_OPTIONS: sharp.SharpOptions = {
	// Not sharp's default 'warning': truncated or undecodable data still fails, but benign libjpeg warnings
	// such as "extraneous bytes before marker", common in files from cameras and scanners, do not.
	failOn: 'error',
	pages: 1, // first frame of an animation, first page of a multi-page TIFF
};

async function decodeWithSharp(input: Buffer, format: ImageFormat, limits: DecodeLimits): Promise<Pixels> {
	let metadata: sharp.Metadata;
	try {
		// No pixel limit here: sharp would report it as a generic failure; assertPixelCount names the size.
		metadata = await sharp(input, { ...SHARP_OPTIONS, limitInputPixels: false }).metadata();
	} catch (error) {
		throw corruptImageError(format, error);
	}
	assertPixelCount(metadata.width, metadata.height, format, limits);

	const channels = metadata.hasAlpha ? 4 : 3;
	const pipeline = () => {
		let image = sharp(input, { ...SHARP_OPTIONS, limitInputPixels: limits.maxPixels }).rotate();
		if (metadata.space === 'rgb16' && metadata.icc) {
			// sharp converts 16-bit input with an ICC profile to P3, not sRGB; only an explicit output profile
			// brings it back, while untagged 16-bit input is already treated as sRGB and must not be converted.
			image = image.withIccProfile('srgb');
		}
		image = image.toColourspace('srgb');
		return channels === 4 ? image.ensureAlpha() : image.removeAlpha();
	};

	let decoded: { data: Buffer; info: sharp.OutputInfo };
	try {
		decoded = decodesInHalves(format, metadata, channels)
			? await decodeInHalves(pipeline, metadata.width, metadata.height, channels)
			: await pipeline().raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
	} catch (error) {
		throw corruptImageError(format, error);
	}
	const { data, info } = decoded;
	if (info.channels !== channels) {
		throw new CutoutError(
			'corrupt_image',
			`The ${IMAGE_FORMAT_NAMES[format]} image decoded to ${info.channels} channels instead of ${channels}`,
		);
	}
	return { width: info.width, height: info.height, channels, data };
}

/**
 * glibc maps every allocation over 32 MiB afresh and unmaps it when freed (its M_MMAP_THRESHOLD ceiling on
 * 64-bit), so libvips' output for a 12 MP RGB image is fresh memory each time, which on small virtual
 * machines costs more than the decoding (lib/image/pixelPool.ts). A JPEG or PNG (both decode row by row)
 * whose pixels are over that and under twice it is decoded as two halves side by side, each under the
 * ceiling (glibc reuses its heap for them), copied into a buffer kept for the next image of that size. The
 * lower half decodes the upper half's rows again, on the other core. Not rotated images: each half would
 * decode the whole image.
 */
const MMAP_CEILING = 32 * 1024 * 1024;

function decodesInHalves(format: ImageFormat, metadata: sharp.Metadata, channels: number): boolean {
	const halfBytes = Math.ceil(metadata.height / 2) * metadata.width * channels;
	return (format === 'jpeg' || format === 'png') && (metadata.orientation ?? 1) === 1 && 2 * halfBytes > MMAP_CEILING && halfBytes < MMAP_CEILING;
}

async function decodeInHalves(
	pipeline: () => sharp.Sharp,
	width: number,
	height: number,
	channels: number,
): Promise<{ data: Buffer; info: sharp.OutputInfo }> {
	const middle = Math.ceil(height / 2);
	const data = takePixels(width * height * channels);
	// Each half is copied as soon as it is decoded: the upper one while the lower one still decodes.
	const [upper] = await Promise.all(
		[0, middle].map(async (top) => {
			const half = await pipeline()
				.extract({ left: 0, top, width, height: top === 0 ? middle : height - middle })
				.raw({ depth: 'uchar' })
				.toBuffer({ resolveWithObject: true });
			half.data.copy(data, top * width * channels);
			return half;
		}),
	);
	return { data, info: { ...upper.info, height } };
}

// ---------------------------------------------------------------------------------------------------------
// BMP: decode-bmp (libvips in sharp's prebuilt binaries has no BMP loader)

const BI_RGB = 0;
const BI_BITFIELDS = 3;
const BMP_COMPRESSION_NAMES: Readonly<Record<number, string>> = {
	1: 'RLE8',
	2: 'RLE4',
	3: 'BITFIELDS',
	4: 'JPEG',
	5: 'PNG',
	6: 'ALPHABITFIELDS',
};
const BMP_BITS_PER_PIXEL = new Set([1, 4, 8, 24, 32]);
const BMP_FILE_HEADER_BYTES = 14;
/** The BITMAPINFOHEADER fields every supported header version starts with. */
const BMP_INFO_HEADER_BYTES = 40;
/** Colour masks, right after the BITMAPINFOHEADER fields (inside V2+ headers, or after a plain one). */
const BMP_MASKS_END = BMP_FILE_HEADER_BYTES + BMP_INFO_HEADER_BYTES + 12;

interface BmpHeader {
	width: number;
	/** Rows, always positive; `topDown` keeps the sign the file stored. */
	height: number;
	topDown: boolean;
	bitsPerPixel: number;
	coloursUsed: number;
	dibHeaderBytes: number;
	paletteBytes: number;
	pixelOffset: number;
}

function decodeBmpPixels(input: Buffer, limits: DecodeLimits): Pixels {
	const header = readBmpHeader(input);
	assertPixelCount(header.width, header.height, 'bmp', limits);
	const normalised = normaliseForDecodeBmp(input, header);
	let decoded: ReturnType<typeof decodeBmp>;
	try {
		decoded = decodeBmp(normalised);
	} catch (error) {
		throw corruptImageError('bmp', error);
	}
	const rowBytes = header.width * 4;
	let data = Buffer.from(decoded.data.buffer, decoded.data.byteOffset, decoded.data.byteLength);
	if (header.topDown) data = flipRows(data, rowBytes, header.height);
	if (header.bitsPerPixel === 32) treatUnusedAlphaAsOpaque(data);
	return { width: header.width, height: header.height, channels: 4, data };
}

function readBmpHeader(input: Buffer): BmpHeader {
	const dibHeaderBytes = input.readUInt32LE(14);
	if (dibHeaderBytes < BMP_INFO_HEADER_BYTES) {
		throw new CutoutError('unsupported_format', 'OS/2 1.x bitmaps (12-byte BMP header) are not supported');
	}
	if (input.length < BMP_FILE_HEADER_BYTES + dibHeaderBytes) {
		throw new CutoutError('corrupt_image', `The BMP header is truncated: the file is only ${input.length} bytes`);
	}
	const width = input.readInt32LE(18);
	const signedHeight = input.readInt32LE(22);
	const bitsPerPixel = input.readUInt16LE(28);
	const compression = input.readUInt32LE(30);
	const coloursUsed = input.readUInt32LE(46);

	if (width <= 0 || signedHeight === 0) {
		throw new CutoutError('corrupt_image', `The BMP header gives an invalid size of ${width}×${signedHeight}`);
	}
	if (!BMP_BITS_PER_PIXEL.has(bitsPerPixel)) {
		throw new CutoutError(
			'unsupported_format',
			`BMP images with ${bitsPerPixel} bits per pixel are not supported (1, 4, 8, 24 and 32 are)`,
		);
	}
	// decode-bmp reads 32-bit pixels as B, G, R, A bytes whatever the header says, so only that layout is safe.
	if (compression !== BI_RGB && !(compression === BI_BITFIELDS && bitsPerPixel === 32 && hasBgraMasks(input))) {
		const name = BMP_COMPRESSION_NAMES[compression] ?? `type ${compression}`;
		throw new CutoutError('unsupported_format', `BMP images with ${name} compression are not supported`);
	}
	const paletteColours = bitsPerPixel <= 8 ? coloursUsed || 2 ** bitsPerPixel : 0;
	if (paletteColours > 2 ** bitsPerPixel) {
		throw new CutoutError(
			'corrupt_image',
			`The BMP palette has ${paletteColours} colours, more than ${bitsPerPixel} bits per pixel can index`,
		);
	}
	return {
		width,
		height: Math.abs(signedHeight),
		topDown: signedHeight < 0,
		bitsPerPixel,
		coloursUsed,
		dibHeaderBytes,
		paletteBytes: paletteColours * 4,
		pixelOffset: input.readUInt32LE(10),
	};
}

function hasBgraMasks(input: Buffer): boolean {
	return (
		input.length >= BMP_MASKS_END &&
		input.readUInt32LE(54) === 0x00ff0000 &&
		input.readUInt32LE(58) === 0x0000ff00 &&
		input.readUInt32LE(62) === 0x000000ff
	);
}

/**
 * decode-bmp expects the palette and pixels straight after the DIB header, rows stored bottom-up, and a
 * colour count only on palette images. Files may instead point elsewhere for their pixels (bit-field masks
 * or a gap in between), store rows top-down (negative height), or list colours on a true-colour image;
 * those are rewritten into the layout it expects. Most files pass through untouched.
 */
function normaliseForDecodeBmp(input: Buffer, header: BmpHeader): Buffer {
	const headerEnd = BMP_FILE_HEADER_BYTES + header.dibHeaderBytes;
	const paletteEnd = headerEnd + header.paletteBytes;
	const listsUnusedColours = header.bitsPerPixel > 8 && header.coloursUsed !== 0;
	if (header.pixelOffset === paletteEnd && !header.topDown && !listsUnusedColours) return input;
	if (paletteEnd > input.length || header.pixelOffset < paletteEnd || header.pixelOffset > input.length) {
		throw new CutoutError(
			'corrupt_image',
			`The BMP pixel data offset ${header.pixelOffset} is outside the ${input.length}-byte file or overlaps its header`,
		);
	}
	const fileHeader = Buffer.from(input.subarray(0, headerEnd));
	fileHeader.writeInt32LE(header.height, 22);
	if (listsUnusedColours) fileHeader.writeUInt32LE(0, 46);
	return Buffer.concat([fileHeader, input.subarray(headerEnd, paletteEnd), input.subarray(header.pixelOffset)]);
}

function flipRows(data: Buffer, rowBytes: number, rows: number): Buffer {
	const flipped = Buffer.allocUnsafe(data.length);
	for (let y = 0; y < rows; y++) data.copy(flipped, (rows - 1 - y) * rowBytes, y * rowBytes, (y + 1) * rowBytes);
	return flipped;
}

/** Most 32-bit BMPs leave the fourth byte 0 as "reserved"; like browsers, read an all-zero alpha as opaque. */
function treatUnusedAlphaAsOpaque(rgba: Buffer): void {
	for (let i = 3; i < rgba.length; i += 4) if (rgba[i] !== 0) return;
	for (let i = 3; i < rgba.length; i += 4) rgba[i] = 255;
}

// ---------------------------------------------------------------------------------------------------------
// HEIC: heic-decode (libheif compiled to WebAssembly; sharp's prebuilt libheif has no HEVC decoder)

/** The part of heic-decode's API used here; the package ships no type declarations. */
interface HeicImage {
	width: number;
	height: number;
	decode(): Promise<{ width: number; height: number; data: Uint8ClampedArray }>;
}
interface HeicDecodeModule {
	/** Parses the container only; each image's pixels are decoded on `decode()`. */
	all(source: { buffer: Uint8Array }): Promise<HeicImage[] & { dispose(): void }>;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const heicDecode: HeicDecodeModule = require('heic-decode');

/** heic-decode refuses any other major brand before libheif sees the file. */
const HEIC_DECODE_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'mif1', 'msf1']);

/** What libheif-js prints with console.log when it cannot open a file (heic-decode then throws). */
const LIBHEIF_LOG_LINE = /^(Could not parse HEIF file|Could not create HEIF context|Error loading image ids|No images found)/;
// Through globalThis: this code filters console output, it prints nothing itself (no-console).
const hostConsole: Console = globalThis.console;
let libheifCallsInFlight = 0;
let consoleLogOutsideLibheif: Console['log'] = hostConsole.log;

/**
 * Every bad HEIC upload would otherwise put a stray "Could not parse HEIF file" line into n8n's log; the
 * failure reaches the user as our corrupt_image error instead. Only libheif's own lines are dropped, other
 * console.log output passes through, and overlapping calls install the filter once.
 */
async function withoutLibheifLogLines<T>(call: () => Promise<T>): Promise<T> {
	if (libheifCallsInFlight++ === 0) {
		consoleLogOutsideLibheif = hostConsole.log;
		const passOn = consoleLogOutsideLibheif;
		hostConsole.log = (...args: unknown[]) => {
			if (!(typeof args[0] === 'string' && LIBHEIF_LOG_LINE.test(args[0]))) passOn(...args);
		};
	}
	try {
		return await call();
	} finally {
		if (--libheifCallsInFlight === 0) hostConsole.log = consoleLogOutsideLibheif;
	}
}

/** The file's images, parsed from the container without decoding any; the caller disposes of them. */
async function openHeic(input: Buffer): Promise<Awaited<ReturnType<HeicDecodeModule['all']>>> {
	const majorBrand = input.toString('latin1', 8, 12);
	if (!HEIC_DECODE_BRANDS.has(majorBrand)) {
		throw new CutoutError(
			'unsupported_format',
			`HEIF images of brand '${majorBrand}' (layered HEVC) are not supported`,
			'Convert the image to JPEG or PNG first.',
		);
	}
	try {
		return await withoutLibheifLogLines(() => heicDecode.all({ buffer: input }));
	} catch (error) {
		throw corruptImageError('heic', error);
	}
}

async function heicHeaderSize(input: Buffer): Promise<{ width: number; height: number }> {
	const images = await openHeic(input);
	try {
		return { width: images[0].width, height: images[0].height };
	} finally {
		images.dispose();
	}
}

async function decodeHeicPixels(input: Buffer, limits: DecodeLimits): Promise<Pixels> {
	const images = await openHeic(input);
	try {
		// The first top-level image, as heic-decode's own single-image API picks.
		const [first] = images;
		assertPixelCount(first.width, first.height, 'heic', limits);
		let decoded: Awaited<ReturnType<HeicImage['decode']>>;
		try {
			decoded = await first.decode();
		} catch (error) {
			throw corruptImageError('heic', error);
		}
		const { width, height, data } = decoded;
		return { width, height, channels: 4, data: Buffer.from(data.buffer, data.byteOffset, data.byteLength) };
	} finally {
		images.dispose();
	}
}
