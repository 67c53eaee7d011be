import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { localEngine } from '../../lib/engines/local';
import { releaseSessions } from '../../lib/inference/sessions';
import { cacheDir } from '../../lib/models/optimizedGraphCache';
import { graphOpTypes } from '../../lib/models/ortFormat';
import { removeBackground } from '../../lib/pipeline';
import { makeScene, maskIoU, rawPixels, sceneAsJpeg } from '../helpers/scene';

const limits = { maxPixels: 64_000_000, maxInputBytes: 100 * 1024 * 1024 };

/** Slow: builds the int8 graph from the real model in an empty models folder (20–70 s on 2 cores). */
describe('the embedded ISNet as int8 (Matte Quality "Speed", and High\'s added views)', () => {
	afterAll(releaseSessions);

	it('runs Matte Quality "Speed" on an int8 graph built from the calibration table and cached in a folder of its own', async () => {
		const modelsDir = await mkdtemp(join(tmpdir(), 'cutout-int8-'));
		try {
			const scene = makeScene(800, 600);
			const jpeg = await sceneAsJpeg(scene);
			const dir = cacheDir(modelsDir, 'isnet-general-fp16', 'int8');
			const masks = [];
			// High first: its added views run on the int8 graph, so it is the one that builds it.
			for (const matteQuality of ['high', 'standard', 'speed'] as const) {
				const result = await removeBackground(jpeg, localEngine({ segmentationModel: 'isnet-general-fp16', matteQuality, modelsDir }), { limits });
				masks.push((await rawPixels(result.mask!.data)).data);
				if (matteQuality === 'high') expect((await readdir(dir)).some((name) => name.endsWith('.json'))).toBe(true);
			}
			const [high, float, int8] = masks;
			expect(maskIoU(int8, scene.mask)).toBeGreaterThanOrEqual(0.9);
			expect(maskIoU(int8, float)).toBeGreaterThan(0.98);
			expect(int8.equals(float)).toBe(false);
			expect(maskIoU(high, scene.mask)).toBeGreaterThanOrEqual(0.9);
			expect(high.equals(float)).toBe(false);

			const manifestName = (await readdir(dir)).find((name) => name.endsWith('.json'))!;
			const manifest = JSON.parse(await readFile(join(dir, manifestName), 'utf8')) as { file: string; derivation: string };
			expect(manifest.derivation).toMatch(/^int8-v\d+-[0-9a-f]{16}$/);
			// ORT fused the QDQ Convs into integer kernels: 109 of the 114, all but the head's (its output stays float)
			// and the few the table leaves float, with the stage outputs only those read.
			const ops = graphOpTypes(await readFile(join(dir, manifest.file)));
			expect(ops.filter((op) => op === 'QLinearConv').length).toBeGreaterThanOrEqual(105);
		} finally {
			await rm(modelsDir, { recursive: true, force: true });
		}
	});

});
