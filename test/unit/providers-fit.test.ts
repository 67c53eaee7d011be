import { randomBytes } from 'node:crypto';

import sharp from 'sharp';

import { CutoutError } from '../../lib/errors';
import { fal } from '../../lib/providers/clients/fal';
import { knockout } from '../../lib/providers/clients/knockout';
import { alphaMatteRemotely, inpaintRemotely, removeBackgroundRemotely } from '../../lib/providers/engine/remote';
import { removebg } from '../../lib/providers/clients/removebg';
import { withoutbg } from '../../lib/providers/clients/withoutbg';
import { mockContext, SENTINEL_KEY } from '../helpers/providers';
import { makeScene, maskIoU, sceneAsJpeg } from '../helpers/scene';
import { providerMocks } from '../mocks';
import { formFile, type MockProviderServer } from '../mocks/server';
import { imageSize } from '../mocks/toyModels';

/** A large scene made by upscaling a small one (generating millions of pixels in JS is slow). */
async function largeScene(width: number, height: number): Promise<{ jpeg: Buffer; mask: Buffer }> {
	const small = makeScene(width / 10, height / 10);
	const raw = (data: Buffer, channels: 1 | 3) =>
		sharp(data, { raw: { width: small.width, height: small.height, channels } }).resize(width, height, { kernel: 'nearest' });
	return {
		jpeg: await raw(small.rgb, 3).jpeg({ quality: 90 }).toBuffer(),
		mask: await raw(small.mask, 1).toColourspace('b-w').raw().toBuffer(),
	};
}

async function withMock<T>(id: string, run: (mock: MockProviderServer) => Promise<T>): Promise<T> {
	const mock = await providerMocks[id](SENTINEL_KEY).start();
	try {
		return await run(mock);
	} finally {
		await mock.stop();
	}
}

