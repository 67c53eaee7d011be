import { cropInterleaved, flattenOnto, multiplyMattes, toRgba } from '../../lib/matte/composite';
import { matteToImageSize, resizePlane } from '../../lib/matte/resize';
import { firstNonZero, foregroundFraction, lastNonZero, padBox, subjectBox } from '../../lib/matte/stats';
import { mulberry32 } from '../../lib/random';

describe('resizePlane', () => {
	it('keeps one channel when upsampling a matte (sharp would otherwise widen it to three)', async () => {
		const plane = Buffer.from([0, 255, 255, 0]);
		const out = await resizePlane(plane, { width: 2, height: 2 }, { width: 64, height: 48 });
		expect(out).toHaveLength(64 * 48);
		// Corners keep their values; the middle blends.
		expect(out[0]).toBeLessThan(30);
		expect(out[63]).toBeGreaterThan(225);
		expect(out[64 * 47]).toBeGreaterThan(225);
		expect(out[64 * 48 - 1]).toBeLessThan(30);
	});

	it('returns the same plane when the size is unchanged', async () => {
		const plane = Buffer.from([1, 2, 3, 4]);
		await expect(resizePlane(plane, { width: 2, height: 2 }, { width: 2, height: 2 })).resolves.toBe(plane);
	});

	it('refuses a plane whose length does not match its size', async () => {
		await expect(resizePlane(Buffer.alloc(3), { width: 2, height: 2 }, { width: 4, height: 4 })).rejects.toThrow('expected 2×2');
	});
});

describe('matteToImageSize', () => {
	const grid = { width: 1024, height: 1024 };
	const image = { width: 400, height: 300 };
	// A slanted branch 1 model pixel wide, fully opaque: under one image pixel once shrunk 2.56×.
	const matte = Buffer.alloc(1024 * 1024);
	for (let y = 0; y < 1024; y++) matte.fill(255, y * 1024 + 300 + (y >> 2), y * 1024 + 301 + (y >> 2));
	const opaque = (plane: Buffer) => plane.filter((v) => v >= 128).length;

	it('keeps more of a thin part at one half or above when shrinking than a prefiltering kernel does', async () => {
		const sampled = opaque(await matteToImageSize(matte, grid, image));
		const prefiltered = opaque(await resizePlane(matte, grid, image, 'linear'));
		expect(prefiltered).toBe(0);
		expect(sampled).toBeGreaterThan(image.height / 4);
	});

	it('samples centre-aligned and bilinearly', async () => {
		const out = await matteToImageSize(Buffer.from([0, 100, 200, 40]), { width: 2, height: 2 }, { width: 1, height: 1 });
		expect([...out]).toEqual([85]); // the mean of the four, at the centre
		const halved = await matteToImageSize(Buffer.from([0, 0, 255, 255, 0, 0, 255, 255]), { width: 4, height: 2 }, { width: 2, height: 1 });
		expect([...halved]).toEqual([0, 255]);
	});

	it.each([
		['enlarging', { width: 37, height: 23 }, { width: 160, height: 71 }],
		['shrinking', { width: 160, height: 71 }, { width: 37, height: 23 }],
		['enlarging one side, shrinking the other', { width: 40, height: 90 }, { width: 131, height: 29 }],
	])('gives the bytes of interpolating every output pixel from its four neighbours: %s', async (_, from, to) => {
		// Flat inside and outside, a soft noisy edge between: rows that agree in runs and differ in others.
		const random = mulberry32(3);
		const plane = Buffer.alloc(from.width * from.height);
		for (let y = 0; y < from.height; y++) {
			for (let x = 0; x < from.width; x++) {
				const d = Math.hypot(x - from.width / 2, y - from.height / 2) - Math.min(from.width, from.height) / 3;
				plane[y * from.width + x] = d < -2 ? 255 : d > 2 ? 0 : Math.floor(random() * 256);
			}
		}
		const at = (i: number, source: number, target: number) => Math.min(source - 1, Math.max(0, (i + 0.5) * (source / target) - 0.5));
		const expected = Buffer.alloc(to.width * to.height);
		for (let y = 0; y < to.height; y++) {
			const sy = at(y, from.height, to.height);
			const [y0, y1] = [Math.floor(sy), Math.min(from.height - 1, Math.floor(sy) + 1)];
			for (let x = 0; x < to.width; x++) {
				const sx = at(x, from.width, to.width);
				const [x0, x1] = [Math.floor(sx), Math.min(from.width - 1, Math.floor(sx) + 1)];
				const row = (r: number) => plane[r * from.width + x0] + (plane[r * from.width + x1] - plane[r * from.width + x0]) * (sx - x0);
				expected[y * to.width + x] = Math.round(row(y0) + (row(y1) - row(y0)) * (sy - y0));
			}
		}
		expect((await matteToImageSize(plane, from, to)).equals(expected)).toBe(true);
	});

	it('enlarges the same way, the border samples clamped', async () => {
		const ramp = await matteToImageSize(Buffer.from([0, 255, 0, 255]), { width: 2, height: 2 }, { width: 4, height: 3 });
		expect([...ramp]).toEqual([0, 64, 191, 255, 0, 64, 191, 255, 0, 64, 191, 255]);
	});
});

