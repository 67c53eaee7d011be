import { isCutoutError } from '../../lib/errors';
import type { DecodedImage } from '../../lib/image/decode';
import { toInputTensor } from '../../lib/inference/segment';
import { releaseSessions } from '../../lib/inference/sessions';
import { loadSegmentationModel, type SegmentationModel } from '../../lib/models/segmentationModels';
import {
	marginsAwayFromSubject,
	type MatteView,
	mirrorPlanes,
	pasteCrop,
	PLAIN_VIEW,
	subjectCrop,
	touchedSides,
	viewMatteToGrid,
	ZOOM_FRAMING,
} from '../../lib/segmentation/matteViews';
import { type MatteQuality, renderView, segmentImage } from '../../lib/segmentation/segmentImage';
import { makeScene, maskIoU } from '../helpers/scene';

/**
 * Matte Quality "high" on the real U²-Net-P model: a zoom onto a subject that leaves room in the frame, else the
 * image and its mirror image with margins away from the subject, averaged.
 */
describe('Matte Quality', () => {
	let model: SegmentationModel;
	const scene = makeScene(480, 320);
	const image: DecodedImage = { rgb: scene.rgb, width: scene.width, height: scene.height, format: 'png', alpha: null };

	beforeAll(async () => {
		model = await loadSegmentationModel({ id: 'u2netp' });
	});
	afterAll(releaseSessions);

	it('mirrors planes left to right, each on its own', () => {
		const planes = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18]);
		expect(Array.from(mirrorPlanes(planes, 3, 2))).toEqual([3, 2, 1, 6, 5, 4, 9, 8, 7, 12, 11, 10, 15, 14, 13, 18, 17, 16]);
		const bytes = Buffer.from([1, 2, 3, 4]);
		expect([...mirrorPlanes(bytes, 2, 1)]).toEqual([2, 1, 4, 3]);
		expect(Buffer.isBuffer(mirrorPlanes(bytes, 2, 1))).toBe(true);
	});

	it('finds the borders a subject touches, and puts margins only on the others', () => {
		const size = 100;
		const matte = Buffer.alloc(size * size);
		// A subject cut by the bottom border, 40 px wide; one stray pixel on the top row does not count.
		for (let y = 50; y < size; y++) matte.fill(255, y * size + 30, y * size + 70);
		matte[5] = 255;
		expect(touchedSides(matte, size)).toEqual({ top: false, right: false, bottom: true, left: false });
		const margins = marginsAwayFromSubject(matte, size);
		expect(margins).toEqual({ top: 3, right: 3, bottom: 0, left: 3 }); // 2.5 % of 100, rounded
	});

	it('maps a view with margins back to the plain geometry: mirrored back, margins cropped, stretched', async () => {
		const size = 8;
		// A view whose model matte is 255 left of column 4 of the square, with a 2 px margin on the left.
		const matte = Buffer.alloc(size * size);
		for (let y = 0; y < size; y++) matte.fill(255, y * size, y * size + 4);
		const view: MatteView = { mirror: false, margins: { top: 0, right: 0, bottom: 0, left: 2 }, kernel: 'linear' };
		const grid = await viewMatteToGrid(matte, size, view);
		// The 6 columns right of the margin (2 subject, 4 background) are stretched over 8: about 2.7 subject columns.
		expect([...grid.subarray(0, size)].map((v) => (v >= 128 ? 1 : 0))).toEqual([1, 1, 1, 0, 0, 0, 0, 0]);
		const mirrored = await viewMatteToGrid(mirrorPlanes(matte, size, 1), size, { ...view, mirror: true });
		expect([...mirrored]).toEqual([...grid]);
	});

	it('frames the subject with context, ignoring a speck, in image pixels', () => {
		const size = 100;
		const matte = Buffer.alloc(size * size);
		// A 20×40 subject in the grid of a 200×100 image: 40×40 image pixels at (80, 30).
		for (let y = 30; y < 70; y++) matte.fill(255, y * size + 40, y * size + 60);
		matte[0] = 255;
		const image = { width: 200, height: 100 };
		// 20 % context on each side: 56 px centred on the box.
		expect(subjectCrop(matte, size, image)).toEqual({ left: 72, top: 22, width: 56, height: 56 });
		// Never more than 4× zoom: a 2 px subject still gets a quarter of each side.
		const speck = Buffer.alloc(size * size);
		speck.fill(255, 50 * size + 50, 50 * size + 52);
		expect(subjectCrop(speck, size, image)).toEqual({ left: 77, top: 38, width: 50, height: 25 });
		// A crop near the border is shifted inside the image, not cut.
		const atEdge = Buffer.alloc(size * size);
		for (let y = 0; y < 40; y++) atEdge.fill(255, y * size + 80, y * size + size);
		expect(subjectCrop(atEdge, size, image)).toEqual({ left: 144, top: 0, width: 56, height: 56 });
		expect(subjectCrop(Buffer.alloc(size * size), size, image)).toBeNull();
		// A subject that fills the frame is not zoomed.
		const large = Buffer.alloc(size * size);
		for (let y = 10; y < 90; y++) large.fill(255, y * size + 10, y * size + 90);
		expect(subjectCrop(large, size, image)).toBeNull();
		expect(subjectCrop(large, size, image, { ...ZOOM_FRAMING, maxArea: 1 })).toEqual({ left: 0, top: 0, width: 200, height: 100 });
	});

	it('joins a crop view with the grid pixels whose centres lie in the crop, resampled: the larger of the two', () => {
		const size = 8;
		const plain = Buffer.alloc(size * size, 30);
		// The crop view: column x of the square holds 10 × x.
		const zoomed = Buffer.from(Array.from({ length: size * size }, (_, i) => (i % size) * 10));
		// The right half of a 16×16 image: grid columns 4..7 sample the square at 0.5, 2.5, 4.5, 6.5.
		const rightHalf = { left: 8, top: 0, width: 8, height: 16 };
		const image = { width: 16, height: 16 };
		const pasted = pasteCrop(plain, zoomed, size, rightHalf, image);
		const replaced = pasteCrop(plain, zoomed, size, rightHalf, image, (_, zoom) => zoom);
		for (let y = 0; y < size; y++) {
			expect([...pasted.subarray(y * size, y * size + size)]).toEqual([30, 30, 30, 30, 30, 30, 45, 65]);
			expect([...replaced.subarray(y * size, y * size + size)]).toEqual([30, 30, 30, 30, 5, 25, 45, 65]);
		}
		// A crop of the whole image maps the square onto the grid unchanged.
		const whole = pasteCrop(plain, zoomed, size, { left: 0, top: 0, width: 16, height: 16 }, image, (_, zoom) => zoom);
		expect([...whole]).toEqual([...zoomed]);
	});

	it('"high" zooms onto a subject that leaves room in the frame', async () => {
		const size = model.contract.input.size;
		const plain = await renderView(image, model, size, PLAIN_VIEW);
		const crop = subjectCrop(plain, size, image);
		expect(crop).not.toBeNull();
		const zoomed = await renderView(image, model, size, { ...PLAIN_VIEW, crop: crop! });

		const high = await segmentImage(image, model, { quality: 'high' });
		const standard = await segmentImage(image, model);
		expect([...standard.lowResolutionMatte]).toEqual([...plain]);
		expect(high.lowResolutionMatte.equals(pasteCrop(plain, zoomed, size, crop!, image))).toBe(true);
		expect(maskIoU(high.matte, scene.mask)).toBeGreaterThan(0.8);
		expect(maskIoU(high.matte, standard.matte)).toBeLessThan(1);
	});

	it('"high" averages the image and its mirror image with margins where the subject fills the frame, cut by the bottom border', async () => {
		// The subject's middle rows, framed tightly on the sides and cut by the bottom border.
		const region = { left: 160, top: 40, width: 160, height: 170 };
		const rgb = Buffer.alloc(region.width * region.height * 3);
		const mask = Buffer.alloc(region.width * region.height);
		for (let y = 0; y < region.height; y++) {
			const from = (region.top + y) * 480 + region.left;
			scene.rgb.copy(rgb, y * region.width * 3, from * 3, (from + region.width) * 3);
			scene.mask.copy(mask, y * region.width, from, from + region.width);
		}
		const cut: DecodedImage = { ...image, rgb, width: region.width, height: region.height };
		const size = model.contract.input.size;
		const plain = await renderView(cut, model, size, PLAIN_VIEW);
		expect(subjectCrop(plain, size, cut)).toBeNull();
		const margins = marginsAwayFromSubject(plain, size);
		expect(margins.bottom).toBe(0);
		expect(margins.top).toBeGreaterThan(0);
		const mirrorView: MatteView = { ...PLAIN_VIEW, mirror: true, margins };
		const mirrored = await viewMatteToGrid(await renderView(cut, model, size, mirrorView), size, mirrorView);

		const high = await segmentImage(cut, model, { quality: 'high' });
		const standard = await segmentImage(cut, model);
		expect(high.grid).toEqual({ width: size, height: size });
		let largest = 0;
		for (let i = 0; i < plain.length; i++) largest = Math.max(largest, Math.abs(high.lowResolutionMatte[i] - (plain[i] + mirrored[i]) / 2));
		expect(largest).toBeLessThanOrEqual(0.5);
		expect(maskIoU(high.matte, mask)).toBeGreaterThan(0.8);
		expect(maskIoU(high.matte, standard.matte)).toBeLessThan(1);
	});

	it('pads the model input by repeating the edge pixels, per side', async () => {
		const rgb = Buffer.from(Array.from({ length: 16 * 16 * 3 }, (_, i) => (i * 37) % 256));
		const unit = { size: 20, sizes: [20], scale: 1 / 255, mean: [0, 0, 0] as [number, number, number], std: [1, 1, 1] as [number, number, number] };
		const tensor = await toInputTensor(rgb, 16, 16, 20, unit, 2);
		const at = (c: number, y: number, x: number) => tensor[c * 400 + y * 20 + x];
		for (let c = 0; c < 3; c++) {
			for (let i = 0; i < 20; i++) {
				const row = Math.min(17, Math.max(2, i));
				// Left and right margins repeat the inner square's first and last columns; top and bottom its rows.
				for (const x of [0, 1]) expect(at(c, i, x)).toBe(at(c, row, 2));
				for (const x of [18, 19]) expect(at(c, i, x)).toBe(at(c, row, 17));
				for (const y of [0, 1]) expect(at(c, y, i)).toBe(at(c, 2, Math.min(17, Math.max(2, i))));
			}
		}
		// Only a top margin: the image is squeezed into rows 4..19 and row 0 repeats row 4.
		const topOnly = await toInputTensor(rgb, 16, 16, 20, unit, { top: 4, right: 0, bottom: 0, left: 0 });
		for (let x = 0; x < 20; x++) expect(topOnly[x]).toBe(topOnly[4 * 20 + x]);
		expect(topOnly[19 * 20]).not.toBe(topOnly[4 * 20]);
		await expect(toInputTensor(rgb, 16, 16, 20, unit, 10)).rejects.toThrow('Margin 10 does not fit a 20×20 input');
	});

	it('refuses an unknown quality, naming it', async () => {
		const error = await segmentImage(image, model, { quality: 'ultra' as MatteQuality }).catch((e: unknown) => e);
		expect(isCutoutError(error) && error.code).toBe('invalid_option');
		expect((error as Error).message).toBe('Matte quality must be "standard" or "high", got "ultra"');
	});
});
