import sharp from 'sharp';

import {
	type CutoutOutputFormat,
	encodeMask,
	encodeRgb,
	encodeRgbAndAlpha,
	encodeRgba,
	type MaskOutputFormat,
	parseColor,
	type TransparentOutputFormat,
} from '../../lib/image/encode';
import { CutoutError, type CutoutErrorCode } from '../../lib/errors';
import { toRgba } from '../../lib/matte/composite';

const WIDTH = 24;
const HEIGHT = 10;

/** Left half opaque orange, right half fully transparent green: alpha and colour both show in the output. */
function rgbaHalves(): Buffer {
	const rgba = Buffer.alloc(WIDTH * HEIGHT * 4);
	for (let i = 0; i < WIDTH * HEIGHT; i++) {
		rgba.set(i % WIDTH < WIDTH / 2 ? [240, 120, 20, 255] : [20, 200, 20, 0], i * 4);
	}
	return rgba;
}

function rgbHalves(): Buffer {
	const rgb = Buffer.alloc(WIDTH * HEIGHT * 3);
	for (let i = 0; i < WIDTH * HEIGHT; i++) rgb.set(i % WIDTH < WIDTH / 2 ? [240, 120, 20] : [30, 40, 200], i * 3);
	return rgb;
}

/** A smooth ramp: a mask with every value 0–255 present. */
function maskRamp(width: number, height: number): Buffer {
	return Buffer.from(Array.from({ length: width * height }, (_, i) => i % 256));
}

async function rawPixel(data: Buffer, x: number, y: number): Promise<number[]> {
	const { data: raw, info } = await sharp(data).raw().toBuffer({ resolveWithObject: true });
	const i = (y * info.width + x) * info.channels;
	return [...raw.subarray(i, i + info.channels)];
}

function expectClose(actual: number[], expected: number[], tolerance: number): void {
	expect(actual).toHaveLength(expected.length);
	actual.forEach((value, i) => {
		if (Math.abs(value - expected[i]) > tolerance) {
			throw new Error(`expected ~[${expected}] ±${tolerance}, got [${actual}]`);
		}
	});
}

async function expectCutoutError(promise: Promise<unknown> | (() => unknown), code: CutoutErrorCode, message: RegExp) {
	let caught: unknown;
	try {
		await (typeof promise === 'function' ? promise() : promise);
	} catch (error) {
		caught = error;
	}
	expect(caught).toBeInstanceOf(CutoutError);
	expect((caught as CutoutError).code).toBe(code);
	expect((caught as CutoutError).message).toMatch(message);
}

