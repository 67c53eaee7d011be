import * as ort from 'onnxruntime-node';

import { findModel } from '../../lib/models/catalog';
import { loadSegmentationModel } from '../../lib/models/segmentationModels';
import { locateWeights } from '../../lib/models/weights';
import { runSegmentation, toInputTensor } from '../../lib/inference/segment';
import { localEngine } from '../../lib/engines/local';
import { removeBackground } from '../../lib/pipeline';
import { releaseSessions } from '../../lib/inference/sessions';
import { makeScene, maskIoU, rawPixels, sceneAsJpeg } from '../helpers/scene';

const limits = { maxPixels: 64_000_000, maxInputBytes: 100 * 1024 * 1024 };

describe('Remove Background on the real embedded ISNet model', () => {
	afterAll(releaseSessions);

	it('finds the drawn object (IoU ≥ 0.9) and returns a full-size RGBA cutout and 1-channel mask', async () => {
		const scene = makeScene(1200, 800);
		const result = await removeBackground(await sceneAsJpeg(scene), localEngine({ segmentationModel: 'isnet-general-fp16' }), { limits });

		const cutout = await rawPixels(result.image.data);
		expect(cutout).toMatchObject({ width: 1200, height: 800, channels: 4 });
		const mask = await rawPixels(result.mask!.data);
		expect(mask).toMatchObject({ width: 1200, height: 800, channels: 1 });
		expect(maskIoU(mask.data, scene.mask)).toBeGreaterThanOrEqual(0.9);
		// The cutout's alpha is the mask.
		for (let i = 0; i < mask.data.length; i += 997) expect(cutout.data[i * 4 + 3]).toBe(mask.data[i]);
		expect(result.fields.model).toBe('isnet-general-fp16');
		expect(result.fields.subjectBox).not.toBeNull();
	});

	it('runs the fp16 weights widened to fp32 with the same result as the shipped fp16 graph', async () => {
		const scene = makeScene(640, 480);
		const entry = findModel('isnet-general-fp16', 'segmentation');
		const shipped = (await locateWeights(entry, { modelsDir: '/nonexistent' })) as { bytes: Uint8Array };
		const fp16Session = await ort.InferenceSession.create(shipped.bytes);
		const widened = await loadSegmentationModel({ id: 'isnet-general-fp16' });
		const tensor = await toInputTensor(scene.rgb, scene.width, scene.height, 1024, entry.input);
		const reference = await runSegmentation(fp16Session, entry, tensor, 1024);
		const ours = await runSegmentation(widened.session, entry, tensor, 1024);
		await fp16Session.release();
		let worst = 0;
		for (let i = 0; i < ours.length; i++) worst = Math.max(worst, Math.abs(ours[i] - reference[i]));
		// fp16 arithmetic rounds differently from fp32; a few levels at most on soft edges.
		expect(worst).toBeLessThanOrEqual(8);
		expect(maskIoU(ours, reference)).toBeGreaterThan(0.995);
	});

	it('shares one session across concurrent first uses', async () => {
		const [a, b] = await Promise.all([
			loadSegmentationModel({ id: 'isnet-general-fp16' }),
			loadSegmentationModel({ id: 'isnet-general-fp16' }),
		]);
		expect(a.session).toBe(b.session);
	});
});
