/**
 * PNG Effort on real photographs (../shared/eval/photos, 17 photos of 0.2–1.6 MP, full frame, no
 * transparency: the hardest case for PNG; cutouts with transparent backgrounds compress further). Per
 * effort: bytes per pixel and encode ms per megapixel, median over the photos of the median of 3 encodes.
 * Returns no rows when the folder is absent.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import sharp from 'sharp';

import { encodeRgb, type PngEffort } from '../lib/image/encode';
import { median, type ResultRow } from './stats';

const PHOTOS = resolve(__dirname, '..', '..', 'shared', 'eval', 'photos');
const EFFORTS: PngEffort[] = ['fast', 'balanced', 'small'];

export async function pngEffortRows(): Promise<ResultRow[]> {
	if (!existsSync(PHOTOS)) return [{ id: 'P1', what: 'PNG Effort on photos', figure: `skipped: ${PHOTOS} is absent` }];
	const perEffort = Object.fromEntries(EFFORTS.map((effort) => [effort, { bytesPerPixel: [] as number[], msPerMegapixel: [] as number[] }]));
	for (const name of readdirSync(PHOTOS).filter((file) => file.endsWith('.png'))) {
		const { data, info } = await sharp(join(PHOTOS, name)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
		const pixels = info.width * info.height;
		for (const effort of EFFORTS) {
			const times: number[] = [];
			let bytes = 0;
			for (let i = 0; i < 3; i++) {
				const started = performance.now();
				bytes = (await encodeRgb(data, info.width, info.height, 'png', { pngEffort: effort })).data.length;
				times.push(performance.now() - started);
			}
			perEffort[effort].bytesPerPixel.push(bytes / pixels);
			perEffort[effort].msPerMegapixel.push(median(times) / (pixels / 1e6));
		}
	}
	const balanced = median(perEffort.balanced.bytesPerPixel);
	return EFFORTS.map((effort) => {
		const size = median(perEffort[effort].bytesPerPixel);
		return {
			id: 'P1',
			what: `PNG Effort ${effort} on ${perEffort[effort].bytesPerPixel.length} photos (RGB, full frame): size ${(size / balanced).toFixed(2)}× balanced's`,
			figure: `${size.toFixed(2)} B/px, ${median(perEffort[effort].msPerMegapixel).toFixed(0)} ms/MP`,
		};
	});
}