describe('Fit to Provider Limits', () => {
	it('refuses an image over the side limit before uploading, and says how to fit it', async () => {
		const { jpeg } = await largeScene(4200, 2000);
		await withMock('fal', async (mock) => {
			const error = await alphaMatteRemotely(fal, jpeg, mockContext(fal, mock)).catch((caught: CutoutError) => caught);
			expect(error).toBeInstanceOf(CutoutError);
			expect(error).toMatchObject({ code: 'too_many_pixels', message: 'The image is 4200×2000; fal.ai accepts at most 4096 px on the longer side' });
			expect((error as CutoutError).hint).toMatch(/Fit to Provider Limits/);
			expect(mock.requests).toHaveLength(0);
		});
	});

	it('uploads a downscaled copy and applies the matte to the full-resolution original', async () => {
		const { jpeg, mask } = await largeScene(4200, 2000);
		await withMock('fal', async (mock) => {
			const matte = await alphaMatteRemotely(fal, jpeg, mockContext(fal, mock), { fitToLimits: true });
			expect(matte.upload).toMatchObject({ width: 4096, height: 1950, scaled: true });
			expect(matte).toMatchObject({ width: 4200, height: 2000 });
			expect(maskIoU(matte.alpha, mask)).toBeGreaterThan(0.98);
			const sent = (mock.requests[0].json as { image_url: string }).image_url;
			expect(await imageSize(Buffer.from(sent.split(',')[1], 'base64'))).toEqual({ width: 4096, height: 1950 });
		});
	});

	it('re-encodes an upload over the byte limit, refusing it when fitting is off', async () => {
		const side = 2100;
		const noise = await sharp(randomBytes(side * side * 3), { raw: { width: side, height: side, channels: 3 } }).png({ compressionLevel: 1 }).toBuffer();
		expect(noise.length).toBeGreaterThan(12 * 1024 * 1024);
		await withMock('removebg', async (mock) => {
			await expect(alphaMatteRemotely(removebg, noise, mockContext(removebg, mock))).rejects.toMatchObject({
				code: 'too_many_bytes',
				message: expect.stringMatching(/^The image is 1\d\.\d MB; remove\.bg accepts at most 12\.0 MB$/),
			});
			expect(mock.requests).toHaveLength(0);
			const matte = await alphaMatteRemotely(removebg, noise, mockContext(removebg, mock), { fitToLimits: true });
			expect(matte).toMatchObject({ width: side, height: side });
			expect(matte.upload.bytes).toBeLessThanOrEqual(12 * 1024 * 1024);
			const sent = await formFile(mock.requests[0].form, 'image_file');
			expect((await sharp(sent).metadata()).format).toBe('jpeg');
		});
	});

	it("is on by default for withoutBG, and the cutout keeps the input's size with refined colours", async () => {
		const scene = makeScene(1100, 500);
		await withMock('withoutbg', async (mock) => {
			const cutout = await removeBackgroundRemotely(withoutbg, await sceneAsJpeg(scene), mockContext(withoutbg, mock));
			expect(cutout.upload).toMatchObject({ width: 1024, height: 465, scaled: true });
			expect(cutout).toMatchObject({ width: 1100, height: 500 });
			expect(cutout.foreground).toHaveLength(1100 * 500 * 3);
			expect(maskIoU(cutout.alpha, scene.mask)).toBeGreaterThan(0.97);
		});
	});

	it('sends an EXIF-rotated photo upright, so provider and output agree on orientation', async () => {
		const scene = makeScene(320, 200);
		const rotated = await sharp(scene.rgb, { raw: { width: 320, height: 200, channels: 3 } }).jpeg().withMetadata({ orientation: 6 }).toBuffer();
		await withMock('knockout', async (mock) => {
			const matte = await alphaMatteRemotely(knockout, rotated, mockContext(knockout, mock));
			expect(matte).toMatchObject({ width: 200, height: 320, upload: { width: 200, height: 320, scaled: false } });
			const sent = await formFile(mock.requests[0].form, 'file');
			const sentMeta = await sharp(sent).metadata();
			expect([sentMeta.width, sentMeta.height, sentMeta.orientation ?? 1]).toEqual([200, 320, 1]);
		});
	});

	it('re-encodes formats the endpoint does not take', async () => {
		const scene = makeScene(320, 200);
		const tiff = await sharp(scene.rgb, { raw: { width: 320, height: 200, channels: 3 } }).tiff().toBuffer();
		await withMock('knockout', async (mock) => {
			await alphaMatteRemotely(knockout, tiff, mockContext(knockout, mock));
			const sent = mock.requests[0].form?.get('file') as File;
			expect([sent.type, sent.name]).toEqual(['image/jpeg', 'image.jpg']);
		});
	});

	it('lays a downscaled inpainting back onto the original: the region is replaced, the rest is untouched', async () => {
		const { jpeg } = await largeScene(4400, 1000);
		const box = { x: 2000, y: 300, width: 400, height: 400 };
		await withMock('knockout', async (mock) => {
			const result = await inpaintRemotely(knockout, jpeg, { box, dilation: 8 }, mockContext(knockout, mock), { fitToLimits: true });
			expect(result.upload).toMatchObject({ width: 4096, height: 930, scaled: true });
			expect(result).toMatchObject({ width: 4400, height: 1000 });
			const { data: original } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
			const pixel = (buffer: Buffer, x: number, y: number) => [...buffer.subarray((y * 4400 + x) * 3, (y * 4400 + x) * 3 + 3)];
			for (const [x, y] of [[10, 10], [1500, 500], [3000, 900], [2200, 50]]) expect(pixel(result.rgb, x, y)).toEqual(pixel(original, x, y));
			const filled = pixel(result.rgb, 2200, 500);
			for (const [x, y] of [[2050, 350], [2350, 650]]) {
				pixel(result.rgb, x, y).forEach((value, c) => expect(Math.abs(value - filled[c])).toBeLessThanOrEqual(3));
			}
		});
	});
});
