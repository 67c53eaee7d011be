/**
 * The border-touching diagnostic set, built at run time from ../shared/eval/ecssd_val (never stored in the
 * repo): each image is cropped so its subject is cut by one or two borders, and framed tightly on the
 * other sides, like a close-up or a video frame that cuts a person, animal or vehicle. The ground truth is
 * cropped the same way.
 */
import type { Plane } from './metrics';

export type Side = 'top' | 'right' | 'bottom' | 'left';

/** Cut sides, in turn: people are cut at the bottom most often, vehicles and animals at a side. */
const CUTS: Side[][] = [['bottom'], ['left'], ['right', 'bottom'], ['top'], ['left', 'bottom'], ['right']];
/** A cut side runs this share of the subject's extent into the subject. */
const CUT_DEPTH = 0.25;
/** An uncut side keeps this share of the subject's extent as background (as far as the image allows). */
const FRAME_MARGIN = 0.12;
/** Every fourth image of ecssd_val, so the set stays quick to run (40 images). */
export const BORDER_SET_STRIDE = 4;

export interface Crop {
	left: number;
	top: number;
	width: number;
	height: number;
	cut: Side[];
}

/** The crop of the `index`-th image, or null when its subject is too small to cut (under 40 px). */
export function borderCrop(truth: Plane, index: number): Crop | null {
	const box = foregroundBox(truth);
	if (!box || box.right - box.left < 40 || box.bottom - box.top < 40) return null;
	const cut = CUTS[index % CUTS.length];
	const spanX = box.right - box.left;
	const spanY = box.bottom - box.top;
	const edge = (side: Side): number => {
		const span = side === 'left' || side === 'right' ? spanX : spanY;
		const inward = side === 'left' || side === 'top' ? 1 : -1;
		const at = box[side];
		const limit = side === 'left' || side === 'top' ? 0 : side === 'right' ? truth.width : truth.height;
		if (cut.includes(side)) return Math.round(at + inward * span * CUT_DEPTH);
		const framed = Math.round(at - inward * span * FRAME_MARGIN);
		return inward > 0 ? Math.max(limit, framed) : Math.min(limit, framed);
	};
	const left = edge('left');
	const top = edge('top');
	return { left, top, width: edge('right') - left, height: edge('bottom') - top, cut };
}

/** Bounding box of pixels ≥ 128, right and bottom exclusive. */
function foregroundBox({ data, width, height }: Plane): Record<Side, number> | null {
	let left = width;
	let top = height;
	let right = 0;
	let bottom = 0;
	for (let y = 0; y < height; y++) {
		for (let x = 0; x < width; x++) {
			if (data[y * width + x] < 128) continue;
			if (x < left) left = x;
			if (x >= right) right = x + 1;
			if (y < top) top = y;
			if (y >= bottom) bottom = y + 1;
		}
	}
	return right > left ? { left, top, right, bottom } : null;
}
