/**
 * Assertions on what a workflow produced for a generated scene (jest `expect`, so only for test files):
 * a cutout is an RGBA PNG of the input's size whose alpha covers the drawn object; a mask is a 1-channel
 * PNG of the input's size that covers it. Both return the IoU they measured.
 */
import type { ExecutionResult, N8nItem } from './n8n';
import { maskIoU, readImage, type Scene } from './scenes';

/** Default minimum intersection-over-union against the drawn object. */
export const MIN_IOU = 0.9;

/** An RGBA PNG of the scene's size whose alpha covers the drawn object. */
export async function expectCutout(image: string | Buffer, scene: Scene, minIoU = MIN_IOU): Promise<number> {
	return await expectCoverage(image, scene, { fileChannels: 4, channel: 3 }, minIoU);
}

/** A 1-channel PNG of the scene's size that covers the drawn object. */
export async function expectMask(image: string | Buffer, scene: Scene, minIoU = MIN_IOU): Promise<number> {
	return await expectCoverage(image, scene, { fileChannels: 1, channel: 0 }, minIoU);
}

async function expectCoverage(image: string | Buffer, scene: Scene, layout: { fileChannels: number; channel: number }, minIoU: number): Promise<number> {
	const img = await readImage(image);
	expect(img.format).toBe('png');
	expect([img.width, img.height]).toEqual([scene.spec.width, scene.spec.height]);
	expect(img.fileChannels).toBe(layout.fileChannels);
	const iou = maskIoU(img.data, img.channels, layout.channel, scene.truth);
	expect(iou).toBeGreaterThanOrEqual(minIoU);
	return iou;
}

/** `n8n execute` succeeded; otherwise fails with n8n's error and the tail of its output. */
export function expectExecutionSucceeded(result: ExecutionResult): void {
	if (result.status !== 'success') {
		throw new Error(`status ${result.status}, exit ${result.exitCode}: ${result.error}\n${result.stdout.slice(-4000)}${result.stderr.slice(-4000)}`);
	}
	expect(result.exitCode).toBe(0);
}

/** One output item of Remove Background (defaults) for `scene`: its json fields and its three binaries. */
export function expectRemoveBackgroundItem(item: N8nItem, scene: Scene): void {
	expect(item.json).toMatchObject({ width: scene.spec.width, height: scene.spec.height, engine: 'local' });
	expect(typeof item.json.model).toBe('string');
	for (const k of ['decodeMs', 'inferMs', 'refineMs', 'encodeMs']) expect(typeof item.json.timings?.[k]).toBe('number');
	expect(Math.abs(item.json.foregroundFraction - scene.truthFraction)).toBeLessThan(0.05);
	expect(item.json.subjectBox).toBeTruthy();
	// the input binary is kept, the two outputs are added
	expect(Object.keys(item.binary ?? {}).sort()).toEqual(['data', 'image', 'mask']);
	expect(item.binary!.data.fileName).toBe(scene.fileName);
	expect(item.binary!.image.mimeType).toBe('image/png');
	expect(item.binary!.mask.mimeType).toBe('image/png');
}

export interface ErasedStats {
	/** Pixels inside the region the node filled (its emitted mask > 0). */
	regionPixels: number;
	/** IoU of that region and the drawn object: below 1 by the dilation, far below if it filled too much. */
	regionIoU: number;
	/** Share of the drawn object's pixels whose colour changed. */
	objectChanged: number;
	/** Share of the drawn object's pixels now nearer the input's mean background colour than its mean object colour. */
	objectNowBackground: number;
}

/**
 * What Inpaint must have made of `scene` (a lossless input): `erased` is an RGB PNG of the input's size;
 * `region` is the mask the node emitted on the same item (the region it filled, after dilation). Every
 * pixel where `region` is 0 is byte-identical to the input; the region covers the drawn object and not
 * much more (IoU >= `minRegionIoU`); and the
 * object is gone: its pixels changed, and now look like the background (nearer, colour for colour, to the
 * input's mean background colour than to its mean object colour).
 */
