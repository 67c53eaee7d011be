import type { InputKernel, MarginFill, Margins } from '../inference/segment';
import { resizePlane } from '../matte/resize';

/** A rectangle of the image, in its pixels. */
export interface Region {
	left: number;
	top: number;
	width: number;
	height: number;
}

export interface ImageSize {
	width: number;
	height: number;
}

/**
 * One way of showing the image to the model: resized into the square minus `margins` (filled by repeating
 * the image's edge pixels), optionally mirrored left to right; with `crop`, only that region of the image
 * (a zoom onto the subject).
 */
export interface MatteView {
	mirror: boolean;
	margins: Margins;
	kernel: InputKernel;
	/** How the margins are filled; edge pixels repeated when absent. */
	marginFill?: MarginFill;
	crop?: Region;
}

export const NO_MARGINS: Margins = { top: 0, right: 0, bottom: 0, left: 0 };

/**
 * Lanczos-3. Bilinear, as ISNet was trained and as the imgly pipeline feeds it, was tried and lost on both
 * choosing sets (alphamatting −0.007 mIoU, bench/RESULTS.md).
 */
export const PLAIN_VIEW: MatteView = { mirror: false, margins: NO_MARGINS, kernel: 'lanczos3' };

/** Share of the model's square each side gets as margin in a margin view: 2.5 %, so the image fills 95 %. */
export const MARGIN_SHARE = 0.025;

/**
 * A view's matte turned back into the plain view's geometry: size×size, not mirrored, margins dropped (a
 * crop view's stays the crop's own square).
 */
export type RunView = (view: MatteView) => Promise<Buffer>;

export function viewName(view: MatteView): string {
	const { top, right, bottom, left } = view.margins;
	const crop = view.crop ? `-crop${view.crop.left}.${view.crop.top}.${view.crop.width}.${view.crop.height}` : '';
	const fill = view.marginFill === 'mirror' ? '-reflect' : '';
	return `${view.kernel}-m${top}.${right}.${bottom}.${left}${fill}${view.mirror ? '-mirror' : ''}${crop}`;
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

/**
 * The exponent of the power mean that joins High's views: ((a^p + b^p + …) / n)^(1/p) on [0, 1]. Above 1 it
 * leans towards the larger value, where one view misses a part of the subject another sees. Chosen among
 * 1 (the mean), 1.5, 2 and the logit mean on alphamatting and ecssd_subset, confirmed on ecssd_val and
 * border_val (bench/RESULTS.md).
 */
export const JOIN_EXPONENT = 1.5;

/** Mattes of the same size joined per pixel by their power mean (of JOIN_EXPONENT unless given). */
export function joinMattes(mattes: readonly Buffer[], exponent = JOIN_EXPONENT): Buffer {
	const powers = Float64Array.from({ length: 256 }, (_, value) => (value / 255) ** exponent);
	const out = Buffer.allocUnsafe(mattes[0].length);
	for (let i = 0; i < out.length; i++) {
		let sum = 0;
		for (const matte of mattes) sum += powers[matte[i]];
		out[i] = Math.round(255 * (sum / mattes.length) ** (1 / exponent));
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

/** Share of the model's square reflected beyond each side the subject touches, in High's reflected views. */
export const REFLECT_SHARE = 0.1;

/**
 * High's mirror view: the mirror image, reflected across its edges into margins of REFLECT_SHARE on the sides
 * the subject touches and MARGIN_SHARE on the others. A subject cut by the frame then continues past it
 * instead of ending at the model's border, where ISNet tends to fade it out (half-transparent chins of
 * close-ups); elsewhere the margin gives the whole subject room, as the model saw objects in training.
 */
export function mirrorViewFor(plainMatte: Buffer, size: number, reflectShare = REFLECT_SHARE): MatteView {
	const touched = touchedSides(plainMatte, size);
	const margin = (side: keyof Margins) => Math.round(size * (touched[side] ? reflectShare : MARGIN_SHARE));
	return {
		mirror: true,
		margins: { top: margin('top'), right: margin('right'), bottom: margin('bottom'), left: margin('left') },
		kernel: PLAIN_VIEW.kernel,
		marginFill: 'mirror',
	};
}

/**
 * High's views after the plain one: the mirror view (mirrorViewFor), the image reflected into the same
 * margins, and the mirror image without margins. All four run on the model's int8 graph (Matte Quality
 * "Speed"'s, a forward pass ≈ 0.4 of a float one), so they take about 1.8× one float view; chosen among sets
 * of views on alphamatting and ecssd_subset, confirmed on ecssd_val and border_val (bench/RESULTS.md).
 */
export function highViewsFor(plainMatte: Buffer, size: number): MatteView[] {
	const mirrored = mirrorViewFor(plainMatte, size);
	return [mirrored, { ...mirrored, mirror: false }, { ...PLAIN_VIEW, mirror: true }];
}
