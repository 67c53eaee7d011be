import sharp from 'sharp';

import { CutoutError } from '../../errors';
import type { DecodedImage } from '../../image/decode';
import type { ImageFormat } from '../../image/format';
import { multiplyMattes, toRgba } from '../../matte/composite';
import { refineForeground } from '../../matte/foreground';
import { threshold } from '../../matte/morphology';
import { resizePlane, resizeRgb } from '../../matte/resize';
import type { Box } from '../../matte/stats';
import { ProviderError } from '../http/errors';
import type { ProviderLimits, UploadFile } from '../types';

/**
 * "Fit to Provider Limits": limits are checked before anything is uploaded; when fitting is on, a smaller
 * re-encoded copy goes up instead, and what comes back is laid onto the full-resolution original here, so
 * the output keeps the input's size while fewer bytes travel.
 */

export interface Size {
	width: number;
	height: number;
}

export interface PreparedUpload {
	image: UploadFile;
	/** Whether the upload is smaller than the input. */
	scaled: boolean;
}

const JPEG_QUALITY = 92;
const MAX_ENCODE_TRIES = 6;

/**
 * The input as the provider may take it: the original bytes when they fit and need no EXIF rotation,
 * otherwise a re-encoded (and, when fitting, smaller) copy of the decoded pixels. With fitting off, an
 * input over the limits is a CutoutError naming the limit.
 */
export async function prepareImageUpload(
	input: Buffer,
	source: DecodedImage,
	limits: ProviderLimits,
	fit: boolean,
	provider: string,
): Promise<PreparedUpload> {
	const breach = limitBreach(input.length, source, limits, provider);
	if (breach && !fit) throw breach;

	let scale = fit ? fitScale(source, limits) : 1;
	const formatAccepted = !limits.formats || limits.formats.includes(source.format);
	if (scale === 1 && !breach && formatAccepted && !(await isRotatedByExif(input))) {
		return { image: { data: input, ...fileType(source.format), width: source.width, height: source.height }, scaled: false };
	}
	for (let attempt = 0; attempt < MAX_ENCODE_TRIES; attempt++) {
		const size = scaledSize(source, scale);
		const image = await encodeUpload(source, size);
		if (image.data.length <= limits.maxBytes) {
			return { image, scaled: size.width !== source.width || size.height !== source.height };
		}
		if (!fit) throw tooManyBytes(image.data.length, limits, provider);
		scale *= Math.sqrt(limits.maxBytes / image.data.length) * 0.9;
	}
	throw tooManyBytes(input.length, limits, provider);
}

/** A box in input pixels moved to upload pixels, covering at least the same area. */
export function scaleBox(box: Box, source: Size, upload: Size): Box {
	const sx = upload.width / source.width;
	const sy = upload.height / source.height;
	const x = Math.floor(box.x * sx);
	const y = Math.floor(box.y * sy);
	return {
		x,
		y,
		width: Math.max(1, Math.min(upload.width, Math.ceil((box.x + box.width) * sx)) - x),
		height: Math.max(1, Math.min(upload.height, Math.ceil((box.y + box.height) * sy)) - y),
	};
}

/**
 * A fill region (255 = fill) at the upload's size, strictly black and white as Clipdrop demands. Any
 * coverage counts, so a thin stroke survives downscaling.
 */
export async function regionAtUploadSize(region: Buffer, source: Size, upload: Size): Promise<Buffer> {
	if (source.width === upload.width && source.height === upload.height) return region;
	return threshold(await resizePlane(region, source, upload, 'linear'), 0.1);
}

/** A mask plane as the PNG file an endpoint takes. */
export async function maskFile(plane: Buffer, size: Size): Promise<UploadFile> {
	// Without 'b-w' sharp writes a one-channel raw input as RGB.
	const data = await sharp(plane, { raw: { width: size.width, height: size.height, channels: 1 } }).toColourspace('b-w').png().toBuffer();
	return { data, mimeType: 'image/png', fileName: 'mask.png', width: size.width, height: size.height };
}

/**
 * A provider's result with its colours as sent (not flattened under transparency, unlike decodeImage),
 * since a cutout's colours at soft edges are the provider's foreground estimate.
 */
