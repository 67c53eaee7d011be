import type { Rgb } from '../image/encode';
import type { Box } from './stats';

/**
 * Interleaves RGB and a matte into RGBA. Fully transparent pixels get black: their colour is invisible,
 * and uniform bytes there roughly halve the PNG (12 MP cutout: 18 MB → 8 MB) and its encoding time.
 */
export function toRgba(rgb: Buffer, alpha: Buffer): Buffer {
	const pixels = alpha.length;
	if (rgb.length !== pixels * 3) throw new Error(`toRgba: ${rgb.length} RGB bytes for ${pixels} alpha bytes`);
	const rgba = Buffer.alloc(pixels * 4);
	for (let i = 0, p = 0, q = 0; i < pixels; i++, p += 3, q += 4) {
		const a = alpha[i];
		if (a === 0) continue;
		rgba[q] = rgb[p];
		rgba[q + 1] = rgb[p + 1];
		rgba[q + 2] = rgb[p + 2];
		rgba[q + 3] = a;
	}
	return rgba;
}

/** Composites the foreground over a solid colour: out = F·α + C·(1−α). */
export function flattenOnto(rgb: Buffer, alpha: Buffer, colour: Rgb): Buffer {
	const pixels = alpha.length;
	if (rgb.length !== pixels * 3) throw new Error(`flattenOnto: ${rgb.length} RGB bytes for ${pixels} alpha bytes`);
	const out = Buffer.allocUnsafe(rgb.length);
	const background = [colour.r, colour.g, colour.b];
	for (let i = 0, p = 0; i < pixels; i++, p += 3) {
		const a = alpha[i];
		for (let c = 0; c < 3; c++) {
			out[p + c] = Math.round((rgb[p + c] * a + background[c] * (255 - a)) / 255);
		}
	}
	return out;
}

/** A source image's own transparency stays: the result is the product of both mattes. */
export function multiplyMattes(matte: Buffer, sourceAlpha: Buffer): Buffer {
	if (matte.length !== sourceAlpha.length) throw new Error('multiplyMattes: planes differ in size');
	const out = Buffer.allocUnsafe(matte.length);
	for (let i = 0; i < matte.length; i++) out[i] = Math.round((matte[i] * sourceAlpha[i]) / 255);
	return out;
}

/** Copies a rectangle out of an interleaved image with `channels` bytes per pixel. */
export function cropInterleaved(pixels: Buffer, width: number, channels: number, box: Box): Buffer {
	const out = Buffer.allocUnsafe(box.width * box.height * channels);
	const rowBytes = box.width * channels;
	for (let y = 0; y < box.height; y++) {
		const from = ((box.y + y) * width + box.x) * channels;
		pixels.copy(out, y * rowBytes, from, from + rowBytes);
	}
	return out;
}
