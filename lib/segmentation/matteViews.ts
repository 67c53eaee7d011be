import type { InputKernel, Margins } from '../inference/segment';
import { resizePlane } from '../matte/resize';

/**
 * One way of showing the image to the model: resized into the square minus `margins` (filled by repeating
 * the image's edge pixels), optionally mirrored left to right.
 */
export interface MatteView {
	mirror: boolean;
	margins: Margins;
	kernel: InputKernel;
}

export const NO_MARGINS: Margins = { top: 0, right: 0, bottom: 0, left: 0 };

/**
 * Lanczos-3. Bilinear, as ISNet was trained and as the imgly pipeline feeds it, was tried and lost on both
 * choosing sets (alphamatting −0.007 mIoU, bench/RESULTS.md).
 */
export const PLAIN_VIEW: MatteView = { mirror: false, margins: NO_MARGINS, kernel: 'lanczos3' };

/** Share of the model's square each side gets as margin in a margin view: 2.5 %, so the image fills 95 %. */
export const MARGIN_SHARE = 0.025;

/** A view's matte turned back into the plain view's geometry: size×size, not mirrored, margins dropped. */
export type RunView = (view: MatteView) => Promise<Buffer>;

export function viewName(view: MatteView): string {
	const { top, right, bottom, left } = view.margins;
	return `${view.kernel}-m${top}.${right}.${bottom}.${left}${view.mirror ? '-mirror' : ''}`;
}

/** Mirrors each of `planes` size×size planes left to right. */
export function mirrorPlanes<T extends Float32Array | Buffer>(data: T, size: number, planes: number): T {
	const out = (Buffer.isBuffer(data) ? Buffer.allocUnsafe(data.length) : new Float32Array(data.length)) as T;
	for (let row = 0; row < size * planes; row++) {
		const start = row * size;
		for (let x = 0, mirrored = start + size - 1; x < size; x++, mirrored--) out[start + x] = data[mirrored];
	}
	return out;
}

/** The size×size matte of a view, mirrored back, its margins cropped and the rest stretched to size×size. */
export async function viewMatteToGrid(matte: Buffer, size: number, view: MatteView): Promise<Buffer> {
	const plane = view.mirror ? mirrorPlanes(matte, size, 1) : matte;
	const { top, right, bottom, left } = view.margins;
	if (top + right + bottom + left === 0) return plane;
	const width = size - left - right;
	const height = size - top - bottom;
	const inner = Buffer.allocUnsafe(width * height);
	for (let y = 0; y < height; y++) plane.copy(inner, y * width, (y + top) * size + left, (y + top) * size + left + width);
	return resizePlane(inner, { width, height }, { width: size, height: size }, 'linear');
}

export function averageMattes(mattes: Buffer[]): Buffer {
	const out = Buffer.allocUnsafe(mattes[0].length);
	const half = mattes.length >> 1;
	for (let i = 0; i < out.length; i++) {
		let sum = half;
		for (const matte of mattes) sum += matte[i];
		out[i] = Math.floor(sum / mattes.length);
	}
	return out;
}

/** Subject pixels (≥ 128) on more than this share of an edge count as the subject touching it. */
const TOUCH_SHARE = 0.02;

/** Which sides of a size×size matte the subject touches. */
export function touchedSides(matte: Buffer, size: number): Record<keyof Margins, boolean> {
	const count = (at: (i: number) => number) => {
		let n = 0;
		for (let i = 0; i < size; i++) if (matte[at(i)] >= 128) n++;
		return n > size * TOUCH_SHARE;
	};
	return {
		top: count((i) => i),
		right: count((i) => i * size + size - 1),
		bottom: count((i) => (size - 1) * size + i),
		left: count((i) => i * size),
	};
}

/**
 * Margins only where the subject does not touch the border. A margin of repeated edge pixels gives a
 * subject room that the model likes (it was trained on whole objects), but where the subject is cut by the
 * frame the repeated pixels stretch it into a smear the model reads as background.
 */
export function marginsAwayFromSubject(plainMatte: Buffer, size: number): Margins {
	const margin = Math.round(size * MARGIN_SHARE);
	const touched = touchedSides(plainMatte, size);
	return {
		top: touched.top ? 0 : margin,
		right: touched.right ? 0 : margin,
		bottom: touched.bottom ? 0 : margin,
		left: touched.left ? 0 : margin,
	};
}
