import sharp from 'sharp';

import { padBox, subjectBox } from './stats';

/**
 * Shaping of 8-bit mattes and masks: grow/shrink, threshold, invert, feather. Grow and shrink are
 * greyscale max/min filters, so a soft matte keeps its soft edge while the edge moves; on a binary mask
 * they are ordinary dilation and erosion.
 */

export interface PlaneSize {
	width: number;
	height: number;
}

/**
 * Max filter over a disc of `radius` pixels, approximated by an octagon (a square plus a diamond): it
 * covers the whole disc and reaches at most 1 pixel or 10 % beyond it. Each part is a 1-D max along rows,
 * columns or diagonals by the van Herk/Gil-Werman method, so the cost per pixel does not depend on the
 * radius. The passes run on a copy padded by the radius, so a shape near the border grows as it would
 * in a larger image.
 */
export function dilate(plane: Uint8Array, size: PlaneSize, radius: number): Buffer {
	assertPlane(plane, size);
	if (!Number.isInteger(radius) || radius < 0) throw new Error(`dilate: radius must be a whole number ≥ 0, got ${radius}`);
	const out = Buffer.from(plane);
	const bounds = radius > 0 ? subjectBox(plane, size.width, size.height, 1) : null;
	if (!bounds) return out;
	// Only the non-zero region grown by the radius can change: a small mask on a 12 MP image costs little.
	const { x: x0, y: y0, width, height } = padBox(bounds, radius, size.width, size.height);
	const region = { width, height };
	const padded = { width: region.width + 2 * radius, height: region.height + 2 * radius };
	let work: Buffer = Buffer.alloc(padded.width * padded.height);
	for (let y = 0; y < region.height; y++) {
		const from = (y0 + y) * size.width + x0;
		work.set(plane.subarray(from, from + region.width), (y + radius) * padded.width + radius);
	}
	const { square, diagonal } = octagon(radius);
	const steps: Array<[number, number, number]> = [];
	if (square > 0) steps.push([1, 0, square], [0, 1, square]);
	if (diagonal > 0) steps.push([1, 1, diagonal], [1, -1, diagonal]);
	for (const [dx, dy, reach] of steps) work = maxAlongLines(work, padded, dx, dy, reach);
	for (let y = 0; y < region.height; y++) {
		const from = (y + radius) * padded.width + radius;
		work.copy(out, (y0 + y) * size.width + x0, from, from + region.width);
	}
	return out;
}

/** Max filter over a (2·radius + 1)² square: rows, then columns. */
export function dilateSquare(plane: Uint8Array, size: PlaneSize, radius: number): Buffer {
	assertPlane(plane, size);
	if (radius === 0) return Buffer.from(plane);
	return maxAlongLines(maxAlongLines(Buffer.from(plane), size, 1, 0, radius), size, 0, 1, radius);
}

/** Min filter over the same octagon: shrinks bright regions by `radius` pixels. */
export function erode(plane: Uint8Array, size: PlaneSize, radius: number): Buffer {
	return invert(dilate(invert(plane), size, radius));
}

/** Positive pixels grow the bright (subject) region, negative ones shrink it. */
export function growOrShrink(plane: Uint8Array, size: PlaneSize, pixels: number): Buffer {
	if (!Number.isInteger(pixels)) throw new Error(`growOrShrink: pixels must be a whole number, got ${pixels}`);
	return pixels >= 0 ? dilate(plane, size, pixels) : erode(plane, size, -pixels);
}

/** 255 where the value is at least `level` of full scale (0–1), 0 elsewhere; 0.5 keeps values ≥ 128. */
export function threshold(plane: Uint8Array, level: number): Buffer {
	if (!(level >= 0 && level <= 1)) throw new Error(`threshold: level must be from 0 to 1, got ${level}`);
	const cut = level * 255;
	const out = Buffer.allocUnsafe(plane.length);
	for (let i = 0; i < plane.length; i++) out[i] = plane[i] >= cut ? 255 : 0;
	return out;
}

export function invert(plane: Uint8Array): Buffer {
	const out = Buffer.allocUnsafe(plane.length);
	for (let i = 0; i < plane.length; i++) out[i] = 255 - plane[i];
	return out;
}