describe('encodeRgba', () => {
	it.each<[CutoutOutputFormat, string, string, string]>([
		['png', 'png', 'image/png', 'png'],
		['webp', 'webp', 'image/webp', 'webp'],
		['avif', 'heif', 'image/avif', 'avif'],
		['gif', 'gif', 'image/gif', 'gif'],
	])('writes %s with alpha, the right size and file type', async (format, sharpFormat, mimeType, extension) => {
		const encoded = await encodeRgba(rgbaHalves(), WIDTH, HEIGHT, format);
		expect([encoded.mimeType, encoded.fileExtension]).toEqual([mimeType, extension]);
		const metadata = await sharp(encoded.data).metadata();
		expect([metadata.format, metadata.width, metadata.height, metadata.hasAlpha]).toEqual([
			sharpFormat,
			WIDTH,
			HEIGHT,
			true,
		]);
		const [, , , transparent] = await rawPixel(encoded.data, WIDTH - 2, 5);
		const [r, g, b, opaque] = await rawPixel(encoded.data, 2, 5);
		expect([transparent, opaque]).toEqual([0, 255]);
		expectClose([r, g, b], [240, 120, 20], format === 'png' ? 0 : 12);
	});

	it('writes PNG losslessly', async () => {
		const rgba = rgbaHalves();
		rgba.set([1, 2, 3, 4], 0);
		const encoded = await encodeRgba(rgba, WIDTH, HEIGHT, 'png');
		const { data, info } = await sharp(encoded.data).raw().toBuffer({ resolveWithObject: true });
		expect(info.channels).toBe(4);
		expect(data.equals(rgba)).toBe(true);
	});

	it('flattens JPEG onto white by default, as it has no alpha', async () => {
		const encoded = await encodeRgba(rgbaHalves(), WIDTH, HEIGHT, 'jpeg', { quality: 95 });
		expect([encoded.mimeType, encoded.fileExtension]).toEqual(['image/jpeg', 'jpg']);
		const metadata = await sharp(encoded.data).metadata();
		expect([metadata.format, metadata.channels, metadata.width, metadata.height]).toEqual(['jpeg', 3, WIDTH, HEIGHT]);
		expectClose(await rawPixel(encoded.data, WIDTH - 2, 5), [255, 255, 255], 4);
		expectClose(await rawPixel(encoded.data, 2, 5), [240, 120, 20], 12);
	});

	it('flattens JPEG onto the background colour given', async () => {
		const encoded = await encodeRgba(rgbaHalves(), WIDTH, HEIGHT, 'jpeg', { background: { r: 0, g: 0, b: 128 } });
		expectClose(await rawPixel(encoded.data, WIDTH - 2, 5), [0, 0, 128], 8);
	});

	it('passes quality through: a lower quality gives a smaller JPEG', async () => {
		const noisy = Buffer.from(Array.from({ length: 64 * 64 * 4 }, (_, i) => (i % 4 === 3 ? 255 : (i * 7919) % 256)));
		const low = await encodeRgba(noisy, 64, 64, 'jpeg', { quality: 20 });
		const high = await encodeRgba(noisy, 64, 64, 'jpeg', { quality: 95 });
		expect(low.data.length).toBeLessThan(high.data.length * 0.6);
	});

	it('trades PNG size for time by effort, every effort lossless', async () => {
		// Smooth gradients with grain, like a photo: row filters pay off, so the efforts differ in size.
		const width = 256;
		const height = 192;
		const photoLike = Buffer.alloc(width * height * 4);
		for (let y = 0; y < height; y++) {
			for (let x = 0; x < width; x++) {
				const grain = ((x * 7919 + y * 104729) % 13) - 6;
				photoLike.set([x + grain, y + grain, (x + y) / 2 + grain, 255 - (x % 64)], (y * width + x) * 4);
			}
		}
		const colours = Buffer.alloc(width * height * 3);
		const matte = Buffer.alloc(width * height);
		for (let i = 0; i < matte.length; i++) {
			colours.set(photoLike.subarray(i * 4, i * 4 + 3), i * 3);
			matte[i] = photoLike[i * 4 + 3];
		}
		const sizes: Record<string, number> = {};
		for (const pngEffort of ['fast', 'balanced', 'small'] as const) {
			const encoded = await encodeRgbAndAlpha(Buffer.from(colours), matte, width, height, 'png', { pngEffort });
			expect((await sharp(encoded.data).raw().toBuffer()).equals(photoLike)).toBe(true);
			sizes[pngEffort] = encoded.data.length;
		}
		expect(sizes.fast).toBeGreaterThan(sizes.balanced);
		expect(sizes.small).toBeLessThan(sizes.balanced);
		await expectCutoutError(encodeRgba(photoLike, width, height, 'png', { pngEffort: 'max' as never }), 'invalid_option', /PNG effort "max"/);
	});
});

describe('encodeRgb', () => {
	it.each<[CutoutOutputFormat, string, number]>([
		['png', 'png', 0],
		['jpeg', 'jpeg', 12],
		['webp', 'webp', 12],
		['avif', 'heif', 12],
		['gif', 'gif', 4],
	])('writes %s at the right size and colours', async (format, sharpFormat, tolerance) => {
		const encoded = await encodeRgb(rgbHalves(), WIDTH, HEIGHT, format, { quality: 95 });
		const metadata = await sharp(encoded.data).metadata();
		expect([metadata.format, metadata.width, metadata.height]).toEqual([sharpFormat, WIDTH, HEIGHT]);
		if (format !== 'gif') expect(metadata.hasAlpha).toBe(false); // GIF always decodes with alpha
		expectClose((await rawPixel(encoded.data, 2, 5)).slice(0, 3), [240, 120, 20], tolerance);
		expectClose((await rawPixel(encoded.data, WIDTH - 2, 5)).slice(0, 3), [30, 40, 200], tolerance);
	});
});

