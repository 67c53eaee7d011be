import { dilate, erode, feather, growOrShrink, invert, threshold } from '../../lib/matte/morphology';
import { shapeMatte } from '../../lib/matte/shape';

const size = { width: 101, height: 101 };

/** A plane with one white pixel (or a white disc of `radius`) at the centre. */
function disc(radius: number, value = 255): Buffer {
	const plane = Buffer.alloc(size.width * size.height);
	for (let y = 0; y < size.height; y++) {
		for (let x = 0; x < size.width; x++) if ((x - 50) ** 2 + (y - 50) ** 2 <= radius ** 2) plane[y * size.width + x] = value;
	}
	return plane;
}

function count(plane: Uint8Array, atLeast = 128): number {
	return plane.reduce((n, v) => n + (v >= atLeast ? 1 : 0), 0);
}

/** Farthest white pixel from the centre along the axis and along the diagonal. */
function reach(plane: Uint8Array): { axis: number; diagonal: number } {
	let axis = 0;
	let diagonal = 0;
	for (let d = 0; d <= 50; d++) {
		if (plane[50 * size.width + 50 + d]) axis = d;
		if (plane[(50 + d) * size.width + 50 + d]) diagonal = d * Math.SQRT2;
	}
	return { axis, diagonal };
}

describe('dilate and erode', () => {
	it.each([1, 2, 3, 5, 8, 16, 32])('grows a point into a near-disc of radius %i (the whole disc, at most 1 px or 10 % more)', (radius) => {
		const grown = dilate(disc(0), size, radius);
		const { axis, diagonal } = reach(grown);
		expect(axis).toBe(radius);
		expect(Math.abs(diagonal - radius)).toBeLessThanOrEqual(Math.max(1.5, radius * 0.09));
		let holesInside = 0;
		let setBeyond = 0;
		for (let y = 0; y < size.height; y++) {
			for (let x = 0; x < size.width; x++) {
				const d = Math.hypot(x - 50, y - 50);
				if (d <= radius && grown[y * size.width + x] !== 255) holesInside++;
				if (d > radius + Math.max(1, radius * 0.1) && grown[y * size.width + x] !== 0) setBeyond++;
			}
		}
		expect({ holesInside, setBeyond }).toEqual({ holesInside: 0, setBeyond: 0 });
	});

	it('keeps grey levels (a soft matte stays soft) and never grows past the image border', () => {
		const plane = disc(10, 100);
		const grown = dilate(plane, size, 4);
		expect(Math.max(...grown)).toBe(100);
		expect(count(grown, 100)).toBeGreaterThan(count(plane, 100));
		const edge = Buffer.alloc(size.width * size.height);
		edge.fill(255, 0, size.width); // top row
		const down = dilate(edge, size, 3);
		expect(count(down)).toBe(size.width * 4);
	});

	it('erodes as the dual of dilate, and growOrShrink picks by sign', () => {
		const plane = disc(20);
		const shrunk = erode(plane, size, 5);
		// The octagon reaches up to a pixel beyond the disc, so erosion may take one pixel more.
		expect(reach(shrunk).axis).toBeGreaterThanOrEqual(14);
		expect(reach(shrunk).axis).toBeLessThanOrEqual(15);
		expect(growOrShrink(plane, size, -5)).toEqual(shrunk);
		expect(reach(growOrShrink(plane, size, 5)).axis).toBe(25);
		expect(growOrShrink(plane, size, 0)).toEqual(plane);
		expect(() => growOrShrink(plane, size, 1.5)).toThrow('whole number');
	});
});

describe('threshold, invert and feather', () => {
	it('thresholds at a share of full scale (0.5 keeps ≥ 128)', () => {
		const ramp = Buffer.from([0, 127, 128, 200, 255]);
		expect([...threshold(ramp, 0.5)]).toEqual([0, 0, 255, 255, 255]);
		expect([...threshold(ramp, 0.8)]).toEqual([0, 0, 0, 0, 255]);
		expect([...invert(ramp)]).toEqual([255, 128, 127, 55, 0]);
	});

	it('feathers a hard edge into a ramp about as wide as asked, keeping the area', async () => {
		const plane = disc(25);
		const soft = await feather(plane, size, 6);
		const row = [...soft.subarray(50 * size.width + 50, 50 * size.width + 101)];
		expect(row[0]).toBe(255);
		expect(row[25]).toBeGreaterThan(100);
		expect(row[25]).toBeLessThan(160);
		const ramp = row.filter((v) => v > 5 && v < 250).length;
		expect(ramp).toBeGreaterThanOrEqual(6);
		expect(ramp).toBeLessThanOrEqual(16);
		expect(Math.abs(count(soft) - count(plane)) / count(plane)).toBeLessThan(0.05);
		await expect(feather(plane, size, 0)).resolves.toBe(plane);
	});
});

describe('shapeMatte (the Alpha Matte options on a known shape)', () => {
	// A soft disc: 255 inside r = 20, a 10-pixel ramp down to 0 at r = 30.
	const soft = Buffer.alloc(size.width * size.height);
	for (let y = 0; y < size.height; y++) {
		for (let x = 0; x < size.width; x++) {
			const d = Math.hypot(x - 50, y - 50);
			soft[y * size.width + x] = Math.round(255 * Math.min(1, Math.max(0, (30 - d) / 10)));
		}
	}

	it('binary output cuts at the threshold', async () => {
		const half = await shapeMatte(soft, size, { binary: true, threshold: 0.5 });
		expect(new Set(half)).toEqual(new Set([0, 255]));
		expect(reach(half).axis).toBe(25);
		expect(reach(await shapeMatte(soft, size, { binary: true, threshold: 0.9 })).axis).toBe(21);
	});

	it('grow and shrink move the soft edge, keeping it soft', async () => {
		const grown = await shapeMatte(soft, size, { grow: 5 });
		expect(grown[50 * size.width + 50 + 25]).toBe(255);
		expect(grown[50 * size.width + 50 + 30]).toBe(soft[50 * size.width + 50 + 25]);
		const shrunk = await shapeMatte(soft, size, { grow: -5 });
		expect(shrunk[50 * size.width + 50 + 14]).toBe(255);
		expect(Math.abs(shrunk[50 * size.width + 50 + 20] - soft[50 * size.width + 50 + 25])).toBeLessThanOrEqual(26);
	});

	it('feathering a binary mask softens it', async () => {
		const mask = await shapeMatte(soft, size, { binary: true, feather: 4 });
		expect(mask.some((v) => v > 0 && v < 255)).toBe(true);
	});
});
