import { isCutoutError } from '../../lib/errors';
import type { DecodedImage } from '../../lib/image/decode';
import { releaseSessions } from '../../lib/inference/sessions';
import { loadSegmentationModel, type SegmentationModel } from '../../lib/models/segmentationModels';
import { mirrorPlanes, segmentImage, type MatteQuality } from '../../lib/pipeline/segmentImage';
import { makeScene, maskIoU } from '../helpers/scene';

/** Matte Quality "high" (flip test-time augmentation) on the real U²-Net-P model. */
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

	it('"high" is the mean of the matte of the image and the mirrored matte of its mirror image', async () => {
		const mirroredImage = { ...image, rgb: mirrorRgb(scene.rgb, scene.width, scene.height) };
		const direct = await segmentImage(image, model);
		const ofMirror = await segmentImage(mirroredImage, model);
		const high = await segmentImage(image, model, { quality: 'high' });
		const size = high.size;
		const unmirrored = mirrorPlanes(ofMirror.lowResolutionMatte, size, 1);
		let largest = 0;
		let differsFromDirect = 0;
		for (let i = 0; i < high.lowResolutionMatte.length; i++) {
			const expected = (direct.lowResolutionMatte[i] + unmirrored[i]) / 2;
			largest = Math.max(largest, Math.abs(high.lowResolutionMatte[i] - expected));
			if (high.lowResolutionMatte[i] !== direct.lowResolutionMatte[i]) differsFromDirect++;
		}
		// Mirroring the resized tensor instead of the image before the resize moves a value by a level at most.
		expect(largest).toBeLessThanOrEqual(2);
		// The scene is not symmetric, so the second pass changes the matte.
		expect(differsFromDirect).toBeGreaterThan(100);
		expect(high.matte).toHaveLength(scene.width * scene.height);
		expect(maskIoU(high.matte, scene.mask)).toBeGreaterThan(0.8);
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
