import sharp from 'sharp';

import { type Engine, localReport } from '../../lib/engines/engine';
import { keptPixelBuffers, recyclePixels, takePixels } from '../../lib/image/pixelPool';
import { removeBackground } from '../../lib/pipeline';

describe('pixel pool', () => {
	it('lends a buffer given back to the next taker of that size, keeps two at most and ignores buffers it did not lend', () => {
		const first = takePixels(1000);
		recyclePixels(first);
		recyclePixels(first);
		expect(keptPixelBuffers()).toBe(1);
		expect(takePixels(999)).not.toBe(first);
		const again = takePixels(1000);
		expect(again).toBe(first);
		recyclePixels(Buffer.alloc(1000));
		expect(keptPixelBuffers()).toBe(0);
		for (const buffer of [again, takePixels(2000), takePixels(3000)]) recyclePixels(buffer);
		expect(keptPixelBuffers()).toBe(2);
		expect(takePixels(1000)).not.toBe(first);
	});

	it('gets back the colours of a cutout once removeBackground has encoded them', async () => {
		const [width, height] = [8, 4];
		const input = await sharp({ create: { width, height, channels: 3, background: '#808080' } }).png().toBuffer();
		const foreground = takePixels(width * height * 3).fill(90);
		// An engine that hands over a lent buffer, as the local one does for a large JPEG.
		const engine: Engine = {
			id: 'local',
			cutout: async () => ({ width, height, foreground, alpha: Buffer.alloc(width * height, 255), report: localReport('test'), timings: { decodeMs: 0, inferMs: 0, refineMs: 0 } }),
			matte: () => Promise.reject(new Error('not used')),
			fill: () => Promise.reject(new Error('not used')),
		};
		const result = await removeBackground(input, engine);
		expect((await sharp(result.image.data).raw().toBuffer()).subarray(0, 4)).toEqual(Buffer.from([90, 90, 90, 255]));
		expect(takePixels(width * height * 3)).toBe(foreground);
	});
});
