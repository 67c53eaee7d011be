import { CutoutError } from '../errors';
import { decodeImage, type DecodeLimits } from '../image/decode';
import { recyclePixels } from '../image/pixelPool';
import { dilate, type PlaneSize, threshold } from '../matte/morphology';
import { resizePlane } from '../matte/resize';
import type { Box } from '../matte/stats';

/**
 * Which pixels Inpaint fills, as a plane at the image's size with 255 = fill and 0 = keep. Sources, in
 * order of precedence when several are given: a mask image, a bounding box, the detected subject.
 */
export type InpaintMode = 'mask' | 'bbox' | 'subject';

export interface HoleRequest {
	/** An encoded mask image (PNG, JPEG, …): white = fill, black = keep, thresholded at 50 %. */
	mask?: Buffer;
	bbox?: Box;
	/** The subject's full-resolution matte; only called when neither a mask nor a box is given. */
	subjectMatte?: () => Promise<Buffer>;
}

export interface ResolvedHoles {
	mode: InpaintMode;
	/** 255 = fill, 0 = keep, before dilation. */
	plane: Buffer;
}

export const MAX_DILATION = 32;
/** Mask aspect ratios within 1 % of the image's are resized to fit; anything else is a different picture. */
const ASPECT_TOLERANCE = 0.01;
/** Fewer subject pixels than this share of the image (0.1 %) is noise, not a subject. */
const MIN_SUBJECT_FRACTION = 0.001;

export async function resolveHoles(size: PlaneSize, request: HoleRequest, limits: DecodeLimits): Promise<ResolvedHoles> {
	if (request.mask) return { mode: 'mask', plane: await maskFromImage(request.mask, size, limits) };
	if (request.bbox) return { mode: 'bbox', plane: maskFromBox(request.bbox, size) };
	if (request.subjectMatte) return { mode: 'subject', plane: maskFromSubject(await request.subjectMatte()) };
	throw new CutoutError('invalid_option', 'Nothing to inpaint: give a mask, a bounding box or a segmentation model');
}

/**
 * Reads a mask image: its luma, with transparent pixels (alpha < 50 %) counting as black, so a white
 * stroke drawn on a transparent layer works. Resized to the image when the aspect ratios agree within 1 %.
 */
export async function maskFromImage(encoded: Buffer, size: PlaneSize, limits: DecodeLimits): Promise<Buffer> {
	const decoded = await decodeImage(encoded, limits);
	const aspect = decoded.width / decoded.height / (size.width / size.height);
	// The epsilon keeps exactly 1 % (101×50 for 200×100) inside despite floating-point rounding.
	if (Math.abs(aspect - 1) > ASPECT_TOLERANCE + 1e-9) {
		throw new CutoutError(
			'mask_size_mismatch',
			`The mask is ${decoded.width}×${decoded.height} but the image is ${size.width}×${size.height}: their aspect ratios differ by ${(Math.abs(aspect - 1) * 100).toFixed(1)} %`,
			'Use a mask made for this image (same size, or the same shape within 1 %).',
		);
	}
	const pixels = decoded.width * decoded.height;
	// At the image's size the threshold is applied in the same pass (luma ≥ 128 is what threshold(…, 0.5) keeps).
	const fits = decoded.width === size.width && decoded.height === size.height;
	const { rgb, alpha } = decoded;
	const grey = Buffer.allocUnsafe(pixels);
	for (let i = 0; i < pixels; i++) {
		const p = i * 3;
		const opaque = alpha === null || alpha[i] >= 128;
		const luma = opaque ? Math.round(0.299 * rgb[p] + 0.587 * rgb[p + 1] + 0.114 * rgb[p + 2]) : 0;
		grey[i] = fits ? (luma >= 128 ? 255 : 0) : luma;
	}
	// Read: a decoder's buffer is kept for the next image.
	recyclePixels(rgb);
	return fits ? grey : threshold(await resizePlane(grey, decoded, size, 'linear'), 0.5);
}

/** A box in image pixels as a mask; whole pixels, at least 1×1, entirely inside the image. */
export function maskFromBox(box: Box, size: PlaneSize): Buffer {
	const { x, y, width, height } = box;
	const whole = [x, y, width, height].every((v) => Number.isInteger(v));
	if (whole && (width < 1 || height < 1)) {
		throw new CutoutError('invalid_bbox', `The bounding box has no area (width ${width}, height ${height})`, 'Set its width and height in pixels.');
	}
	if (!whole || x < 0 || y < 0 || width < 1 || height < 1 || x + width > size.width || y + height > size.height) {
		throw new CutoutError(
			'invalid_bbox',
			`The bounding box x=${x}, y=${y}, width=${width}, height=${height} is not inside the ${size.width}×${size.height} image`,
			'Give whole pixels with x + width ≤ image width and y + height ≤ image height.',
		);
	}
	const plane = Buffer.alloc(size.width * size.height);
	for (let row = y; row < y + height; row++) plane.fill(255, row * size.width + x, row * size.width + x + width);
	return plane;
}

/** The subject (matte ≥ 50 %) as the region to fill, so the subject disappears into the background. */
export function maskFromSubject(matte: Buffer): Buffer {
	const plane = threshold(matte, 0.5);
	const count = countFilled(plane);
	if (count < Math.max(1, MIN_SUBJECT_FRACTION * plane.length)) {
		throw new CutoutError(
			'no_subject_detected',
			`The segmentation model found no subject to erase (${count} of ${plane.length} pixels)`,
			'Give a mask or a bounding box instead, or try another model.',
		);
	}
	return plane;
}

/** Grows the region by `pixels` (0–32, whole), so edges and halos of what is erased go too. */
export function dilateHoles(plane: Buffer, size: PlaneSize, pixels: number): Buffer {
	return dilate(plane, size, checkDilation(pixels));
}

export function checkDilation(pixels: number): number {
	if (!Number.isInteger(pixels) || pixels < 0 || pixels > MAX_DILATION) {
		throw new CutoutError('invalid_dilation', `Dilation must be a whole number of pixels from 0 to ${MAX_DILATION}, got ${pixels}`);
	}
	return pixels;
}

/** Refuses a mask with nothing to fill; returns the filled share of the image. */
export function holeFraction(plane: Uint8Array): number {
	const count = countFilled(plane);
	if (count === 0) {
		throw new CutoutError('empty_mask', 'The mask has no pixels to fill', 'White (or a box) marks the area to fill.');
	}
	return count / plane.length;
}

function countFilled(plane: Uint8Array): number {
	let count = 0;
	for (let i = 0; i < plane.length; i++) if (plane[i] >= 128) count++;
	return count;
}
