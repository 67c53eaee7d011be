import type { PlaneSize } from '../matte/morphology';
import { type Box, firstNonZero } from '../matte/stats';

/**
 * Where to work: the holes of a mask are grouped into crops with context around them, so every engine
 * sees each hole with its surroundings at a useful scale, and a small hole in a 12 MP photo costs a crop,
 * not the whole image.
 */

export interface CropRule {
	/** Context added on every side of a hole's box: max(minMargin, extent × marginRatio). */
	minMargin: number;
	marginRatio: number;
	/** Crops are at least this many pixels a side (when the image allows). */
	minSide: number;
}

/** 128 px of context at least (IOPaint's and MI-GAN's margin), half the hole's extent for larger holes. */
export const DEFAULT_CROP_RULE: CropRule = { minMargin: 128, marginRatio: 0.5, minSide: 512 };

/** Past this many separate holes, one crop around all of them is cheaper than one crop each. */
const MAX_CROPS = 12;

/** Bounding boxes of the 8-connected regions of non-zero pixels (run-based union-find, one pass). */
export function holeBoxes(mask: Uint8Array, size: PlaneSize): Box[] {
	const { width, height } = size;
	const parent: number[] = [];
	const boxes: Array<{ x0: number; y0: number; x1: number; y1: number }> = [];
	const find = (i: number): number => {
		while (parent[i] !== i) {
			parent[i] = parent[parent[i]];
			i = parent[i];
		}
		return i;
	};
	let previous: Array<{ start: number; end: number; label: number }> = [];
	for (let y = 0; y < height; y++) {
		const row = y * width;
		const runs: Array<{ start: number; end: number; label: number }> = [];
		let x = 0;
		while (x < width) {
			x = firstNonZero(mask, row + x, row + width) - row;
			if (x === width) break;
			const start = x;
			while (x < width && mask[row + x]) x++;
			const end = x - 1;
			const label = parent.length;
			parent.push(label);
			boxes.push({ x0: start, y0: y, x1: end, y1: y });
			// 8-connectivity: runs in the row above that touch [start − 1, end + 1].
			for (const above of previous) {
				if (above.end < start - 1 || above.start > end + 1) continue;
				const a = find(above.label);
				const b = find(label);
				if (a !== b) parent[b] = a;
			}
			runs.push({ start, end, label });
		}
		previous = runs;
	}
	const merged = new Map<number, { x0: number; y0: number; x1: number; y1: number }>();
	for (let label = 0; label < parent.length; label++) {
		const root = find(label);
		const box = boxes[label];
		const into = merged.get(root);
		if (!into) merged.set(root, { ...box });
		else {
			into.x0 = Math.min(into.x0, box.x0);
			into.y0 = Math.min(into.y0, box.y0);
			into.x1 = Math.max(into.x1, box.x1);
			into.y1 = Math.max(into.y1, box.y1);
		}
	}
	return [...merged.values()].map((b) => ({ x: b.x0, y: b.y0, width: b.x1 - b.x0 + 1, height: b.y1 - b.y0 + 1 }));
}

/** A square crop around `hole`, grown by the rule's margin, moved inside the image and clipped to it. */
export function cropAround(hole: Box, size: PlaneSize, rule: CropRule = DEFAULT_CROP_RULE): Box {
	const extent = Math.max(hole.width, hole.height);
	const margin = Math.max(rule.minMargin, Math.round(extent * rule.marginRatio));
	const side = Math.max(extent + 2 * margin, rule.minSide);
	const place = (start: number, length: number, limit: number) => {
		const span = Math.min(side, limit);
		const origin = Math.round(start + length / 2 - span / 2);
		return { origin: Math.min(Math.max(0, origin), limit - span), span };
	};
	const x = place(hole.x, hole.width, size.width);
	const y = place(hole.y, hole.height, size.height);
	return { x: x.origin, y: y.origin, width: x.span, height: y.span };
}

/**
 * The crops to fill: one per hole, merged while any two overlap (a pixel is filled once, with all the
 * holes near it in view). Each crop contains its holes entirely.
 */
export function planCrops(mask: Uint8Array, size: PlaneSize, rule: CropRule = DEFAULT_CROP_RULE): Box[] {
	let groups = holeBoxes(mask, size);
	if (groups.length > MAX_CROPS * 4) groups = [union(groups)];
	for (;;) {
		const crops = groups.map((hole) => cropAround(hole, size, rule));
		let mergedAny = false;
		outer: for (let a = 0; a < crops.length; a++) {
			for (let b = a + 1; b < crops.length; b++) {
				if (!intersects(crops[a], crops[b])) continue;
				groups[a] = union([groups[a], groups[b]]);
				groups.splice(b, 1);
				mergedAny = true;
				break outer;
			}
		}
		if (mergedAny) continue;
		if (groups.length > MAX_CROPS) {
			groups = [union(groups)];
			continue;
		}
		return crops;
	}
}

function union(boxes: Box[]): Box {
	const x0 = Math.min(...boxes.map((b) => b.x));
	const y0 = Math.min(...boxes.map((b) => b.y));
	const x1 = Math.max(...boxes.map((b) => b.x + b.width));
	const y1 = Math.max(...boxes.map((b) => b.y + b.height));
	return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}

function intersects(a: Box, b: Box): boolean {
	return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}