async function decodeResult(result: Buffer, provider: string): Promise<Size & { rgb: Buffer; alpha?: Buffer }> {
	let decoded: { data: Buffer; info: sharp.OutputInfo };
	let hasAlpha: boolean;
	try {
		hasAlpha = (await sharp(result).metadata()).hasAlpha ?? false;
		decoded = await sharp(result).toColourspace('srgb').ensureAlpha().raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
	} catch {
		throw unusableResult(provider, 'an image that could not be decoded');
	}
	const { data, info } = decoded;
	const pixels = info.width * info.height;
	const rgb = Buffer.allocUnsafe(pixels * 3);
	const alpha = Buffer.allocUnsafe(pixels);
	for (let i = 0; i < pixels; i++) {
		data.copy(rgb, i * 3, i * 4, i * 4 + 3);
		alpha[i] = data[i * 4 + 3];
	}
	return { width: info.width, height: info.height, rgb, alpha: hasAlpha ? alpha : undefined };
}

/** A matte as the provider returned it, with the provider's own foreground colours when it sent a cutout. */
export interface ReturnedMatte extends Size {
	alpha: Buffer;
	rgb?: Buffer;
}

/** Reads a greyscale mask, or the alpha and colours of an RGBA cutout (a mask wins when both came). */
export async function readReturnedMatte(result: { image?: Buffer; mask?: Buffer }, provider: string): Promise<ReturnedMatte> {
	const cutout = result.image ? await decodeResult(result.image, provider) : undefined;
	if (result.mask) {
		const mask = await firstChannel(result.mask);
		if (!mask) throw unusableResult(provider, 'a mask that could not be decoded');
		const sameSize = cutout && cutout.width === mask.width && cutout.height === mask.height;
		return { alpha: mask.plane, width: mask.width, height: mask.height, rgb: sameSize ? cutout.rgb : undefined };
	}
	if (!cutout) throw unusableResult(provider, 'neither an image nor a mask');
	if (!cutout.alpha) throw unusableResult(provider, 'an image without transparency');
	return { alpha: cutout.alpha, rgb: cutout.rgb, width: cutout.width, height: cutout.height };
}

/**
 * The matte at the input's size, the input's own transparency kept. A matte that came back smaller (fitted
 * upload, or a provider preview size) is upsampled; one with another aspect ratio is refused.
 */
export async function matteAtSourceSize(matte: ReturnedMatte, source: DecodedImage, provider: string): Promise<Buffer> {
	checkAspect(matte, source, provider);
	const full = await resizePlane(matte.alpha, matte, source, 'linear');
	return source.alpha ? multiplyMattes(full, source.alpha) : full;
}

/**
 * Foreground colours for the cutout: the provider's own when its cutout has the input's size; otherwise the
 * input's pixels, with blur-fusion estimation (when asked) so soft edges lose the old background's colour.
 */
export async function foregroundAtSourceSize(matte: ReturnedMatte, source: DecodedImage, alpha: Buffer, refine: boolean): Promise<Buffer> {
	if (matte.rgb && matte.width === source.width && matte.height === source.height) return matte.rgb;
	return refine ? refineForeground(source.rgb, alpha, source.width, source.height) : source.rgb;
}

/**
 * The inpainted image at the input's size: the provider's fill (upsampled when the upload was smaller)
 * inside the region only. Every pixel outside it is the input's, byte for byte, whatever the provider
 * returned there (a re-encode, a colour shift, a model that touches the whole image).
 */
export async function inpaintAtSourceSize(result: Buffer, source: DecodedImage, holes: Buffer, provider: string): Promise<Buffer> {
	const filled = await resultAtSourceSize(result, source, provider);
	const out = Buffer.from(source.rgb);
	for (let i = 0; i < holes.length; i++) if (holes[i] >= 128) filled.copy(out, i * 3, i * 3, i * 3 + 3);
	return out;
}

/** A channel difference above this is a fill, not re-encoding noise (JPEG decoders differ by a few levels). */
const CHANGED_LEVELS = 24;

/**
 * Where the provider's result differs from the input by more than re-encoding noise: the region it filled,
 * when it reports none itself.
 */
export async function changedRegion(result: Buffer, source: DecodedImage, provider: string): Promise<Buffer> {
	const filled = await resultAtSourceSize(result, source, provider);
	const region = Buffer.alloc(source.width * source.height);
	for (let i = 0; i < region.length; i++) {
		for (let c = 0; c < 3; c++) {
			if (Math.abs(filled[i * 3 + c] - source.rgb[i * 3 + c]) > CHANGED_LEVELS) {
				region[i] = 255;
				break;
			}
		}
	}
	return region;
}

async function resultAtSourceSize(result: Buffer, source: DecodedImage, provider: string): Promise<Buffer> {
	const decoded = await decodeResult(result, provider);
	checkAspect(decoded, source, provider);
	const sameSize = decoded.width === source.width && decoded.height === source.height;
	return sameSize ? decoded.rgb : resizeRgb(decoded.rgb, decoded, source);
}