export async function expectErased(erased: string | Buffer, region: Buffer, scene: Scene, minRegionIoU = 0.75): Promise<ErasedStats> {
	const input = await readImage(scene.encoded);
	const output = await readImage(erased);
	const mask = await readMask(region);
	expect(output.format).toBe('png');
	expect([output.width, output.height, output.channels]).toEqual([scene.spec.width, scene.spec.height, input.channels]);
	expect([mask.width, mask.height]).toEqual([scene.spec.width, scene.spec.height]);

	const n = scene.truth.length;
	const c = input.channels;
	const same = (i: number) => input.data.compare(output.data, i * c, i * c + c, i * c, i * c + c) === 0;
	let outside = 0;
	let differentOutside = 0;
	const sums = { background: [0, 0, 0], object: [0, 0, 0] };
	let objectPixels = 0;
	for (let i = 0; i < n; i++) {
		const rgb = input.data.subarray(i * c, i * c + 3);
		if (mask.plane[i] === 0) {
			outside++;
			if (!same(i)) differentOutside++;
			rgb.forEach((v, k) => (sums.background[k] += v));
		}
		if (scene.truth[i]) {
			objectPixels++;
			rgb.forEach((v, k) => (sums.object[k] += v));
		}
	}
	expect(differentOutside).toBe(0);
	const background = sums.background.map((v) => v / outside);
	const object = sums.object.map((v) => v / objectPixels);
	const distance = (pixels: Buffer, i: number, mean: number[]) => Math.hypot(...mean.map((m, k) => pixels[i * c + k] - m));

	let covered = 0;
	let changed = 0;
	let nowBackground = 0;
	for (let i = 0; i < n; i++) {
		if (!scene.truth[i]) continue;
		if (mask.plane[i] > 0) covered++;
		if (!same(i)) changed++;
		if (distance(output.data, i, background) < distance(output.data, i, object)) nowBackground++;
	}
	// the region holds the object (a pixel of anti-aliased edge or two may fall outside the model's matte)
	expect(covered / objectPixels).toBeGreaterThanOrEqual(0.99);
	const stats = {
		regionPixels: n - outside,
		regionIoU: maskIoU(mask.plane, 1, 0, scene.truth, 1),
		objectChanged: changed / objectPixels,
		objectNowBackground: nowBackground / objectPixels,
	};
	expect(stats.regionIoU).toBeGreaterThanOrEqual(minRegionIoU);
	expect(stats.objectChanged).toBeGreaterThanOrEqual(0.99);
	expect(stats.objectNowBackground).toBeGreaterThanOrEqual(0.98);
	return stats;
}

/**
 * `region` (an 8-bit mask PNG the node emitted) is `mask` (thresholded at 50 %) grown by `radius` pixels:
 * it holds every pixel within `radius` of the mask along a row or a column (so it grew by the full radius),
 * and none farther than `radius` in x or y (so by no more). Any sensible structuring element of that radius
 * (disc, octagon, square) fits between those two bounds; a smaller or larger radius does not.
 */
export async function expectGrownBy(region: Buffer, mask: Buffer, radius: number): Promise<void> {
	const [grown, seed] = await Promise.all([readMask(region), readMask(mask)]);
	expect([grown.width, grown.height]).toEqual([seed.width, seed.height]);
	const size = { width: seed.width, height: seed.height };
	const plane = Uint8Array.from(seed.plane, (v) => (v >= 128 ? 1 : 0));
	const rows = dilateAlong(plane, size, radius, 'x');
	const columns = dilateAlong(plane, size, radius, 'y');
	const box = dilateAlong(rows, size, radius, 'y');
	let missing = 0;
	let beyond = 0;
	for (let i = 0; i < plane.length; i++) {
		const inRegion = grown.plane[i] > 0;
		if ((rows[i] || columns[i]) && !inRegion) missing++;
		if (inRegion && !box[i]) beyond++;
	}
	expect({ missing, beyond }).toEqual({ missing: 0, beyond: 0 });
}

/** A mask PNG (one channel in the file; sharp may decode it to three) as one byte per pixel. */
async function readMask(file: string | Buffer): Promise<{ width: number; height: number; plane: Uint8Array }> {
	const img = await readImage(file);
	expect([img.format, img.fileChannels]).toEqual(['png', 1]);
	const plane = new Uint8Array(img.width * img.height);
	for (let i = 0; i < plane.length; i++) plane[i] = img.data[i * img.channels];
	return { width: img.width, height: img.height, plane };
}

/** 1-D dilation (max over ±radius) of a 0/1 plane along rows ('x') or columns ('y'). */
function dilateAlong(plane: Uint8Array, size: { width: number; height: number }, radius: number, axis: 'x' | 'y'): Uint8Array {
	const { width, height } = size;
	const [lines, length, step, stride] = axis === 'x' ? [height, width, 1, width] : [width, height, width, 1];
	const out = new Uint8Array(plane.length);
	for (let line = 0; line < lines; line++) {
		const start = line * stride;
		// distance back to the last set pixel; a set pixel marks the `radius` pixels on either side
		let last = -Infinity;
		for (let k = 0; k < length; k++) {
			if (plane[start + k * step]) {
				for (let j = k - radius < 0 ? 0 : k - radius; j < k; j++) out[start + j * step] = 1;
				last = k;
			}
			if (k - last <= radius) out[start + k * step] = 1;
		}
	}
	return out;
}