/**
 * Softens edges over about `pixels` on each side: a Gaussian blur with σ = pixels / 2 (libvips, so it
 * is fast at 12 MP). 0 returns the plane unchanged.
 */
export async function feather(plane: Buffer, size: PlaneSize, pixels: number): Promise<Buffer> {
	assertPlane(plane, size);
	if (!(pixels >= 0)) throw new Error(`feather: pixels must be ≥ 0, got ${pixels}`);
	if (pixels === 0) return plane;
	const blurred = await sharp(plane, { raw: { width: size.width, height: size.height, channels: 1 } })
		.blur(Math.max(0.3, pixels / 2))
		.toColourspace('b-w')
		.raw()
		.toBuffer();
	if (blurred.length !== plane.length) throw new Error(`feather: blurred plane has ${blurred.length} bytes, expected ${plane.length}`);
	return blurred;
}

/**
 * Square half-side and diagonal reach of the octagon that best matches a disc: along the axes it reaches
 * square + 2·diagonal, along the diagonals (square + diagonal)·√2. The square part is kept ≥ 1 whenever
 * there is a diagonal part, because two diagonal segments alone only reach every other pixel.
 */
function octagon(radius: number): { square: number; diagonal: number } {
	let diagonal = Math.round(radius * (1 - Math.SQRT1_2));
	while (diagonal > 0 && radius - 2 * diagonal < 1) diagonal--;
	return { square: radius - 2 * diagonal, diagonal };
}

/**
 * 1-D max over [−reach, reach] steps of (dx, dy) along every line of the image in that direction.
 * Pixels outside the image count as 0, so the border neither grows nor shrinks anything.
 */
function maxAlongLines(src: Buffer, size: PlaneSize, dx: number, dy: number, reach: number): Buffer {
	const { width, height } = size;
	const out = Buffer.allocUnsafe(src.length);
	const longest = Math.max(width, height);
	const window = 2 * reach + 1;
	const padded = new Uint8Array(longest + 2 * reach + window);
	const forward = new Uint8Array(padded.length);
	const backward = new Uint8Array(padded.length);
	const step = dy * width + dx;

	const run = (x0: number, y0: number) => {
		let length = 0;
		for (let x = x0, y = y0; x >= 0 && x < width && y >= 0 && y < height; x += dx, y += dy) length++;
		if (length === 0) return;
		const start = y0 * width + x0;
		// padded[reach + i] holds the i-th pixel of the line; the rest is 0.
		const total = length + 2 * reach;
		padded.fill(0, 0, total);
		for (let i = 0, p = start; i < length; i++, p += step) padded[reach + i] = src[p];
		// Running max from each block start forwards, and from each block end backwards.
		for (let i = 0; i < total; i++) {
			forward[i] = i % window === 0 ? padded[i] : Math.max(forward[i - 1], padded[i]);
		}
		for (let i = total - 1; i >= 0; i--) {
			backward[i] = i === total - 1 || (i + 1) % window === 0 ? padded[i] : Math.max(backward[i + 1], padded[i]);
		}
		// Window [i, i + 2·reach] in padded coordinates is centred on line pixel i.
		for (let i = 0, p = start; i < length; i++, p += step) {
			const a = backward[i];
			const b = forward[i + 2 * reach];
			out[p] = a > b ? a : b;
		}
	};

	if (dy === 0) {
		for (let y = 0; y < height; y++) run(0, y);
	} else if (dx === 0) {
		for (let x = 0; x < width; x++) run(x, 0);
	} else if (dy === 1) {
		for (let x = 0; x < width; x++) run(x, 0);
		for (let y = 1; y < height; y++) run(0, y);
	} else {
		// Up and to the right: lines start on the left column and the bottom row.
		for (let y = 0; y < height; y++) run(0, y);
		for (let x = 1; x < width; x++) run(x, height - 1);
	}
	return out;
}

function assertPlane(plane: Uint8Array, size: PlaneSize): void {
	if (plane.length !== size.width * size.height) {
		throw new Error(`Plane has ${plane.length} bytes, expected ${size.width}×${size.height}`);
	}
}
