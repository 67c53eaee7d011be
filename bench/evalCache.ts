/**
 * What the eval computes slowly and deterministically, kept in bench/out/cache (git-ignored), so that a
 * re-run or a new variant costs only what is new:
 *   views/<image>-<model>-<view>.png  the model's raw 8-bit matte of one view (+ .ms, its run time)
 *   anchor/<image>.png                 the imgly anchor's matte (+ .ms)
 * <image> is the SHA-256 of the image file's bytes, so a changed file is a new entry.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';

import type { DecodedImage } from '../lib/image/decode';
import type { SegmentationModel } from '../lib/models/segmentationModels';
import { viewName } from '../lib/segmentation/matteViews';
import { type RenderView, renderView } from '../lib/segmentation/segmentImage';

export const CACHE_DIR = join(__dirname, 'out', 'cache');

export function fileKey(bytes: Buffer): string {
	return createHash('sha256').update(bytes).digest('hex').slice(0, 24);
}

/** Written to a temporary name, then renamed: a run stopped mid-write leaves no truncated entry behind. */
export async function writeGrey(path: string, data: Buffer, width: number, height: number): Promise<void> {
	const partial = `${path}.partial`;
	await sharp(data, { raw: { width, height, channels: 1 } })
		.png()
		.toFile(partial);
	renameSync(partial, path);
}

export async function readGrey(path: string): Promise<Buffer> {
	return sharp(path).toColourspace('b-w').extractChannel(0).raw().toBuffer();
}

/** Milliseconds stored next to a cached matte; NaN when it was not timed. */
export function cachedMs(pngPath: string): number {
	const path = pngPath.replace(/\.png$/, '.ms');
	return existsSync(path) ? Number(readFileSync(path, 'utf8')) : Number.NaN;
}

/**
 * renderView with a cache in front: the image is named by `key`; `spent` collects the model time each view
 * took when it was computed (cached or now), so a method's time is the sum of its views'. With `cachedOnly`,
 * a missing view throws NotCached instead of running the model.
 */
export class NotCached extends Error {}

export function cachedRenderView(key: string, spent: Map<string, number>, cachedOnly = false): RenderView {
	const dir = join(CACHE_DIR, 'views');
	mkdirSync(dir, { recursive: true });
	return async (image: DecodedImage, model: SegmentationModel, size: number, view, tensors) => {
		const name = viewName(view);
		const path = join(dir, `${key}-${model.id}${model.graph ? `-${model.graph}` : ''}-${size}-${name}.png`);
		if (!existsSync(path)) {
			if (cachedOnly) throw new NotCached(path);
			const started = performance.now();
			const matte = await renderView(image, model, size, view, tensors);
			const ms = performance.now() - started;
			await writeGrey(path, matte, size, size);
			writeFileSync(path.replace(/\.png$/, '.ms'), ms.toFixed(0));
		}
		spent.set(name, cachedMs(path));
		return readGrey(path);
	};
}
