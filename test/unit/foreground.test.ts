import sharp from 'sharp';

import { boxMean, refineForeground } from '../../lib/matte/foreground';
import { resizePlane } from '../../lib/matte/resize';

describe('boxMean', () => {
	it('matches a brute-force clipped window mean', () => {
		const width = 13;
		const height = 9;
		const channels = 2;
		const src = Float32Array.from({ length: width * height * channels }, (_, i) => Math.sin(i * 1.7) * 10);
		for (const kernel of [1, 2, 5, 6, 30]) {
			const fast = boxMean(src, width, height, channels, kernel);
			const inPlace = Float32Array.from(src);
			expect(boxMean(inPlace, width, height, channels, kernel, inPlace)).toEqual(fast);
			const before = Math.floor(kernel / 2);
			const after = kernel - 1 - before;
			for (let y = 0; y < height; y++) {
				for (let x = 0; x < width; x++) {
					for (let c = 0; c < channels; c++) {
						let sum = 0;
						let count = 0;
						for (let yy = Math.max(0, y - before); yy <= Math.min(height - 1, y + after); yy++) {
							for (let xx = Math.max(0, x - before); xx <= Math.min(width - 1, x + after); xx++) {
								sum += src[(yy * width + xx) * channels + c];
								count++;
							}
						}
						expect(fast[(y * width + x) * channels + c]).toBeCloseTo(sum / count, 4);
					}
				}
			}
		}
	});
});

describe('refineForeground', () => {
	/**
	 * A synthetic composite with known parts: foreground F (a colour ramp), background B (green), and an
	 * alpha with a wide soft band. The observed image I = αF + (1−α)B is what the model sees. Refined
	 * colours in the soft band must be measurably closer to F than I is.
	 */
	function composite(width: number, height: number) {
		const pixels = width * height;
		const F = Buffer.alloc(pixels * 3);
		const I = Buffer.alloc(pixels * 3);
		const alpha = Buffer.alloc(pixels);
		const B = [20, 200, 40];
		for (let y = 0; y < height; y++) {
			for (let x = 0; x < width; x++) {
				const i = y * width + x;
				// Subject on the left, soft band 40 px wide in the middle.
				const a = Math.min(1, Math.max(0, (width * 0.6 - x) / 40));
				alpha[i] = Math.round(a * 255);
				const f = [180 + ((y * 3) % 60), 60 + ((x + y) % 40), 150];
				for (let c = 0; c < 3; c++) {
					F[i * 3 + c] = f[c];
					I[i * 3 + c] = Math.round((alpha[i] / 255) * f[c] + (1 - alpha[i] / 255) * B[c]);
				}
			}
		}
		return { F, I, alpha };
	}

	function softBandError(estimate: Buffer, F: Buffer, alpha: Buffer): number {
		let sum = 0;
		let count = 0;
		for (let i = 0; i < alpha.length; i++) {
			if (alpha[i] > 25 && alpha[i] < 230) {
				for (let c = 0; c < 3; c++) sum += Math.abs(estimate[i * 3 + c] - F[i * 3 + c]);
				count += 3;
			}
		}
		return sum / count;
	}

	it('moves soft-edge colours towards the true foreground', async () => {
		const width = 240;
		const height = 160;
		const { F, I, alpha } = composite(width, height);
		const refined = await refineForeground(I, alpha, width, height);
		const before = softBandError(I, F, alpha);
		const after = softBandError(refined, F, alpha);
		expect(before).toBeGreaterThan(20);
		expect(after).toBeLessThan(before * 0.5);
	});

	it('gives the same answer at a capped working resolution, within a few levels', async () => {
		const width = 480;
		const height = 320;
		const { F, I, alpha } = composite(width, height);
		const full = await refineForeground(I, alpha, width, height, { maxWorkingPixels: width * height });
		const capped = await refineForeground(I, alpha, width, height, { maxWorkingPixels: 40_000 });
		const fullError = softBandError(full, F, alpha);
		const cappedError = softBandError(capped, F, alpha);
		expect(cappedError).toBeLessThan(softBandError(I, F, alpha) * 0.5);
		expect(Math.abs(cappedError - fullError)).toBeLessThan(6);
	});

	it('gives the same answer from a scaled-down copy of the image and matte (the model square), within a few levels', async () => {
		const width = 480;
		const height = 320;
		const { F, I, alpha } = composite(width, height);
		const square = { width: 256, height: 256 };
		const scaledDown = {
			...square,
			rgb: await sharp(I, { raw: { width, height, channels: 3 } }).resize(square.width, square.height, { fit: 'fill' }).raw().toBuffer(),
			alpha: await resizePlane(alpha, { width, height }, square),
		};
		const fromFull = softBandError(await refineForeground(I, alpha, width, height, { maxWorkingPixels: 40_000 }), F, alpha);
		const fromSquare = softBandError(await refineForeground(I, alpha, width, height, { maxWorkingPixels: 40_000, scaledDown }), F, alpha);
		expect(fromSquare).toBeLessThan(softBandError(I, F, alpha) * 0.5);
		expect(Math.abs(fromSquare - fromFull)).toBeLessThan(3);
		await expect(refineForeground(I, alpha, width, height, { scaledDown: { ...scaledDown, width: 255 } })).rejects.toThrow('is not 255×256');
	});

	it('leaves opaque pixels exactly as they were', async () => {
		const width = 64;
		const height = 32;
		const { I, alpha } = composite(width, height);
		const refined = await refineForeground(I, alpha, width, height);
		for (let i = 0; i < alpha.length; i++) {
			if (alpha[i] === 255) expect(refined.subarray(i * 3, i * 3 + 3)).toEqual(I.subarray(i * 3, i * 3 + 3));
		}
	});
});

describe('refineForeground in place', () => {
	it('writes the same colours into the input as it returns in a copy', async () => {
		const width = 96;
		const height = 64;
		const rgb = Buffer.from(Array.from({ length: width * height * 3 }, (_, i) => (i * 7919) % 256));
		const alpha = Buffer.from(Array.from({ length: width * height }, (_, i) => (i % 7 === 0 ? 0 : i % 5 === 0 ? 255 : (i * 31) % 256)));
		const copy = await refineForeground(rgb, alpha, width, height);
		const input = Buffer.from(rgb);
		const inPlace = await refineForeground(input, alpha, width, height, { inPlace: true });
		expect(inPlace).toBe(input);
		expect(inPlace.equals(copy)).toBe(true);
		expect(copy.equals(rgb)).toBe(false);
	});

	it('gives the same colours whether the matte starts on a word boundary or not (runs of 0 and 255 are skipped by the word)', async () => {
		const width = 101;
		const height = 37;
		const rgb = Buffer.from(Array.from({ length: width * height * 3 }, (_, i) => (i * 7919) % 256));
		const runs = Array.from({ length: width * height }, (_, i) => [0, 255, 0, 255, 128, 255, 0, 7][Math.floor(i / 3) % 8] * (i % 13 === 0 ? 0 : 1));
		const ownBuffer = Buffer.alloc(width * height);
		ownBuffer.set(runs);
		const offset = Buffer.alloc(width * height + 1).subarray(1);
		offset.set(runs);
		expect(ownBuffer.byteOffset % 4).toBe(0);
		expect(offset.byteOffset % 4).not.toBe(0);
		const aligned = await refineForeground(rgb, ownBuffer, width, height);
		expect((await refineForeground(rgb, offset, width, height)).equals(aligned)).toBe(true);
		expect(aligned.equals(rgb)).toBe(false);
	});
});
