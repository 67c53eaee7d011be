import { releaseSessions } from '../../lib/inference/sessions';
import { localEngine } from '../../lib/engines/local';
import { alphaMatte, inpaint } from '../../lib/pipeline';
import { makeScene, maskIoU, rawPixels, sceneAsJpeg } from '../helpers/scene';

const limits = { maxPixels: 64_000_000, maxInputBytes: 100 * 1024 * 1024 };

describe('Alpha Matte and Inpaint on the real embedded ISNet model (the default)', () => {
	afterAll(releaseSessions);

	it('mattes the drawn object at full resolution with guided upsampling, and auto-subject inpainting erases it', async () => {
		const scene = makeScene(900, 600);
		const jpeg = await sceneAsJpeg(scene);
		// The engine's defaults: the embedded model, the patch fill.
		const engine = localEngine();

		const matte = await alphaMatte(jpeg, engine, { limits });
		const plane = await rawPixels(matte.mask.data);
		expect(plane).toMatchObject({ width: 900, height: 600, channels: 1 });
		expect(maskIoU(plane.data, scene.mask)).toBeGreaterThanOrEqual(0.9);
		expect(matte.fields.model).toBe('isnet-general-fp16');

		const erased = await inpaint(jpeg, engine, { limits });
		expect(erased.fields).toMatchObject({ mode: 'subject', model: 'patch', subjectModel: 'isnet-general-fp16' });
		const out = await rawPixels(erased.image.data);
		let objectLike = 0;
		let object = 0;
		for (let i = 0; i < scene.mask.length; i++) {
			if (scene.mask[i] !== 255) continue;
			object++;
			// The object is warm with blue below 80; the background's blue is above 100.
			if (out.data[i * 3 + 2] < 80) objectLike++;
		}
		expect(objectLike / object).toBeLessThan(0.02);
		// Two ISNet inferences: about 10 s on an idle 2-core machine, several times that on a busy one
		// (jest.config.js's 300 s timeout covers it).
	});
});
