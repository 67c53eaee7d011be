/**
 * Regenerates the README's before/after pictures from a generated scene (no third-party photos in the
 * repo): input | cutout over a checkerboard | mask, side by side.
 * Run: npx ts-node --transpile-only scripts/readme-images.ts
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import sharp from 'sharp';

import { localEngine } from '../lib/engines/local';
import { removeBackground } from '../lib/pipeline';
import { makeScene, sceneAsPng } from '../test/helpers/scene';

const OUT = resolve(__dirname, '..', 'docs', 'images');

function checkerboard(width: number, height: number, cell = 16): Buffer {
	const rgb = Buffer.alloc(width * height * 3);
	for (let y = 0; y < height; y++) {
		for (let x = 0; x < width; x++) {
			const light = (Math.floor(x / cell) + Math.floor(y / cell)) % 2 === 0;
			rgb.fill(light ? 235 : 200, (y * width + x) * 3, (y * width + x) * 3 + 3);
		}
	}
	return rgb;
}

async function main(): Promise<void> {
	mkdirSync(OUT, { recursive: true });
	const scene = makeScene(480, 360);
	const input = await sceneAsPng(scene);
	const result = await removeBackground(input, localEngine({ segmentationModel: 'isnet-general-fp16' }), { limits: { maxPixels: 64e6, maxInputBytes: 1e9 } });
	const raw = { raw: { width: scene.width, height: scene.height, channels: 3 as const } };
	const cutoutOnChecker = await sharp(checkerboard(scene.width, scene.height), raw)
		.composite([{ input: result.image.data }])
		.png()
		.toBuffer();
	const mask = await sharp(result.mask!.data).toColourspace('srgb').png().toBuffer();
	const gap = 12;
	await sharp({ create: { width: scene.width * 3 + gap * 2, height: scene.height, channels: 3, background: '#ffffff' } })
		.composite([
			{ input, left: 0, top: 0 },
			{ input: cutoutOnChecker, left: scene.width + gap, top: 0 },
			{ input: mask, left: (scene.width + gap) * 2, top: 0 },
		])
		.png({ compressionLevel: 9, palette: true, quality: 90 })
		.toFile(resolve(OUT, 'remove-background.png'));
	console.log(`wrote ${resolve(OUT, 'remove-background.png')}`);
}

main().catch((error) => {
	console.error(error);
	process.exit(1);
});