describe('subjectBox and foregroundFraction', () => {
	const width = 6;
	const height = 5;
	const matte = Buffer.alloc(width * height);
	matte[1 * width + 2] = 255;
	matte[3 * width + 4] = 128;
	matte[4 * width + 0] = 5; // below the visibility threshold

	it('boxes visible pixels only', () => {
		expect(subjectBox(matte, width, height)).toEqual({ x: 2, y: 1, width: 3, height: 3 });
	});

	it('finds the first and last non-zero byte of any range, at any alignment, as a byte-by-byte scan would', () => {
		const random = mulberry32(11);
		const backing = new Uint8Array(80);
		for (let trial = 0; trial < 400; trial++) {
			backing.fill(0);
			for (let k = Math.floor(random() * 3); k > 0; k--) backing[Math.floor(random() * 80)] = 1 + Math.floor(random() * 255);
			const offset = Math.floor(random() * 7);
			const plane = backing.subarray(offset);
			const from = Math.floor(random() * 40);
			const to = from + Math.floor(random() * (plane.length - from + 1));
			let first = to;
			let last = from - 1;
			for (let i = from; i < to; i++) {
				if (!plane[i]) continue;
				if (first === to) first = i;
				last = i;
			}
			expect([firstNonZero(plane, from, to), lastNonZero(plane, from, to)]).toEqual([first, last]);
		}
		// Threshold 1 takes that path in subjectBox.
		expect(subjectBox(matte, width, height, 1)).toEqual({ x: 0, y: 1, width: 5, height: 4 });
	});

	it('agrees with a byte-by-byte scan on mattes with flat, soft and faint runs, at any alignment', () => {
		const random = mulberry32(23);
		const [w, h] = [37, 19];
		const backing = new Uint8Array(w * h + 8);
		for (let trial = 0; trial < 60; trial++) {
			const plane = backing.subarray(trial % 5, (trial % 5) + w * h);
			for (let i = 0; i < plane.length; ) {
				const run = 1 + Math.floor(random() * 12);
				const value = [0, 0, 255, 3, 9, 10, 200][Math.floor(random() * 7)];
				plane.fill(value, i, Math.min(plane.length, i + run));
				i += run;
			}
			let [minX, minY, maxX, maxY, sum] = [w, h, -1, -1, 0];
			for (let i = 0; i < plane.length; i++) {
				sum += plane[i];
				if (plane[i] < 10) continue;
				const [x, y] = [i % w, Math.floor(i / w)];
				[minX, minY, maxX, maxY] = [Math.min(minX, x), Math.min(minY, y), Math.max(maxX, x), Math.max(maxY, y)];
			}
			const box = maxX < 0 ? null : { x: minX, y: minY, width: maxX - minX + 1, height: maxY - minY + 1 };
			expect(subjectBox(plane, w, h)).toEqual(box);
			expect(foregroundFraction(plane)).toBeCloseTo(sum / (255 * plane.length), 12);
		}
	});

	it('returns null for an empty matte', () => {
		expect(subjectBox(Buffer.alloc(width * height), width, height)).toBeNull();
	});

	it('weights soft pixels by their alpha', () => {
		expect(foregroundFraction(matte)).toBeCloseTo((255 + 128 + 5) / (255 * 30), 6);
	});

	it('pads and clips boxes to the image', () => {
		expect(padBox({ x: 2, y: 1, width: 3, height: 3 }, 2, width, height)).toEqual({ x: 0, y: 0, width: 6, height: 5 });
		expect(padBox({ x: 2, y: 2, width: 1, height: 1 }, 1, width, height)).toEqual({ x: 1, y: 1, width: 3, height: 3 });
	});
});

describe('compositing', () => {
	const rgb = Buffer.from([200, 100, 50, 10, 20, 30]);
	const alpha = Buffer.from([255, 0]);

	it('interleaves RGBA, blacking out invisible colour', () => {
		expect(Array.from(toRgba(rgb, alpha))).toEqual([200, 100, 50, 255, 0, 0, 0, 0]);
		expect(Array.from(toRgba(Buffer.from([1, 2, 3]), Buffer.from([1])))).toEqual([1, 2, 3, 1]);
	});

	it('flattens onto a colour by alpha', () => {
		const half = flattenOnto(Buffer.from([200, 100, 0]), Buffer.from([128]), { r: 0, g: 0, b: 255 });
		expect(Array.from(half)).toEqual([100, 50, 127]);
		expect(Array.from(flattenOnto(rgb, alpha, { r: 1, g: 2, b: 3 }))).toEqual([200, 100, 50, 1, 2, 3]);
	});

	it('keeps a source image’s own transparency', () => {
		expect(Array.from(multiplyMattes(Buffer.from([255, 255, 128, 0]), Buffer.from([255, 0, 128, 255])))).toEqual([255, 0, 64, 0]);
	});

	it('crops interleaved pixels', () => {
		const image = Buffer.from([...Array(4 * 3 * 2).keys()]); // 4×3, 2 channels
		expect(Array.from(cropInterleaved(image, 4, 2, { x: 1, y: 1, width: 2, height: 2 }))).toEqual([10, 11, 12, 13, 18, 19, 20, 21]);
	});
});