describe('encodeRgbAndAlpha', () => {
	// Busy colours under every alpha value, a fifth of them fully transparent: all of toRgba's cases at once.
	const width = 61;
	const height = 23;
	const busyColours = () => Buffer.from(Array.from({ length: width * height * 3 }, (_, i) => (i * 7919 + 1) % 256));
	const rgb = busyColours();
	const alpha = Buffer.from(Array.from({ length: width * height }, (_, i) => (i % 5 === 0 ? 0 : (i * 31) % 256)));

	it.each<TransparentOutputFormat>(['webp', 'avif', 'gif'])('writes the same %s file as encodeRgba on the interleaved pixels', async (format) => {
		const joined = await encodeRgbAndAlpha(Buffer.from(rgb), alpha, width, height, format, { quality: 90 });
		const interleaved = await encodeRgba(toRgba(rgb, alpha), width, height, format, { quality: 90 });
		expect(joined.data.equals(interleaved.data)).toBe(true);
		expect(joined.mimeType).toBe(interleaved.mimeType);
	});

	it('writes a PNG (its own encoder) that decodes to the same pixels as encodeRgba on the interleaved pixels', async () => {
		const joined = await encodeRgbAndAlpha(Buffer.from(rgb), alpha, width, height, 'png');
		const interleaved = await encodeRgba(toRgba(rgb, alpha), width, height, 'png');
		const [a, b] = await Promise.all([joined, interleaved].map((image) => sharp(image.data).raw().toBuffer({ resolveWithObject: true })));
		expect(a.info).toMatchObject({ width, height, channels: 4 });
		expect(a.data.equals(b.data)).toBe(true);
		expect(joined.mimeType).toBe('image/png');
	});

	it('writes fully transparent pixels black in a PNG, leaving the colours it was handed as they were', async () => {
		const colours = busyColours();
		const { data } = await encodeRgbAndAlpha(colours, alpha, width, height, 'png');
		expect(colours.equals(busyColours())).toBe(true);
		const decoded = await sharp(data).raw().toBuffer();
		expect(decoded.equals(toRgba(busyColours(), alpha))).toBe(true);
	});

	it('blacks out fully transparent pixels in the colours it was handed for WebP, and no others', async () => {
		const colours = busyColours();
		const original = busyColours();
		await encodeRgbAndAlpha(colours, alpha, width, height, 'webp');
		for (let i = 0; i < alpha.length; i++) {
			const expected = alpha[i] === 0 ? [0, 0, 0] : [...original.subarray(i * 3, i * 3 + 3)];
			expect([...colours.subarray(i * 3, i * 3 + 3)]).toEqual(expected);
		}
	});

	it('names the plane whose length does not match the size, and refuses JPEG (no alpha)', async () => {
		await expectCutoutError(encodeRgbAndAlpha(rgb, alpha.subarray(1), width, height, 'png'), 'invalid_option', /alpha buffer is 1402 bytes, but 61×23×1 needs 1403/);
		await expectCutoutError(encodeRgbAndAlpha(rgb, alpha, width, height, 'jpeg' as never), 'invalid_option', /Unknown transparent output format "jpeg"/);
	});
});

describe('encodeMask', () => {
	const width = 40;
	const height = 16;
	const mask = maskRamp(width, height);

	it('writes an 8-bit single-channel greyscale PNG by default, losslessly', async () => {
		const encoded = await encodeMask(mask, width, height);
		expect([encoded.mimeType, encoded.fileExtension]).toEqual(['image/png', 'png']);
		const metadata = await sharp(encoded.data).metadata();
		expect([metadata.channels, metadata.space, metadata.depth]).toEqual([1, 'b-w', 'uchar']);
		// sharp widens greyscale to sRGB on output unless asked to keep it.
		const { data, info } = await sharp(encoded.data).toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
		expect(info.channels).toBe(1);
		expect(data.equals(mask)).toBe(true);
	});

	it('writes a 16-bit greyscale PNG with values scaled to the full range', async () => {
		const encoded = await encodeMask(mask, width, height, 'png16');
		expect(encoded.mimeType).toBe('image/png');
		const metadata = await sharp(encoded.data).metadata();
		expect([metadata.channels, metadata.space, metadata.depth]).toEqual([1, 'grey16', 'ushort']);
		const { data } = await sharp(encoded.data)
			.toColourspace('grey16')
			.raw({ depth: 'ushort' })
			.toBuffer({ resolveWithObject: true });
		const values = new Uint16Array(data.buffer, data.byteOffset, data.length / 2);
		expect([...values]).toEqual([...mask].map((v) => v * 257));
	});

	it('writes a lossless WebP whose three channels all carry the mask', async () => {
		const encoded = await encodeMask(mask, width, height, 'webp');
		expect([encoded.mimeType, encoded.fileExtension]).toEqual(['image/webp', 'webp']);
		const { data, info } = await sharp(encoded.data).raw().toBuffer({ resolveWithObject: true });
		expect(info.channels).toBe(3); // WebP has no greyscale mode
		expect(data.equals(Buffer.from([...mask].flatMap((v) => [v, v, v])))).toBe(true);
	});

	it('refuses an unknown mask format', async () => {
		await expectCutoutError(
			encodeMask(mask, width, height, 'jpeg' as MaskOutputFormat),
			'invalid_option',
			/mask format "jpeg": use one of png, png16, webp/,
		);
	});
});

