import { isCutoutError } from '../../lib/errors';
import type { DecodedImage } from '../../lib/image/decode';
import { keptPixelBuffers } from '../../lib/image/pixelPool';
import { toInputTensor, toModelSquare } from '../../lib/inference/segment';
import { releaseSessions } from '../../lib/inference/sessions';
import { loadSegmentationModel, type SegmentationModel } from '../../lib/models/segmentationModels';
import { highViewsFor, joinMattes, type MatteView, mirrorPlanes, mirrorViewFor, PLAIN_VIEW, touchedSides, viewMatteToGrid, viewName } from '../../lib/segmentation/matteViews';
import { type MatteQuality, type RenderView, renderView, segmentImage } from '../../lib/segmentation/segmentImage';
import { makeScene, maskIoU } from '../helpers/scene';

/** Matte Quality "high" (the image and three more views, among them its mirror image reflected into margins, joined by a power mean) on the real U²-Net-P model. */
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

	it('finds the borders a subject touches; the mirror view reflects 10 % beyond them and 2.5 % beyond the others', () => {
		const size = 100;
		const matte = Buffer.alloc(size * size);
		// A subject cut by the bottom border, 40 px wide; one stray pixel on the top row does not count.
		for (let y = 50; y < size; y++) matte.fill(255, y * size + 30, y * size + 70);
		matte[5] = 255;
		expect(touchedSides(matte, size)).toEqual({ top: false, right: false, bottom: true, left: false });
		expect(mirrorViewFor(matte, size)).toEqual({
			mirror: true,
			margins: { top: 3, right: 3, bottom: 10, left: 3 }, // 2.5 % and 10 % of 100, rounded
			kernel: PLAIN_VIEW.kernel,
			marginFill: 'mirror',
		});
	});

	it('joins two mattes by their power mean 1.5: equal values stay, one missing view keeps more than the mean', () => {
		const first = Buffer.from([0, 0, 255, 100, 200, 128]);
		const second = Buffer.from([0, 255, 255, 100, 50, 64]);
		const powerMean = (a: number, b: number) => Math.round(255 * (((a / 255) ** 1.5 + (b / 255) ** 1.5) / 2) ** (1 / 1.5));
		const joined = joinMattes([first, second]);
		expect([...joined]).toEqual([...first].map((a, i) => powerMean(a, second[i])));
		expect([...joined]).toEqual([0, 161, 255, 100, 136, 99]);
		expect([...joinMattes([second, first])]).toEqual([...joined]);
		// Four views, as High joins them: one view alone at 255 keeps 255 × (1/4)^(1/1.5) ≈ 101; at exponent 1, the mean.
		const none = Buffer.alloc(1);
		expect([...joinMattes([Buffer.from([255]), none, none, none])]).toEqual([101]);
		expect([...joinMattes([Buffer.from([255]), none, none, none], 1)]).toEqual([64]);
		expect([...joinMattes([Buffer.from([90]), Buffer.from([90]), Buffer.from([90])])]).toEqual([90]);
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

	it('"high" joins the image with its mirror view and the image reflected beyond the border the subject touches, and the mirror image', async () => {
		// The subject cut by the bottom border: the lower 60 % of the scene.
		const cut = { ...image, rgb: scene.rgb.subarray(0, 480 * 230 * 3), height: 230 };
		const size = model.contract.input.size;
		const plain = await renderView(cut, model, size, PLAIN_VIEW);
		const mirrorView = mirrorViewFor(plain, size);
		expect(mirrorView.margins.bottom).toBe(Math.round(size * 0.1));
		expect(mirrorView.margins.top).toBe(Math.round(size * 0.025));
		const views = highViewsFor(plain, size);
		expect(views).toEqual([mirrorView, { ...mirrorView, mirror: false }, { ...PLAIN_VIEW, mirror: true }]);
		const rendered = new Map([[viewName(PLAIN_VIEW), plain]]);
		for (const view of views) rendered.set(viewName(view), await renderView(cut, model, size, view));
		const mattes = await Promise.all([PLAIN_VIEW, ...views].map((view) => viewMatteToGrid(rendered.get(viewName(view))!, size, view)));

		// With highViewsModel (the int8 graph, in the engine) all four views run there: here the same session
		// under another name, so that the routing shows.
		const ranOn: string[] = [];
		const recording: RenderView = async (decoded, on, gridSize, view, tensors) => {
			ranOn.push(on.id);
			return renderView(decoded, on, gridSize, view, tensors);
		};
		const high = await segmentImage(cut, model, { quality: 'high', highViewsModel: { ...model, id: 'int8 stand-in' } }, recording);
		expect(ranOn).toEqual(['int8 stand-in', 'int8 stand-in', 'int8 stand-in', 'int8 stand-in']);
		expect(high.grid).toEqual({ width: size, height: size });
		expect([...high.lowResolutionMatte]).toEqual([...joinMattes(mattes)]);
		expect(maskIoU(high.matte, scene.mask.subarray(0, 480 * 230))).toBeGreaterThan(0.8);
		// Without it (a model with no int8 graph, as U²-Net-P) High runs the model on the image and the mirror view.
		const twoViews = await segmentImage(cut, model, { quality: 'high' });
		expect([...twoViews.lowResolutionMatte]).toEqual([...joinMattes(mattes.slice(0, 2))]);
		expect([...twoViews.lowResolutionMatte]).not.toEqual([...plain]);
		expect(maskIoU(twoViews.matte, scene.mask.subarray(0, 480 * 230))).toBeGreaterThan(0.8);
	});

	it('shows the model only the crop of a crop view', async () => {
		const size = model.contract.input.size;
		const crop = { left: 120, top: 40, width: 240, height: 260 };
		const rgb = Buffer.alloc(crop.width * crop.height * 3);
		for (let y = 0; y < crop.height; y++) scene.rgb.copy(rgb, y * crop.width * 3, ((crop.top + y) * 480 + crop.left) * 3, ((crop.top + y) * 480 + crop.left + crop.width) * 3);
		const cropped = await renderView({ ...image, rgb, width: crop.width, height: crop.height }, model, size, PLAIN_VIEW);
		expect((await renderView(image, model, size, { ...PLAIN_VIEW, crop })).equals(cropped)).toBe(true);
		expect((await renderView(image, model, size, PLAIN_VIEW)).equals(cropped)).toBe(false);
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

	it('reflects the image into the margins when asked: the edge pixel, then the ones inside it', async () => {
		const rgb = Buffer.from(Array.from({ length: 16 * 16 * 3 }, (_, i) => (i * 37) % 256));
		const unit = { size: 20, sizes: [20], scale: 1 / 255, mean: [0, 0, 0] as [number, number, number], std: [1, 1, 1] as [number, number, number] };
		const reflected = await toInputTensor(rgb, 16, 16, 20, unit, 2, 'lanczos3', 'mirror');
		const repeated = await toInputTensor(rgb, 16, 16, 20, unit, 2, 'lanczos3', 'copy');
		const at = (tensor: Float32Array, y: number, x: number) => tensor[y * 20 + x];
		for (let y = 2; y < 18; y++) {
			// The image occupies columns 2..17; column 1 mirrors column 2, column 0 mirrors column 3.
			expect(at(reflected, y, 1)).toBe(at(reflected, y, 2));
			expect(at(reflected, y, 0)).toBe(at(reflected, y, 3));
			expect(at(reflected, y, 19)).toBe(at(reflected, y, 16));
			expect(at(reflected, y, 2)).toBe(at(repeated, y, 2));
		}
		expect(Array.from({ length: 14 }, (_, y) => at(reflected, y + 2, 0) === at(repeated, y + 2, 0)).every(Boolean)).toBe(false);
	});

	it('gives back its model inputs once the model has run, and returns the plain square the model saw', async () => {
		const size = model.contract.input.size;
		const kept = keptPixelBuffers();
		const result = await segmentImage(image, model, { quality: 'high' });
		// The plain and the margin views' tensors (the mirror views flip them) come back for the next image.
		expect(keptPixelBuffers()).toBe(kept + 2);
		expect(result.modelSquare?.equals(await toModelSquare(image.rgb, image.width, image.height, size))).toBe(true);
	});

	it('refuses an unknown quality, naming it', async () => {
		const error = await segmentImage(image, model, { quality: 'ultra' as MatteQuality }).catch((e: unknown) => e);
		expect(isCutoutError(error) && error.code).toBe('invalid_option');
		expect((error as Error).message).toBe('Matte quality must be one of "standard", "high", "speed", got "ultra"');
	});

	it('refuses "speed" for a model without an int8 calibration, naming the model', async () => {
		const error = await loadSegmentationModel({ id: 'u2netp' }, { precision: 'int8' }).catch((e: unknown) => e);
		expect(isCutoutError(error) && error.code).toBe('invalid_option');
		expect((error as Error).message).toBe('Matte quality "Speed" runs an int8 graph calibrated for its model, and model "u2netp" has none');
	});
});
