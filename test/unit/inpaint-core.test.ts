import sharp from 'sharp';

import { isCutoutError } from '../../lib/errors';
import { loadInpaintEngine } from '../../lib/inpaint/engines';
import { patchFill, transferDetail } from '../../lib/inpaint/patchFill';
import { checkDilation, dilateHoles, holeFraction, maskFromBox, maskFromImage, maskFromSubject, resolveHoles } from '../../lib/inpaint/mask';
import { cropAround, holeBoxes, planCrops } from '../../lib/inpaint/regions';
import { smoothFill } from '../../lib/inpaint/smoothFill';

const limits = { maxPixels: 64_000_000, maxInputBytes: 100 * 1024 * 1024 };
const size = { width: 200, height: 100 };

function grey(plane: Buffer, width: number, height: number, format: 'png' | 'jpeg' = 'png'): Promise<Buffer> {
	const image = sharp(plane, { raw: { width, height, channels: 1 } }).toColourspace('b-w');
	return (format === 'png' ? image.png() : image.jpeg({ quality: 90 })).toBuffer();
}

function rect(width: number, height: number, box: { x: number; y: number; width: number; height: number }, value = 255): Buffer {
	const plane = Buffer.alloc(width * height);
	for (let y = box.y; y < box.y + box.height; y++) plane.fill(value, y * width + box.x, y * width + box.x + box.width);
	return plane;
}

async function codeOf(promise: Promise<unknown> | (() => unknown)): Promise<string | undefined> {
	try {
		await (typeof promise === 'function' ? promise() : promise);
	} catch (error) {
		return isCutoutError(error) ? error.code : `not a CutoutError: ${String(error)}`;
	}
	return undefined;
}

const count = (plane: Uint8Array) => plane.reduce((n, v) => n + (v >= 128 ? 1 : 0), 0);

