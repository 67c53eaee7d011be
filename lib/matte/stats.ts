export interface Box {
	x: number;
	y: number;
	width: number;
	height: number;
}

/** Alpha at or above this counts as visible subject for bounding boxes (about 4 %: faint hair stays in). */
export const VISIBLE_ALPHA = 10;

/**
 * Mean alpha over the image in [0, 1]: the subject's share of the frame, soft edges counted by weight.
 * Four bytes at a time where they are all transparent or all opaque, as most of a matte is.
 */
export function foregroundFraction(matte: Uint8Array): number {
	if (matte.length === 0) return 0;
	let sum = 0;
	let i = 0;
	while (i < matte.length && (matte.byteOffset + i) % 4 !== 0) sum += matte[i++];
	const words = new Uint32Array(matte.buffer, matte.byteOffset + i, (matte.length - i) >> 2);
	for (let w = 0; w < words.length; w++) {
		const word = words[w];
		if (word === 0) continue;
		if (word === 0xffffffff) {
			sum += 1020;
			continue;
		}
		const at = i + w * 4;
		sum += matte[at] + matte[at + 1] + matte[at + 2] + matte[at + 3];
	}
	for (i += words.length * 4; i < matte.length; i++) sum += matte[i];
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
		if (threshold <= 1) {
			// Any non-zero pixel counts: zero runs (most of a mask) are skipped a word at a time.
			const start = firstNonZero(matte, row, row + width);
			if (start < row + width) {
				first = start - row;
				last = lastNonZero(matte, start, row + width) - row;
			}
		} else {
			// From each end inwards, over the zero runs a word at a time, to the first pixel at the threshold.
			for (let i = firstNonZero(matte, row, row + width); i < row + width; i++) {
				if (matte[i] >= threshold) {
					first = i - row;
					break;
				}
			}
			if (first >= 0) {
				for (let i = lastNonZero(matte, row + first, row + width); i >= row + first; i--) {
					if (matte[i] >= threshold) {
						last = i - row;
						break;
					}
				}
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

/** Index of the first non-zero byte in [from, to), or `to`; zero bytes are read four at a time. */
export function firstNonZero(plane: Uint8Array, from: number, to: number): number {
	let i = from;
	while (i < to && (plane.byteOffset + i) % 4 !== 0) {
		if (plane[i]) return i;
		i++;
	}
	if (i >= to) return to;
	const words = new Uint32Array(plane.buffer, plane.byteOffset + i, (to - i) >> 2);
	let w = 0;
	while (w < words.length && words[w] === 0) w++;
	for (i += w * 4; i < to; i++) if (plane[i]) return i;
	return to;
}

/** Index of the last non-zero byte in [from, to), or from − 1; zero bytes are read four at a time. */
export function lastNonZero(plane: Uint8Array, from: number, to: number): number {
	let i = to - 1;
	while (i >= from && (plane.byteOffset + i + 1) % 4 !== 0) {
		if (plane[i]) return i;
		i--;
	}
	const start = Math.ceil((plane.byteOffset + from) / 4) * 4 - plane.byteOffset;
	if (start <= i + 1) {
		const words = new Uint32Array(plane.buffer, plane.byteOffset + start, (i + 1 - start) >> 2);
		let w = words.length - 1;
		while (w >= 0 && words[w] === 0) w--;
		i = start + (w + 1) * 4 - 1;
	}
	for (; i >= from; i--) if (plane[i]) return i;
	return from - 1;
}
