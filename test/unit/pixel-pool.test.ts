import sharp from 'sharp';

import { type Engine, localReport } from '../../lib/engines/engine';
import { keptPixelBuffers, recyclePixels, takePixels } from '../../lib/image/pixelPool';
import { removeBackground } from '../../lib/pipeline';

describe('pixel pool', () => {
	it('lends a buffer given back (as any view of it) to the next taker of that size, keeps 128 MiB at most and ignores buffers it did not lend', () => {
		const first = takePixels(1000);
		recyclePixels(new Float32Array(first.buffer, 0, 250));
		recyclePixels(first);
		expect(keptPixelBuffers()).toBe(1);
		expect(takePixels(999)).not.toBe(first);
		const again = takePixels(1000);
		expect(again).toBe(first);
		recyclePixels(Buffer.alloc(1000));
		expect(keptPixelBuffers()).toBe(0);
		// Never written, so never backed by memory: 3 × 60 MiB costs nothing here.
		const large = [takePixels(60 << 20), takePixels(60 << 20), takePixels(60 << 20)];
		for (const buffer of large) recyclePixels(buffer);
		expect(keptPixelBuffers()).toBe(2);
		expect(takePixels(60 << 20)).toBe(large[2]);
		expect(takePixels(60 << 20)).toBe(large[1]);
		expect(takePixels(60 << 20)).not.toBe(large[0]);
	});

	it('gets back the colours and the matte of a cutout once removeBackground has encoded them', async () => {
		const [width, height] = [8, 4];
		const input = await sharp({ create: { width, height, channels: 3, background: '#808080' } }).png().toBuffer();
		const foreground = takePixels(width * height * 3).fill(90);
		const alpha = takePixels(width * height).fill(255);
		// An engine that hands over a lent buffer, as the local one does for a large JPEG.
		const engine: Engine = {
			id: 'local',
			cutout: async () => ({ width, height, foreground, alpha, report: localReport('test'), timings: { decodeMs: 0, inferMs: 0, refineMs: 0 } }),
			matte: () => Promise.reject(new Error('not used')),
			fill: () => Promise.reject(new Error('not used')),
		};
		const result = await removeBackground(input, engine);
		expect((await sharp(result.image.data).raw().toBuffer()).subarray(0, 4)).toEqual(Buffer.from([90, 90, 90, 255]));
		expect(takePixels(width * height * 3)).toBe(foreground);
		expect(takePixels(width * height)).toBe(alpha);
	});
});
