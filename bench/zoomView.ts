/**
 * The zoom view, tried for Matte Quality "high" (issue 11) and kept as eval ablations: a second pass on a crop
 * around the subject found in the plain view, joined with the plain matte inside the crop. It did not beat
 * the mirror view on the choosing sets (bench/RESULTS.md), so High does not use it.
 */
import type { ImageSize, Region } from '../lib/segmentation/matteViews';

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
 * with the crop view's matte there. The larger of the two by default: the zoom alone loses the context that
 * tells the subject from its surroundings (replacing the plain matte in the crop lost 0.027 mIoU on ecssd_subset).
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
