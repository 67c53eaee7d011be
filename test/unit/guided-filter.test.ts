import { guidedUpsample, workingSize } from '../../lib/matte/guidedFilter';
import { resizePlane } from '../../lib/matte/resize';

/** A full-resolution image with a sharp vertical edge at x = edge, and its true matte. */
function scene(width: number, height: number, edge: number) {
	const rgb = Buffer.alloc(width * height * 3);
	const truth = Buffer.alloc(width * height);
	for (let y = 0; y < height; y++) {
		for (let x = 0; x < width; x++) {
			const i = y * width + x;
			const subject = x >= edge;
			rgb.set(subject ? [220, 60, 40] : [40, 90, 160], i * 3);
			truth[i] = subject ? 255 : 0;
		}
	}
	return { rgb, truth };
}

/** Pixels of the middle row that are neither background nor subject (the edge's width). */
function transition(matte: Uint8Array): number {
	const row = matte.subarray(120 * 400, 121 * 400);
	return row.filter((v) => v > 10 && v < 245).length;
}

function meanError(a: Uint8Array, b: Uint8Array): number {
	let sum = 0;
	for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
	return sum / a.length;
}

describe('guided upsampling', () => {
	const full = { width: 400, height: 240 };
	// The edge falls between low-resolution pixels, so a linear upsample smears it over several pixels.
	const { rgb, truth } = scene(full.width, full.height, 201);

	it('follows the full-resolution edge much more closely than a linear upsample', async () => {
		const low = { width: 50, height: 30 };
		const lowMatte = await resizePlane(truth, full, low, 'linear');
		const linear = await resizePlane(lowMatte, low, full, 'linear');
		expect(transition(linear)).toBeGreaterThanOrEqual(12);
		const colour = await guidedUpsample(lowMatte, low, rgb, full, { guide: 'colour' });
		expect(colour).toHaveLength(full.width * full.height);
		expect(transition(colour)).toBeLessThanOrEqual(1);
		expect(meanError(colour, truth)).toBeLessThan(meanError(linear, truth) / 1.5);
		// A grey guide sees only the two colours' small luma difference: the edge is as sharp, the levels less exact.
		const grey = await guidedUpsample(lowMatte, low, rgb, full, { guide: 'grey' });
		const row = grey.subarray(120 * 400, 121 * 400);
		expect(row[200]).toBeLessThan(40);
		expect(row[201]).toBeGreaterThan(215);
		expect(meanError(grey, truth)).toBeLessThan(meanError(linear, truth) * 3);
	});

	it('keeps a constant matte constant and accepts a square model grid for a wide image', async () => {
		const flat = Buffer.alloc(64 * 64, 200);
		const out = await guidedUpsample(flat, { width: 64, height: 64 }, rgb, full);
		expect(Math.min(...out)).toBeGreaterThanOrEqual(199);
		expect(Math.max(...out)).toBeLessThanOrEqual(201);
	});

	it('fits on a grid with the image’s aspect ratio and at most the matte’s pixel count', () => {
		expect(workingSize({ width: 1024, height: 1024 }, { width: 4000, height: 3000 })).toEqual({ width: 1182, height: 887 });
		expect(workingSize({ width: 1024, height: 1024 }, { width: 400, height: 300 })).toEqual({ width: 400, height: 300 });
	});
});
