export interface Box {
	x: number;
	y: number;
	width: number;
	height: number;
}

/** Alpha at or above this counts as visible subject for bounding boxes (about 4 %: faint hair stays in). */
export const VISIBLE_ALPHA = 10;

/** Mean alpha over the image in [0, 1]: the subject's share of the frame, soft edges counted by weight. */
export function foregroundFraction(matte: Uint8Array): number {
	if (matte.length === 0) return 0;
	let sum = 0;
	for (let i = 0; i < matte.length; i++) sum += matte[i];
	return sum / (255 * matte.length);
}

/** Bounding box of pixels with alpha ≥ threshold, or null when there are none. */
export function subjectBox(matte: Uint8Array, width: number, height: number, threshold = VISIBLE_ALPHA): Box | null {
	let minX = width;
	let minY = height;
	let maxX = -1;
	let maxY = -1;
	for (let y = 0; y < height; y++) {
		const row = y * width;
		let first = -1;
		let last = -1;
		for (let x = 0; x < width; x++) {
			if (matte[row + x] >= threshold) {
				if (first < 0) first = x;
				last = x;
			}
		}
		if (first < 0) continue;
		if (first < minX) minX = first;
		if (last > maxX) maxX = last;
		if (y < minY) minY = y;
		maxY = y;
	}
	return maxX < 0 ? null : { x: minX, y: minY, width: maxX - minX + 1, height: maxY - minY + 1 };
}

/** Grows a box by `margin` pixels on every side, clipped to the image. */
export function padBox(box: Box, margin: number, width: number, height: number): Box {
	const x = Math.max(0, box.x - margin);
	const y = Math.max(0, box.y - margin);
	return {
		x,
		y,
		width: Math.min(width, box.x + box.width + margin) - x,
		height: Math.min(height, box.y + box.height + margin) - y,
	};
}
