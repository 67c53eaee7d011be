import sharp from 'sharp';

import { normalisePlanar, toInputTensor, toMatte } from '../../lib/inference/segment';
import type { SegmentationContract } from '../../lib/models/catalog';

const isnet: SegmentationContract['input'] = { size: 4, sizes: [4], scale: 1, mean: [128, 128, 128], std: [256, 256, 256] };
const imagenet: SegmentationContract['input'] = {
	size: 4,
	sizes: [4],
	scale: 1 / 255,
	mean: [0.485, 0.456, 0.406],
	std: [0.229, 0.224, 0.225],
};

describe('normalisePlanar', () => {
	it('lays interleaved RGB out as planar channels with (x·scale − mean)/std', () => {
		const rgb = Uint8Array.from([0, 128, 255, 64, 32, 16]);
		const tensor = normalisePlanar(rgb, 2, isnet);
		// R plane, then G plane, then B plane.
		expect(Array.from(tensor)).toEqual([-0.5, -0.25, 0, -0.375, 0.49609375, -0.4375]);
	});

	it('applies ImageNet statistics per channel', () => {
		const tensor = normalisePlanar(Uint8Array.from([255, 255, 255]), 1, imagenet);
		expect(tensor[0]).toBeCloseTo((1 - 0.485) / 0.229, 5);
		expect(tensor[1]).toBeCloseTo((1 - 0.456) / 0.224, 5);
		expect(tensor[2]).toBeCloseTo((1 - 0.406) / 0.225, 5);
	});

	it('refuses a buffer of the wrong length', () => {
		expect(() => normalisePlanar(new Uint8Array(5), 2, isnet)).toThrow('Expected 6 RGB bytes, got 5');
	});
});

describe('toInputTensor', () => {
	it('resizes to the square operating size whatever the aspect ratio', async () => {
		// Left half red, right half blue, 40×10: after a fill resize to 4×4 the left columns stay red.
		const width = 40;
		const height = 10;
		const rgb = Buffer.alloc(width * height * 3);
		for (let y = 0; y < height; y++) {
			for (let x = 0; x < width; x++) rgb.set(x < 20 ? [255, 0, 0] : [0, 0, 255], (y * width + x) * 3);
		}
		const tensor = await toInputTensor(rgb, width, height, 4, { ...imagenet, size: 4 });
		expect(tensor).toHaveLength(3 * 16);
		const red = (i: number) => tensor[i];
		const blue = (i: number) => tensor[32 + i];
		expect(red(0)).toBeGreaterThan(2); // (1 − 0.485)/0.229 ≈ 2.25
		expect(blue(0)).toBeLessThan(-1.5);
		expect(red(3)).toBeLessThan(-1.5);
		expect(blue(3)).toBeGreaterThan(2);
		const check = await sharp(rgb, { raw: { width, height, channels: 3 } }).metadata();
		expect(check.width).toBe(40);
	});
});

describe('toMatte', () => {
	it('clamps probabilities outside [0, 1] instead of wrapping bytes', () => {
		const matte = toMatte(Float32Array.from([-0.2, 0, 0.5, 1, 1.3]), { activation: 'none', minMax: false, index: 0 });
		expect(Array.from(matte)).toEqual([0, 0, 128, 255, 255]);
	});

	it('applies a sigmoid to logits', () => {
		const matte = toMatte(Float32Array.from([-20, 0, 20]), { activation: 'sigmoid', minMax: false, index: 0 });
		expect(Array.from(matte)).toEqual([0, 128, 255]);
	});

	it('stretches to the full range when asked', () => {
		const matte = toMatte(Float32Array.from([0.25, 0.5, 0.75]), { activation: 'none', minMax: true, index: 0 });
		expect(Array.from(matte)).toEqual([0, 128, 255]);
	});

	it('leaves a flat prediction flat rather than dividing by zero', () => {
		const matte = toMatte(Float32Array.from([0.3, 0.3]), { activation: 'none', minMax: true, index: 0 });
		expect(Array.from(matte)).toEqual([0, 0]);
	});
});