describe('encoder input validation', () => {
	it('names both lengths when the buffer does not match the size', async () => {
		await expectCutoutError(
			encodeRgba(Buffer.alloc(99), 5, 5, 'png'),
			'invalid_option',
			/RGBA buffer is 99 bytes, but 5×5×4 needs 100/,
		);
		await expectCutoutError(
			encodeRgb(Buffer.alloc(100), 5, 5, 'png'),
			'invalid_option',
			/100 bytes, but 5×5×3 needs 75/,
		);
		await expectCutoutError(encodeMask(Buffer.alloc(26), 5, 5), 'invalid_option', /26 bytes, but 5×5×1 needs 25/);
	});

	it.each([
		[0, 5],
		[5, -1],
		[2.5, 4],
		[Number.NaN, 4],
	])('refuses a %s×%s size', async (width, height) => {
		await expectCutoutError(encodeRgb(Buffer.alloc(0), width, height, 'png'), 'invalid_option', /positive integers/);
	});

	it('refuses an unknown output format', async () => {
		await expectCutoutError(
			encodeRgb(Buffer.alloc(3), 1, 1, 'bmp' as CutoutOutputFormat),
			'invalid_option',
			/output format "bmp": use one of png, webp, avif, gif, jpeg/,
		);
	});

	it.each([0, 101, 50.5])('refuses quality %s', async (quality) => {
		await expectCutoutError(
			encodeRgb(Buffer.alloc(3), 1, 1, 'jpeg', { quality }),
			'invalid_option',
			new RegExp(`Quality must be an integer from 1 to 100, got ${quality}`),
		);
	});

	it('refuses an out-of-range background channel, naming it', async () => {
		await expectCutoutError(
			encodeRgba(Buffer.alloc(4), 1, 1, 'jpeg', { background: { r: 0, g: 256, b: 0 } }),
			'invalid_option',
			/color g must be an integer from 0 to 255, got 256/,
		);
	});

	it('refuses WebP beyond its 16383-pixel side before sharp fails obscurely', async () => {
		await expectCutoutError(encodeRgb(Buffer.alloc(16_384 * 3), 16_384, 1, 'webp'), 'invalid_option', /16384×1.*WebP/);
		await expectCutoutError(encodeMask(Buffer.alloc(16_384), 1, 16_384, 'webp'), 'invalid_option', /1×16384/);
		const atLimit = await encodeRgb(Buffer.alloc(16_383 * 3), 16_383, 1, 'webp');
		expect((await sharp(atLimit.data).metadata()).width).toBe(16_383);
	});
});

describe('parseColor', () => {
	it.each([
		['#fff', { r: 255, g: 255, b: 255 }],
		['#0a8', { r: 0, g: 170, b: 136 }],
		['#FF8000', { r: 255, g: 128, b: 0 }],
		['  #12abEF ', { r: 0x12, g: 0xab, b: 0xef }],
		['rgb(1, 2, 3)', { r: 1, g: 2, b: 3 }],
		['RGB(255,0,128)', { r: 255, g: 0, b: 128 }],
		['rgb(10 20 30)', { r: 10, g: 20, b: 30 }],
		['white', { r: 255, g: 255, b: 255 }],
		['Black', { r: 0, g: 0, b: 0 }],
		['green', { r: 0, g: 128, b: 0 }],
		['grey', { r: 128, g: 128, b: 128 }],
		['gray', { r: 128, g: 128, b: 128 }],
	])('parses %j', (text, rgb) => {
		expect(parseColor(text)).toEqual(rgb);
	});

	it('returns a copy, so callers cannot change the named colours', () => {
		parseColor('white').r = 0;
		expect(parseColor('white').r).toBe(255);
	});

	it.each([
		'',
		'#ff',
		'#ffff',
		'#fffffff',
		'#ggg',
		'ffffff',
		'rgb(1,2)',
		'rgba(1,2,3,0.5)',
		'rgb(-1,0,0)',
		'chartreuse-ish',
	])('refuses %j, quoting it and listing the accepted forms', (text) => {
		expect(() => parseColor(text)).toThrow(CutoutError);
		try {
			parseColor(text);
		} catch (error) {
			expect((error as CutoutError).code).toBe('invalid_option');
			expect((error as CutoutError).message).toBe(
				`Invalid color "${text}": use #rgb, #rrggbb, rgb(r, g, b) or one of white, black, grey, gray, silver, red, green, lime, blue, yellow, cyan, magenta`,
			);
		}
	});

	it('refuses rgb() components over 255', () => {
		expect(() => parseColor('rgb(0, 300, 0)')).toThrow(
			/Invalid color "rgb\(0, 300, 0\)": rgb\(\) components must be 0–255/,
		);
	});
});