describe('the region to fill', () => {
	it('reads a mask image (PNG or JPEG), thresholding at 50 %', async () => {
		const plane = rect(200, 100, { x: 20, y: 10, width: 30, height: 40 });
		plane[0] = 127; // just below half
		plane[1] = 128;
		const fromPng = await maskFromImage(await grey(plane, 200, 100), size, limits);
		expect(count(fromPng)).toBe(30 * 40 + 1);
		expect(fromPng[0]).toBe(0);
		expect(fromPng[1]).toBe(255);
		const fromJpeg = await maskFromImage(await grey(rect(200, 100, { x: 20, y: 10, width: 30, height: 40 }), 200, 100, 'jpeg'), size, limits);
		expect(Math.abs(count(fromJpeg) - 1200)).toBeLessThan(40);
	});

	it('resizes a mask whose aspect ratio is within 1 %, refuses others with mask_size_mismatch', async () => {
		const half = await maskFromImage(await grey(rect(100, 50, { x: 10, y: 5, width: 15, height: 20 }), 100, 50), size, limits);
		expect(half).toHaveLength(200 * 100);
		expect(Math.abs(count(half) - 1200)).toBeLessThan(80);
		// 101×50 is 1 % off: still accepted; 103×50 is 3 % off.
		await expect(maskFromImage(await grey(Buffer.alloc(101 * 50, 255), 101, 50), size, limits)).resolves.toHaveLength(20000);
		await expect(maskFromImage(await grey(Buffer.alloc(99 * 50, 255), 99, 50), size, limits)).resolves.toHaveLength(20000);
		expect(await codeOf(maskFromImage(await grey(Buffer.alloc(103 * 50, 255), 103, 50), size, limits))).toBe('mask_size_mismatch');
		expect(await codeOf(maskFromImage(await grey(Buffer.alloc(100 * 100, 255), 100, 100), size, limits))).toBe('mask_size_mismatch');
	});

	it('counts transparent pixels of a mask as keep (a white stroke on a transparent layer)', async () => {
		const rgba = Buffer.alloc(200 * 100 * 4, 255); // white everywhere…
		for (let i = 0; i < 200 * 100; i++) rgba[i * 4 + 3] = i % 200 < 50 ? 255 : 0; // …opaque only on the left quarter
		const mask = await maskFromImage(await sharp(rgba, { raw: { width: 200, height: 100, channels: 4 } }).png().toBuffer(), size, limits);
		expect(count(mask)).toBe(50 * 100);
	});

	it('turns a box into a mask and refuses boxes outside the image with invalid_bbox', async () => {
		expect(count(maskFromBox({ x: 190, y: 90, width: 10, height: 10 }, size))).toBe(100);
		for (const box of [
			{ x: 195, y: 0, width: 10, height: 10 },
			{ x: -1, y: 0, width: 10, height: 10 },
			{ x: 0, y: 95, width: 10, height: 6 },
			{ x: 0, y: 0, width: 0, height: 10 },
			{ x: 0.5, y: 0, width: 10, height: 10 },
			{ x: Number.NaN, y: 0, width: 10, height: 10 },
		]) {
			expect(await codeOf(() => maskFromBox(box, size))).toBe('invalid_bbox');
		}
	});

	it('takes the subject (matte ≥ 50 %) and reports no_subject_detected for an empty or speck matte', async () => {
		const matte = rect(200, 100, { x: 50, y: 20, width: 40, height: 50 }, 200);
		expect(count(maskFromSubject(matte))).toBe(2000);
		expect(await codeOf(() => maskFromSubject(Buffer.alloc(20000, 100)))).toBe('no_subject_detected');
		expect(await codeOf(() => maskFromSubject(rect(200, 100, { x: 0, y: 0, width: 4, height: 4 })))).toBe('no_subject_detected');
	});

	it('uses the mask over the box over the subject', async () => {
		const maskPng = await grey(rect(200, 100, { x: 0, y: 0, width: 10, height: 10 }), 200, 100);
		const bbox = { x: 100, y: 50, width: 20, height: 20 };
		const subject = jest.fn(async () => rect(200, 100, { x: 50, y: 20, width: 40, height: 50 }));
		const all = await resolveHoles(size, { mask: maskPng, bbox, subjectMatte: subject }, limits);
		expect([all.mode, count(all.plane)]).toEqual(['mask', 100]);
		const boxAndSubject = await resolveHoles(size, { bbox, subjectMatte: subject }, limits);
		expect([boxAndSubject.mode, count(boxAndSubject.plane)]).toEqual(['bbox', 400]);
		expect(subject).not.toHaveBeenCalled();
		const subjectOnly = await resolveHoles(size, { subjectMatte: subject }, limits);
		expect([subjectOnly.mode, count(subjectOnly.plane)]).toEqual(['subject', 2000]);
	});

	it('dilates by 0–32 whole pixels, refuses anything else with invalid_dilation', async () => {
		const box = maskFromBox({ x: 100, y: 50, width: 1, height: 1 }, size);
		expect(count(dilateHoles(box, size, 0))).toBe(1);
		expect(count(dilateHoles(box, size, 8))).toBeGreaterThanOrEqual(Math.floor(Math.PI * 64));
		expect(checkDilation(32)).toBe(32);
		for (const bad of [-1, 33, 2.5, Number.NaN]) expect(await codeOf(() => checkDilation(bad))).toBe('invalid_dilation');
	});

	it('refuses an empty mask with empty_mask and reports the hole fraction otherwise', async () => {
		expect(await codeOf(() => holeFraction(Buffer.alloc(100)))).toBe('empty_mask');
		expect(holeFraction(rect(10, 10, { x: 0, y: 0, width: 5, height: 10 }))).toBe(0.5);
	});
});

describe('engines', () => {
	it('knows the embedded engines and the catalog models, and refuses others with model_unknown', async () => {
		expect((await loadInpaintEngine('patch')).id).toBe('patch');
		expect((await loadInpaintEngine('smooth')).id).toBe('smooth');
		await expect(loadInpaintEngine('isnet-general-fp16')).rejects.toMatchObject({
			code: 'model_unknown',
			hint: 'Known: patch, smooth, migan-pipeline-v2, lama',
		});
	});
});

