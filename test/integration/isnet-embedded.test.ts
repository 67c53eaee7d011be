import { loadSegmentationModel } from '../../lib/models/segmentationModels';
import { removeBackground } from '../../lib/pipeline/removeBackground';
import { releaseSessions } from '../../lib/inference/sessions';
import { makeScene, maskIoU, rawPixels, sceneAsJpeg } from '../helpers/scene';

const limits = { maxPixels: 64_000_000, maxInputBytes: 100 * 1024 * 1024 };

describe('Remove Background on the real embedded ISNet model', () => {
	afterAll(releaseSessions);

	it('finds the drawn object (IoU ≥ 0.9) and returns a full-size RGBA cutout and 1-channel mask', async () => {
		const scene = makeScene(1200, 800);
		const model = await loadSegmentationModel({ id: 'isnet-general-fp16' });
		const result = await removeBackground(await sceneAsJpeg(scene), model, { limits });

		const cutout = await rawPixels(result.image.data);
		expect(cutout).toMatchObject({ width: 1200, height: 800, channels: 4 });
		const mask = await rawPixels(result.mask!.data);
		expect(mask).toMatchObject({ width: 1200, height: 800, channels: 1 });
		expect(maskIoU(mask.data, scene.mask)).toBeGreaterThanOrEqual(0.9);
		// The cutout's alpha is the mask.
		for (let i = 0; i < mask.data.length; i += 997) expect(cutout.data[i * 4 + 3]).toBe(mask.data[i]);
		expect(result.model).toBe('isnet-general-fp16');
		expect(result.subjectBox).not.toBeNull();
	});

	it('shares one session across concurrent first uses', async () => {
		const [a, b] = await Promise.all([
			loadSegmentationModel({ id: 'isnet-general-fp16' }),
			loadSegmentationModel({ id: 'isnet-general-fp16' }),
		]);
		expect(a.session).toBe(b.session);
	});
});