function unusableResult(provider: string, what: string): ProviderError {
	return new ProviderError({ provider, code: 'bad_response', providerMessage: `returned ${what}` });
}

function checkAspect(result: Size, source: Size, provider: string): void {
	if (Math.abs((result.width / result.height) / (source.width / source.height) - 1) > 0.02) {
		throw unusableResult(provider, `${result.width}×${result.height} for a ${source.width}×${source.height} image`);
	}
}

/** EXIF orientation other than "upright": the raw bytes would look rotated to a provider that ignores EXIF. */
async function isRotatedByExif(input: Buffer): Promise<boolean> {
	try {
		return ((await sharp(input).metadata()).orientation ?? 1) > 1;
	} catch {
		// Formats sharp cannot read (BMP, HEIC) carry no orientation decodeImage applied.
		return false;
	}
}

/** The first channel of a returned greyscale (or RGB) mask; undefined when it cannot be decoded. */
async function firstChannel(image: Buffer): Promise<(Size & { plane: Buffer }) | undefined> {
	try {
		const { data, info } = await sharp(image).rotate().removeAlpha().extractChannel(0).raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
		return { plane: data, width: info.width, height: info.height };
	} catch {
		return undefined;
	}
}

function limitBreach(bytes: number, size: Size, limits: ProviderLimits, provider: string): CutoutError | undefined {
	if (bytes > limits.maxBytes) return tooManyBytes(bytes, limits, provider);
	const side = Math.max(size.width, size.height);
	if (limits.maxSide !== undefined && side > limits.maxSide) {
		return tooManyPixels(`${size.width}×${size.height}`, `${limits.maxSide} px on the longer side`, provider);
	}
	if (limits.maxPixels !== undefined && size.width * size.height > limits.maxPixels) {
		return tooManyPixels(`${megapixels(size.width * size.height)} MP`, `${megapixels(limits.maxPixels)} MP`, provider);
	}
	return undefined;
}

const FIT_HINT = 'Turn on "Fit to Provider Limits" to upload a downscaled copy; the output keeps the input\'s resolution.';

function tooManyBytes(bytes: number, limits: ProviderLimits, provider: string): CutoutError {
	return new CutoutError('too_many_bytes', `The image is ${megabytes(bytes)} MB; ${provider} accepts at most ${megabytes(limits.maxBytes)} MB`, FIT_HINT);
}

function tooManyPixels(actual: string, limit: string, provider: string): CutoutError {
	return new CutoutError('too_many_pixels', `The image is ${actual}; ${provider} accepts at most ${limit}`, FIT_HINT);
}

/** The largest scale ≤ 1 that meets the side, pixel and working-size limits. */
function fitScale(size: Size, limits: ProviderLimits): number {
	const side = Math.max(size.width, size.height);
	const candidates = [1];
	if (limits.maxSide !== undefined) candidates.push(limits.maxSide / side);
	if (limits.workingSide !== undefined) candidates.push(limits.workingSide / side);
	if (limits.maxPixels !== undefined) candidates.push(Math.sqrt(limits.maxPixels / (size.width * size.height)));
	return Math.min(...candidates);
}

function scaledSize(size: Size, scale: number): Size {
	if (scale >= 1) return size;
	return { width: Math.max(1, Math.floor(size.width * scale)), height: Math.max(1, Math.floor(size.height * scale)) };
}

/** PNG keeps transparency; everything else goes as a high-quality JPEG, the smallest widely accepted format. */
async function encodeUpload(source: DecodedImage, size: Size): Promise<UploadFile> {
	const pixels = source.alpha ? toRgba(source.rgb, source.alpha) : source.rgb;
	const pipeline = sharp(pixels, { raw: { width: source.width, height: source.height, channels: source.alpha ? 4 : 3 } }).resize(
		size.width,
		size.height,
		{ fit: 'fill' },
	);
	const data = source.alpha ? await pipeline.png().toBuffer() : await pipeline.jpeg({ quality: JPEG_QUALITY }).toBuffer();
	return { data, ...fileType(source.alpha ? 'png' : 'jpeg'), width: size.width, height: size.height };
}

function fileType(format: ImageFormat): { mimeType: string; fileName: string } {
	return { mimeType: `image/${format}`, fileName: `image.${format === 'jpeg' ? 'jpg' : format}` };
}

const megabytes = (bytes: number) => (bytes / (1024 * 1024)).toFixed(1);
const megapixels = (pixels: number) => (pixels / 1_000_000).toFixed(1);
