import { isCutoutError } from '../../lib/errors';
import type { DecodedImage } from '../../lib/image/decode';
import { runSegmentation, toInputTensor } from '../../lib/inference/segment';
import { releaseSessions } from '../../lib/inference/sessions';
import { loadSegmentationModel, type SegmentationModel } from '../../lib/models/segmentationModels';
import { mirrorPlanes, segmentImage, type MatteQuality } from '../../lib/pipeline/segmentImage';
import { makeScene, maskIoU } from '../helpers/scene';

/** Matte Quality "high" (two padded views, one mirrored, averaged) on the real U²-Net-P model. */
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

	it('"high" averages the padded image and its mirror image, and crops the margin off', async () => {
		const { size } = model.contract.input; // 320 for U²-Net-P: 8 px margins, a 304² inner square
		const margin = 8;
		const inner = size - 2 * margin;
		const viewOf = async (rgb: Buffer) =>
			runSegmentation(model.session, model.contract, await toInputTensor(rgb, scene.width, scene.height, size, model.contract.input, margin), size);
		const padded = await viewOf(scene.rgb);
		const mirrored = mirrorPlanes(await viewOf(mirrorRgb(scene.rgb, scene.width, scene.height)), size, 1);

		const high = await segmentImage(image, model, { quality: 'high' });
		const standard = await segmentImage(image, model);

		expect(high.grid).toEqual({ width: inner, height: inner });
		expect(standard.grid).toEqual({ width: size, height: size });
		let largest = 0;
		for (let y = 0; y < inner; y++) {
			for (let x = 0; x < inner; x++) {
				const at = (y + margin) * size + x + margin;
				largest = Math.max(largest, Math.abs(high.lowResolutionMatte[y * inner + x] - (padded[at] + mirrored[at]) / 2));
			}
		}
		// Mirroring the resized tensor instead of the image before the resize moves a value by a level or two.
		expect(largest).toBeLessThanOrEqual(2);
		expect(high.matte).toHaveLength(scene.width * scene.height);
		expect(maskIoU(high.matte, scene.mask)).toBeGreaterThan(0.8);
		expect(maskIoU(high.matte, standard.matte)).toBeLessThan(1);
	});

	it('pads the model input by repeating the edge pixels', async () => {
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
		await expect(toInputTensor(rgb, 16, 16, 20, unit, 10)).rejects.toThrow('Margin 10 does not fit a 20×20 input');
	});

	it('refuses an unknown quality, naming it', async () => {
		const error = await segmentImage(image, model, { quality: 'ultra' as MatteQuality }).catch((e: unknown) => e);
		expect(isCutoutError(error) && error.code).toBe('invalid_option');
		expect((error as Error).message).toBe('Matte quality must be "standard" or "high", got "ultra"');
	});
});

function mirrorRgb(rgb: Buffer, width: number, height: number): Buffer {
	const out = Buffer.allocUnsafe(rgb.length);
	for (let y = 0; y < height; y++) {
		for (let x = 0; x < width; x++) rgb.copy(out, (y * width + width - 1 - x) * 3, (y * width + x) * 3, (y * width + x) * 3 + 3);
	}
	return out;
}