describe('crops', () => {
	it('finds 8-connected holes', () => {
		const plane = Buffer.alloc(20 * 10);
		plane[0] = 1;
		plane[21] = 1; // diagonal neighbour: same hole
		plane[9] = 1;
		plane[10] = 1; // a U-shape joined in the next rows
		plane[29] = 1;
		plane[30] = 1;
		plane[49] = 1;
		plane[50] = 1;
		plane[199] = 1;
		const boxes = holeBoxes(plane, { width: 20, height: 10 });
		expect(boxes).toEqual(
			expect.arrayContaining([
				{ x: 0, y: 0, width: 2, height: 2 },
				{ x: 9, y: 0, width: 2, height: 3 },
				{ x: 19, y: 9, width: 1, height: 1 },
			]),
		);
		expect(boxes).toHaveLength(3);
	});

	it('puts a square crop with context around each hole, inside the image, and merges overlapping crops', () => {
		const image = { width: 4000, height: 3000 };
		expect(cropAround({ x: 100, y: 100, width: 20, height: 20 }, image)).toEqual({ x: 0, y: 0, width: 512, height: 512 });
		expect(cropAround({ x: 2000, y: 1000, width: 800, height: 400 }, image)).toEqual({ x: 1600, y: 400, width: 1600, height: 1600 });
		expect(cropAround({ x: 0, y: 0, width: 400, height: 3000 }, { width: 400, height: 3000 })).toEqual({ x: 0, y: 0, width: 400, height: 3000 });

		const plane = Buffer.alloc(image.width * image.height);
		const mark = (x: number, y: number) => (plane[y * image.width + x] = 255);
		mark(100, 100);
		mark(300, 300); // its crop overlaps the first one's
		mark(3500, 2500);
		const crops = planCrops(plane, image);
		expect(crops).toHaveLength(2);
		for (const [x, y] of [[100, 100], [300, 300], [3500, 2500]]) {
			expect(crops.some((c) => x >= c.x && x < c.x + c.width && y >= c.y && y < c.y + c.height)).toBe(true);
		}
	});
});

describe('embedded fills', () => {
	/** Vertical stripes with a hole in the middle. */
	function stripes(width: number, height: number, period: number) {
		const rgb = new Float32Array(width * height * 3);
		const hole = new Uint8Array(width * height);
		for (let y = 0; y < height; y++) {
			for (let x = 0; x < width; x++) {
				const i = y * width + x;
				const v = Math.floor(x / period) % 2 ? 200 : 50;
				rgb.set([v, 100, 255 - v], i * 3);
				if (x > width * 0.35 && x < width * 0.65 && y > height * 0.3 && y < height * 0.7) hole[i] = 1;
			}
		}
		return { width, height, rgb, hole, truth: Float32Array.from(rgb) };
	}

	function holeError(a: Float32Array, b: Float32Array, hole: Uint8Array): number {
		let sum = 0;
		let n = 0;
		for (let i = 0; i < hole.length; i++) {
			if (!hole[i]) continue;
			sum += Math.abs(a[i * 3] - b[i * 3]);
			n++;
		}
		return sum / n;
	}

	it('the patch fill continues a texture through the hole, the smooth fill averages it', () => {
		const scene = stripes(120, 90, 6);
		for (let i = 0; i < scene.hole.length; i++) if (scene.hole[i]) scene.rgb.fill(0, i * 3, i * 3 + 3);
		const patched = { ...scene, rgb: Float32Array.from(scene.rgb) };
		patchFill(patched, scene.hole);
		expect(holeError(patched.rgb, scene.truth, scene.hole)).toBeLessThan(5);
		const smooth = { ...scene, rgb: Float32Array.from(scene.rgb) };
		smoothFill(smooth, scene.hole);
		expect(holeError(smooth.rgb, scene.truth, scene.hole)).toBeGreaterThan(40);
		// Known pixels are never touched.
		for (let i = 0; i < scene.hole.length; i++) {
			if (!scene.hole[i]) expect(patched.rgb[i * 3]).toBe(scene.truth[i * 3]);
		}
	});

	it('the smooth fill interpolates a gradient', () => {
		const width = 64;
		const height = 32;
		const rgb = new Float32Array(width * height * 3);
		const hole = new Uint8Array(width * height);
		for (let i = 0; i < width * height; i++) {
			const x = i % width;
			rgb.fill(x * 4, i * 3, i * 3 + 3);
			if (x >= 20 && x < 44) hole[i] = 1;
		}
		const image = { width, height, rgb: Float32Array.from(rgb) };
		smoothFill(image, hole);
		expect(image.rgb[(16 * width + 32) * 3]).toBeGreaterThan(100);
		expect(image.rgb[(16 * width + 32) * 3]).toBeLessThan(156);
	});

	it('transfers full-resolution texture from a fill made at half resolution', () => {
		const full = stripes(240, 180, 4);
		const half = stripes(120, 90, 2);
		const { field } = patchFill(half, half.hole);
		for (let i = 0; i < full.hole.length; i++) if (full.hole[i]) full.rgb.fill(0, i * 3, i * 3 + 3);
		const whole = { x: 0, y: 0, width: full.width, height: full.height };
		const filled = transferDetail({ ...full, rgb: Uint8Array.from(full.rgb) }, full.hole, half, field, whole);
		expect(holeError(filled, full.truth, full.hole)).toBeLessThan(25);
	});
});
