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
