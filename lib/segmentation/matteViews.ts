import type { InputKernel, Margins } from '../inference/segment';
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
 * crop view's stays the crop's own square; pasteCrop puts it in place).
 */
export type RunView = (view: MatteView) => Promise<Buffer>;

export function viewName(view: MatteView): string {
	const { top, right, bottom, left } = view.margins;
	const crop = view.crop ? `-crop${view.crop.left}.${view.crop.top}.${view.crop.width}.${view.crop.height}` : '';
	return `${view.kernel}-m${top}.${right}.${bottom}.${left}${view.mirror ? '-mirror' : ''}${crop}`;
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

/** Subject pixels trimmed from each end of the subject's box, so that a speck far from the subject does not widen it. */
const SPECK_SHARE = 0.005;

/**
 * How a zoom view frames the subject: `context` is the share of the subject box's side kept around it on
 * each side; no zoom when the crop would cover more than `maxArea` of the image (the subject fills the
 * frame); the crop is at least 1/`maxZoom` of the image on each side.
 */
export interface ZoomFraming {
	context: number;
	maxArea: number;
	maxZoom: number;
}

export const ZOOM_FRAMING: ZoomFraming = { context: 0.2, maxArea: 0.5, maxZoom: 4 };

/**
 * The region of the image a zoom view shows: the subject's box in the plain view's matte with context
 * around it, or null when there is no subject or it (nearly) fills the frame.
 */
export function subjectCrop(plain: Buffer, size: number, image: ImageSize, framing: ZoomFraming = ZOOM_FRAMING): Region | null {
	const columns = new Uint32Array(size);
	const rows = new Uint32Array(size);
	let total = 0;
	for (let y = 0; y < size; y++) {
		for (let x = 0; x < size; x++) {
			if (plain[y * size + x] < 128) continue;
			columns[x]++;
			rows[y]++;
			total++;
		}
	}
	if (total === 0) return null;
	const along = (counts: Uint32Array, extent: number): [number, number] => {
		const [first, last] = trimmedSpan(counts, total * SPECK_SHARE);
		const scale = extent / size;
		const length = Math.max((last + 1 - first) * scale * (1 + 2 * framing.context), extent / framing.maxZoom);
		return placeSpan((first + last + 1) * scale * 0.5, length, extent);
	};
	const [left, right] = along(columns, image.width);
	const [top, bottom] = along(rows, image.height);
	const crop = { left, top, width: right - left, height: bottom - top };
	return crop.width * crop.height > framing.maxArea * image.width * image.height ? null : crop;
}

/** First and last index of `counts` once `trim` counts are dropped from each end. */
function trimmedSpan(counts: Uint32Array, trim: number): [number, number] {
	let first = 0;
	for (let seen = counts[0]; seen <= trim && first < counts.length - 1; seen += counts[++first]);
	let last = counts.length - 1;
	for (let seen = counts[last]; seen <= trim && last > first; seen += counts[--last]);
	return [first, last];
}

/** Whole pixels [start, end) of a span of `length` centred on `centre`, shifted to lie inside [0, extent). */
function placeSpan(centre: number, length: number, extent: number): [number, number] {
	const start = Math.max(0, Math.min(extent - length, centre - length / 2));
	return [Math.round(start), Math.min(extent, Math.round(start + length))];
}

/**
 * The plain view's size×size matte where the grid pixels whose centres lie in `crop` are joined by `combine`
 * with the crop view's matte there. The larger of the two by default: the zoom finds small and thin parts
 * the plain view misses, but alone it loses the context that tells the subject from its surroundings
 * (replacing the plain matte in the crop lost 0.027 mIoU on ecssd_subset, bench/RESULTS.md).
 */
export function pasteCrop(
	plain: Buffer,
	zoomed: Buffer,
	size: number,
	crop: Region,
	image: ImageSize,
	combine: (plain: number, zoomed: number) => number = Math.max,
): Buffer {
	const out = Buffer.from(plain);
	const xs = cropSamples(crop.left, crop.width, image.width, size);
	for (const { grid: gy, low: y0, high: y1, weight: wy } of cropSamples(crop.top, crop.height, image.height, size)) {
		for (const { grid: gx, low: x0, high: x1, weight: wx } of xs) {
			const top = zoomed[y0 * size + x0] + (zoomed[y0 * size + x1] - zoomed[y0 * size + x0]) * wx;
			const bottom = zoomed[y1 * size + x0] + (zoomed[y1 * size + x1] - zoomed[y1 * size + x0]) * wx;
			out[gy * size + gx] = combine(plain[gy * size + gx], Math.round(top + (bottom - top) * wy));
		}
	}
	return out;
}

/**
 * The grid positions (of `size` over an image side of `extent` pixels) whose centres fall in [start,
 * start + length), each with where it lands in the crop view's square: two neighbours and the second's weight.
 */
function cropSamples(start: number, length: number, extent: number, size: number) {
	const samples: { grid: number; low: number; high: number; weight: number }[] = [];
	for (let grid = 0; grid < size; grid++) {
		const at = ((grid + 0.5) * extent) / size;
		if (at < start || at >= start + length) continue;
		const position = Math.min(size - 1, Math.max(0, ((at - start) / length) * size - 0.5));
		const low = Math.floor(position);
		samples.push({ grid, low, high: Math.min(size - 1, low + 1), weight: position - low });
	}
	return samples;
}
