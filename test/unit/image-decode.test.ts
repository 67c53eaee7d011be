import sharp from 'sharp';

import { type DecodedImage, type DecodeLimits, decodeImage, headerPixelCount } from '../../lib/image/decode';
import { CutoutError, type CutoutErrorCode } from '../../lib/errors';
import { recyclePixels } from '../../lib/image/pixelPool';
import { bmpHeaderOnly, encodeBmp24, encodeBmp32, encodeBmp8 } from '../helpers/bmp';
import { HEIC_ALPHA, HEIC_OPAQUE } from '../helpers/heic';
import { pngWithHeader } from '../helpers/pngHeader';

const LIMITS: DecodeLimits = { maxPixels: 10_000_000, maxInputBytes: 10_000_000 };

type Triple = [number, number, number];
const RED: Triple = [220, 40, 40];
const BLUE: Triple = [40, 60, 200];

/** Raw RGB, left half `left`, right half `right`: big flat areas survive lossy codecs and show orientation. */
function halves(width: number, height: number, left: Triple, right: Triple): Buffer {
	const rgb = Buffer.alloc(width * height * 3);
	for (let y = 0; y < height; y++) {
		for (let x = 0; x < width; x++) rgb.set(x < width / 2 ? left : right, (y * width + x) * 3);
	}
	return rgb;
}

function rgbAt(image: DecodedImage, x: number, y: number): Triple {
	const i = (y * image.width + x) * 3;
	return [image.rgb[i], image.rgb[i + 1], image.rgb[i + 2]];
}

function expectColour(actual: Triple, expected: Triple, tolerance: number): void {
	const worst = Math.max(...actual.map((value, i) => Math.abs(value - expected[i])));
	if (worst > tolerance) throw new Error(`expected ~[${expected}] ±${tolerance}, got [${actual}]`);
}

function expectShape(image: DecodedImage, width: number, height: number): void {
	expect([image.width, image.height]).toEqual([width, height]);
	expect(image.rgb.length).toBe(width * height * 3);
	if (image.alpha) expect(image.alpha.length).toBe(width * height);
}

async function expectCutoutError(
	promise: Promise<unknown>,
	code: CutoutErrorCode,
	message?: string | RegExp,
): Promise<CutoutError> {
	const error = await promise.then(
		() => {
			throw new Error(`expected a ${code} CutoutError, but decoding succeeded`);
		},
		(caught: unknown) => caught,
	);
	expect(error).toBeInstanceOf(CutoutError);
	expect((error as CutoutError).code).toBe(code);
	if (message !== undefined) expect((error as CutoutError).message).toMatch(message);
	return error as CutoutError;
}



describe('decodeImage: formats', () => {
	const source = () => sharp(halves(32, 16, RED, BLUE), { raw: { width: 32, height: 16, channels: 3 } });

	it.each<[string, () => Promise<Buffer>, number]>([
		['jpeg', () => source().jpeg({ quality: 95 }).toBuffer(), 12],
		['png', () => source().png().toBuffer(), 0],
		['webp', () => source().webp({ quality: 95 }).toBuffer(), 12],
		['tiff', () => source().tiff({ compression: 'lzw' }).toBuffer(), 0],
		['gif', () => source().gif().toBuffer(), 4],
		['avif', () => source().avif({ quality: 90 }).toBuffer(), 12],
	])('decodes %s to the right size and colours, with no alpha', async (format, make, tolerance) => {
		const image = await decodeImage(await make(), LIMITS);
		expect(image.format).toBe(format);
		expectShape(image, 32, 16);
		expectColour(rgbAt(image, 4, 8), RED, tolerance);
		expectColour(rgbAt(image, 27, 8), BLUE, tolerance);
		expect(image.alpha).toBeNull();
	});

	it('decodes an opaque HEIC', async () => {
		const image = await decodeImage(HEIC_OPAQUE, LIMITS);
		expect(image.format).toBe('heic');
		expectShape(image, 32, 16);
		expectColour(rgbAt(image, 4, 8), [220, 30, 30], 8);
		expectColour(rgbAt(image, 27, 8), [30, 30, 220], 8);
		expect(image.alpha).toBeNull();
	});

	it('decodes a HEIC with alpha: alpha kept, transparent half flattened onto white', async () => {
		const image = await decodeImage(HEIC_ALPHA, LIMITS);
		expectShape(image, 32, 16);
		expect(image.alpha).not.toBeNull();
		expect(image.alpha![4 + 8 * 32]).toBe(255);
		expect(image.alpha![27 + 8 * 32]).toBe(0);
		expectColour(rgbAt(image, 4, 8), [220, 30, 30], 8);
		expect(rgbAt(image, 27, 8)).toEqual([255, 255, 255]);
	});
});

describe('decodeImage: BMP', () => {
	const width = 7; // odd, so 24-bit rows carry padding
	const height = 5;
	const rgb = halves(width, height, RED, BLUE);
	rgb.set([1, 2, 3], 0); // top-left marks orientation

	function rgbaFrom(rgbPixels: Buffer, alphaOf: (i: number) => number): Buffer {
		const rgba = Buffer.alloc(width * height * 4);
		for (let i = 0; i < width * height; i++) {
			rgba.set([rgbPixels[i * 3], rgbPixels[i * 3 + 1], rgbPixels[i * 3 + 2], alphaOf(i)], i * 4);
		}
		return rgba;
	}

	it.each([false, true])('decodes 24-bit exactly (top-down rows: %s)', async (topDown) => {
		const image = await decodeImage(encodeBmp24(rgb, width, height, { topDown }), LIMITS);
		expect(image.format).toBe('bmp');
		expectShape(image, width, height);
		expect(image.rgb.equals(rgb)).toBe(true);
		expect(image.alpha).toBeNull();
	});

	it.each(['info', 'info-bitfields', 'v4'] as const)('decodes 32-bit with real alpha (%s header)', async (header) => {
		const alphaOf = (i: number) => (i % width) * 40; // 0, 40, … 240 across each row
		const image = await decodeImage(encodeBmp32(rgbaFrom(rgb, alphaOf), width, height, { header }), LIMITS);
		expectShape(image, width, height);
		expect(image.alpha).not.toBeNull();
		expect([...image.alpha!.subarray(0, width)]).toEqual([0, 40, 80, 120, 160, 200, 240]);
		// Pixel (6, 4) is BLUE at alpha 240, flattened onto white.
		expect(rgbAt(image, 6, 4)).toEqual(BLUE.map((c) => Math.round((c * 240 + 255 * 15) / 255)));
	});

	it('reads a 32-bit BMP whose alpha bytes are all zero as opaque, as browsers do', async () => {
		const image = await decodeImage(
			encodeBmp32(
				rgbaFrom(rgb, () => 0),
				width,
				height,
			),
			LIMITS,
		);
		expect(image.alpha).toBeNull();
		expect(image.rgb.equals(rgb)).toBe(true);
	});

	it('decodes a top-down 32-bit BMP upright', async () => {
		const bmp = encodeBmp32(
			rgbaFrom(rgb, () => 255),
			width,
			height,
			{ topDown: true, header: 'v4' },
		);
		const image = await decodeImage(bmp, LIMITS);
		expect(image.rgb.equals(rgb)).toBe(true);
	});

	it('skips the optional colour table a 24-bit BMP may carry before its pixels', async () => {
		const plain = encodeBmp24(rgb, width, height);
		const table = Buffer.alloc(8, 0x77); // two unused BGRX entries
		const withTable = Buffer.concat([plain.subarray(0, 54), table, plain.subarray(54)]);
		withTable.writeUInt32LE(2, 46); // colours used
		withTable.writeUInt32LE(54 + table.length, 10); // pixel data offset
		const image = await decodeImage(withTable, LIMITS);
		expect(image.rgb.equals(rgb)).toBe(true);
	});

	it('decodes an 8-bit palette BMP', async () => {
		const indices = Buffer.from(Array.from({ length: width * height }, (_, i) => (i % width < 3 ? 0 : 1)));
		const image = await decodeImage(encodeBmp8(indices, [RED, BLUE], width, height), LIMITS);
		expect(rgbAt(image, 0, 0)).toEqual(RED);
		expect(rgbAt(image, 6, 4)).toEqual(BLUE);
		expect(image.alpha).toBeNull();
	});

	it('refuses bit depths and compressions decode-bmp cannot read, naming them', async () => {
		await expectCutoutError(decodeImage(bmpHeaderOnly(4, 4, 16), LIMITS), 'unsupported_format', /16 bits per pixel/);
		await expectCutoutError(decodeImage(bmpHeaderOnly(4, 4, 8, 1), LIMITS), 'unsupported_format', /RLE8/);
		// BITFIELDS on 32 bits is fine only when the masks say B, G, R, A byte order.
		const rgbaMasks = encodeBmp32(Buffer.alloc(4 * 4 * 4), 4, 4, { header: 'v4' });
		rgbaMasks.writeUInt32LE(0x000000ff, 54);
		rgbaMasks.writeUInt32LE(0x00ff0000, 62);
		await expectCutoutError(decodeImage(rgbaMasks, LIMITS), 'unsupported_format', /BITFIELDS/);
	});

	it('reports truncated pixel data as corrupt', async () => {
		const bmp = encodeBmp24(rgb, width, height);
		await expectCutoutError(decodeImage(bmp.subarray(0, bmp.length - 10), LIMITS), 'corrupt_image', /BMP/);
	});

	it('reports an invalid size as corrupt', async () => {
		await expectCutoutError(decodeImage(bmpHeaderOnly(0, 4, 24), LIMITS), 'corrupt_image', /0×4/);
	});

	it('checks the pixel limit from the header, before reading pixels that are not there', async () => {
		const huge = bmpHeaderOnly(40_000, -30_000, 24); // top-down
		await expectCutoutError(decodeImage(huge, LIMITS), 'too_many_pixels', /40000×30000/);
	});
});

describe('decodeImage: colour handling', () => {
	it('applies EXIF orientation 6 (rotate 90° clockwise): dimensions swap, the left edge becomes the top', async () => {
		const jpeg = await sharp(halves(40, 20, RED, BLUE), { raw: { width: 40, height: 20, channels: 3 } })
			.jpeg({ quality: 95 })
			.withMetadata({ orientation: 6 })
			.toBuffer();
		expect((await sharp(jpeg).metadata()).orientation).toBe(6);
		const image = await decodeImage(jpeg, LIMITS);
		expectShape(image, 20, 40);
		expectColour(rgbAt(image, 10, 4), RED, 12);
		expectColour(rgbAt(image, 10, 35), BLUE, 12);
	});

	it('converts 16-bit PNG to 8 bits by scaling, not truncating', async () => {
		const wide = new Uint16Array(4 * 2 * 3);
		for (let i = 0; i < 8; i++) wide.set([200 * 257, 100 * 257, 0x4000], i * 3);
		const png = await sharp(wide, { raw: { width: 4, height: 2, channels: 3 } })
			.toColourspace('rgb16')
			.png()
			.toBuffer();
		expect((await sharp(png).metadata()).depth).toBe('ushort');
		const image = await decodeImage(png, LIMITS);
		expect(rgbAt(image, 3, 1)).toEqual([200, 100, 64]);
	});

	it('honours the ICC profile of a 16-bit PNG (sharp would otherwise hand back P3 values)', async () => {
		const wide = new Uint16Array(4 * 2 * 3);
		for (let i = 0; i < 8; i++) wide.set([200 * 257, 100 * 257, 50 * 257], i * 3);
		const png = await sharp(wide, { raw: { width: 4, height: 2, channels: 3 } })
			.toColourspace('rgb16')
			.withIccProfile('srgb')
			.png()
			.toBuffer();
		// Tagged sRGB: the stored values are the colour.
		const stored = await sharp(png, { ignoreIcc: true }).toColourspace('srgb').raw().toBuffer();
		const image = await decodeImage(png, LIMITS);
		expectColour(rgbAt(image, 0, 0), [stored[0], stored[1], stored[2]], 1);
	});

	it('converts an 8-bit image with an embedded P3 profile to sRGB', async () => {
		const colour: Triple = [200, 100, 100];
		const raw = Buffer.alloc(4 * 2 * 3);
		for (let i = 0; i < 8; i++) raw.set(colour, i * 3);
		const png = await sharp(raw, { raw: { width: 4, height: 2, channels: 3 } })
			.withIccProfile('p3')
			.png()
			.toBuffer();
		const stored = await sharp(png, { ignoreIcc: true }).raw().toBuffer();
		expect(Math.abs(stored[0] - colour[0])).toBeGreaterThan(5); // the file really holds P3 numbers
		expectColour(rgbAt(await decodeImage(png, LIMITS), 1, 1), colour, 2);
	});

	it('converts CMYK JPEG to sRGB', async () => {
		const jpeg = await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 200, g: 50, b: 50 } } })
			.toColourspace('cmyk')
			.jpeg({ quality: 95 })
			.toBuffer();
		expect((await sharp(jpeg).metadata()).space).toBe('cmyk');
		const image = await decodeImage(jpeg, LIMITS);
		expectShape(image, 8, 8);
		expectColour(rgbAt(image, 4, 4), [200, 50, 50], 16);
	});

	it('expands greyscale to three equal channels', async () => {
		const grey = Buffer.from([0, 50, 100, 150, 200, 255]);
		const png = await sharp(grey, { raw: { width: 3, height: 2, channels: 1 } })
			.toColourspace('b-w')
			.png()
			.toBuffer();
		expect((await sharp(png).metadata()).channels).toBe(1);
		const image = await decodeImage(png, LIMITS);
		expect([...image.rgb]).toEqual([...grey].flatMap((v) => [v, v, v]));
		expect(image.alpha).toBeNull();
	});

	it('keeps greyscale + alpha, flattening the colour onto white', async () => {
		const greyAlpha = Buffer.from([10, 255, 100, 128, 200, 0, 60, 1]);
		const png = await sharp(greyAlpha, { raw: { width: 2, height: 2, channels: 2 } })
			.toColourspace('b-w')
			.png()
			.toBuffer();
		expect((await sharp(png).metadata()).channels).toBe(2);
		const image = await decodeImage(png, LIMITS);
		expect([...image.alpha!]).toEqual([255, 128, 0, 1]);
		const flat = (g: number, a: number) => Math.round((g * a + 255 * (255 - a)) / 255);
		expect([...image.rgb]).toEqual([10, flat(100, 128), 255, flat(60, 1)].flatMap((v) => [v, v, v]));
	});

	it('flattens a semi-transparent colour onto white with correct rounding', async () => {
		const png = await sharp(Buffer.from([100, 200, 50, 128]), { raw: { width: 1, height: 1, channels: 4 } })
			.png()
			.toBuffer();
		const image = await decodeImage(png, LIMITS);
		expect([...image.rgb]).toEqual([177, 227, 152]);
		expect([...image.alpha!]).toEqual([128]);
	});

	it('turns a palette PNG with transparency into alpha', async () => {
		const rgba = Buffer.alloc(4 * 2 * 4);
		for (let i = 0; i < 8; i++) rgba.set(i % 2 ? [255, 0, 0, 255] : [0, 0, 255, 0], i * 4);
		const png = await sharp(rgba, { raw: { width: 4, height: 2, channels: 4 } })
			.png({ palette: true, dither: 0 })
			.toBuffer();
		expect((await sharp(png).metadata()).isPalette).toBe(true);
		const image = await decodeImage(png, LIMITS);
		expect([...image.alpha!]).toEqual([0, 255, 0, 255, 0, 255, 0, 255]);
		expect(rgbAt(image, 1, 0)).toEqual([255, 0, 0]);
		expect(rgbAt(image, 0, 0)).toEqual([255, 255, 255]);
	});

	it('drops an alpha channel that is opaque everywhere', async () => {
		const png = await sharp({
			create: { width: 3, height: 3, channels: 4, background: { r: 9, g: 8, b: 7, alpha: 1 } },
		})
			.png()
			.toBuffer();
		expect((await sharp(png).metadata()).hasAlpha).toBe(true);
		const image = await decodeImage(png, LIMITS);
		expect(image.alpha).toBeNull();
		expect(rgbAt(image, 2, 2)).toEqual([9, 8, 7]);
	});

	it('keeps a fully transparent alpha as zeros, not null', async () => {
		const png = await sharp({
			create: { width: 3, height: 2, channels: 4, background: { r: 9, g: 8, b: 7, alpha: 0 } },
		})
			.png()
			.toBuffer();
		const image = await decodeImage(png, LIMITS);
		expect(image.alpha).toEqual(Buffer.alloc(6, 0));
		expect(image.rgb).toEqual(Buffer.alloc(18, 255));
	});
});

describe('decodeImage: animations and extreme shapes', () => {
	const frames = (format: 'gif' | 'webp') => {
		const width = 6;
		const frameHeight = 4;
		const pixels = Buffer.alloc(width * frameHeight * 2 * 4);
		for (let i = 0; i < width * frameHeight * 2; i++) {
			pixels.set(i < width * frameHeight ? [255, 0, 0, 255] : [0, 255, 0, 255], i * 4);
		}
		const animation = sharp(pixels, { raw: { width, height: frameHeight * 2, channels: 4, pageHeight: frameHeight } });
		return format === 'gif' ? animation.gif().toBuffer() : animation.webp({ lossless: true }).toBuffer();
	};

	it.each(['gif', 'webp'] as const)('decodes only the first frame of an animated %s', async (format) => {
		const animation = await frames(format);
		expect((await sharp(animation).metadata()).pages).toBe(2);
		const image = await decodeImage(animation, LIMITS);
		expectShape(image, 6, 4);
		expect(rgbAt(image, 5, 3)).toEqual([255, 0, 0]);
	});

	it('decodes a 1×1 image', async () => {
		const png = await sharp(Buffer.from([1, 2, 3]), { raw: { width: 1, height: 1, channels: 3 } })
			.png()
			.toBuffer();
		const image = await decodeImage(png, LIMITS);
		expectShape(image, 1, 1);
		expect([...image.rgb]).toEqual([1, 2, 3]);
	});

	it('decodes a 10000×10 strip without mixing up rows and columns', async () => {
		const width = 10_000;
		const rgb = Buffer.alloc(width * 10 * 3);
		for (let y = 0; y < 10; y++) for (let x = 0; x < width; x++) rgb.set([x % 256, y * 20, 7], (y * width + x) * 3);
		const png = await sharp(rgb, { raw: { width, height: 10, channels: 3 } })
			.png()
			.toBuffer();
		const image = await decodeImage(png, LIMITS);
		expectShape(image, 10_000, 10);
		expect(rgbAt(image, 9_999, 9)).toEqual([9_999 % 256, 180, 7]);
		expect(image.rgb.equals(rgb)).toBe(true);
	});
});

describe('decodeImage: refusals', () => {
	it('refuses empty input', async () => {
		await expectCutoutError(decodeImage(Buffer.alloc(0), LIMITS), 'empty_input');
	});

	it('refuses input over maxInputBytes, naming both sizes', async () => {
		await expectCutoutError(
			decodeImage(Buffer.alloc(101, 0x20), { ...LIMITS, maxInputBytes: 100 }),
			'too_many_bytes',
			/101 bytes.*100 bytes/,
		);
	});

	it.each([
		['maxPixels', 0],
		['maxPixels', 1.5],
		['maxInputBytes', -1],
		['maxInputBytes', Number.NaN],
	] as const)('refuses %s = %s', async (name, value) => {
		const png = await sharp(Buffer.from([1, 2, 3]), { raw: { width: 1, height: 1, channels: 3 } })
			.png()
			.toBuffer();
		await expectCutoutError(decodeImage(png, { ...LIMITS, [name]: value }), 'invalid_option', new RegExp(name));
	});

	it.each([
		['text', Buffer.from('definitely not an image'), /looks like text: "definitely not an image"/],
		['an HTML error page', Buffer.from('<!DOCTYPE html><html><body>404</body></html>'), /HTML page/],
		['a PDF', Buffer.from('%PDF-1.7\n1 0 obj\n'), /^PDF documents are not supported/],
		[
			'an SVG',
			Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'),
			/^SVG \(vector\) images are not supported: rasterise to PNG first$/,
		],
		['an SVG with an XML prolog', Buffer.from('<?xml version="1.0"?>\n<svg/>'), /^SVG/],
		['unknown binary', Buffer.from([0, 1, 2, 3, 4, 5]), /binary data starting with 00 01 02 03 04 05/],
	])('refuses %s as unsupported_format with a specific message', async (_name, input, message) => {
		await expectCutoutError(decodeImage(input, LIMITS), 'unsupported_format', message);
	});

	it.each(['jpeg', 'png'] as const)(
		'reports a truncated %s as corrupt_image, not a half-grey picture',
		async (format) => {
			const width = 64;
			const rgb = Buffer.alloc(width * width * 3);
			for (let i = 0; i < rgb.length; i++) rgb[i] = (i * 37) % 251; // busy, so the data is long
			const image = sharp(rgb, { raw: { width, height: width, channels: 3 } });
			const full = await (format === 'jpeg' ? image.jpeg() : image.png()).toBuffer();
			const error = await expectCutoutError(decodeImage(full.subarray(0, full.length * 0.6), LIMITS), 'corrupt_image');
			expect(error.message).toMatch(format === 'jpeg' ? /^The JPEG image could not be decoded: / : /^The PNG image/);
		},
	);

	it('reports a truncated or garbled HEIC as corrupt_image, without libheif-js printing its parse error', async () => {
		const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
		try {
			const truncated = decodeImage(HEIC_OPAQUE.subarray(0, 300), LIMITS);
			const garbage = decodeImage(Buffer.concat([HEIC_OPAQUE.subarray(0, 28), Buffer.alloc(200, 0xab)]), LIMITS);
			// Other output logged meanwhile is not swallowed, and two overlapping parses restore console.log.
			console.log('other output');
			await expectCutoutError(truncated, 'corrupt_image', /^The HEIC image/);
			await expectCutoutError(garbage, 'corrupt_image', /^The HEIC image/);
			expect(log.mock.calls).toEqual([['other output']]);
			expect(console.log).toBe(log);
		} finally {
			log.mockRestore();
		}
	});

	it('refuses the layered-HEVC brands heic-decode cannot open as unsupported, not corrupt', async () => {
		const layered = Buffer.from(HEIC_OPAQUE);
		layered.write('heim', 8, 'latin1');
		await expectCutoutError(decodeImage(layered, LIMITS), 'unsupported_format', /'heim'/);
	});

	it('refuses a 30000×30000 PNG from its header alone, fast', async () => {
		const png = pngWithHeader(30_000, 30_000);
		expect(png.length).toBeLessThan(100);
		const started = performance.now();
		await expectCutoutError(decodeImage(png, LIMITS), 'too_many_pixels', /30000×30000 \(900\.0 megapixels\)/);
		expect(performance.now() - started).toBeLessThan(1_000);
	});

	it('applies the pixel limit inclusively, on every decoder', async () => {
		const png = await sharp({ create: { width: 10, height: 10, channels: 3, background: '#000' } })
			.png()
			.toBuffer();
		await expect(decodeImage(png, { ...LIMITS, maxPixels: 100 })).resolves.toMatchObject({ width: 10 });
		await expectCutoutError(decodeImage(png, { ...LIMITS, maxPixels: 99 }), 'too_many_pixels', /10×10 \(100 pixels\)/);
		await expectCutoutError(decodeImage(HEIC_OPAQUE, { ...LIMITS, maxPixels: 511 }), 'too_many_pixels', /HEIC.*32×16/);
		await expect(decodeImage(HEIC_OPAQUE, { ...LIMITS, maxPixels: 512 })).resolves.toMatchObject({ width: 32 });
	});
});

describe('headerPixelCount', () => {
	it.each<[string, () => Promise<Buffer> | Buffer, number]>([
		['a PNG header alone (30000×30000), without decoding', () => pngWithHeader(30_000, 30_000), 900_000_000],
		['a JPEG', () => sharp(halves(32, 16, RED, BLUE), { raw: { width: 32, height: 16, channels: 3 } }).jpeg().toBuffer(), 512],
		['a BMP', () => encodeBmp24(halves(7, 5, RED, BLUE), 7, 5), 35],
		['a HEIC', () => HEIC_OPAQUE, 512],
		['the first frame of an animated GIF', () => sharp(Buffer.alloc(6 * 8 * 4, 255), { raw: { width: 6, height: 8, channels: 4, pageHeight: 4 } }).gif().toBuffer(), 24],
	])('reads %s', async (_, make, pixels) => {
		expect(await headerPixelCount(await make())).toBe(pixels);
	});

	it('gives 0 where there is no header to read, leaving the reason to decodeImage', async () => {
		expect(await headerPixelCount(Buffer.from('not an image at all'))).toBe(0);
		expect(await headerPixelCount(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]))).toBe(0);
	});
});

describe('decodeImage: JPEGs and PNGs over glibc’s 32 MiB mapping ceiling, decoded in halves', () => {
	const limits: DecodeLimits = { maxPixels: 20_000_000, maxInputBytes: 100_000_000 };
	/** 4096 × 2897 of gradients and noise: 35.6 MB as RGB, over 32 MiB, each half under it. */
	const width = 4096;
	const height = 2897;
	let jpeg: Buffer;
	let rotated: Buffer;
	let png: Buffer;
	beforeAll(async () => {
		const rgb = Buffer.alloc(width * height * 3);
		for (let y = 0, i = 0; y < height; y++) {
			for (let x = 0; x < width; x++, i += 3) rgb.set([(x >> 4) & 255, (y >> 4) & 255, (x * 7 + y * 13) & 63], i);
		}
		const image = () => sharp(rgb, { raw: { width, height, channels: 3 } }).jpeg({ quality: 90 });
		[jpeg, rotated, png] = await Promise.all([
			image().toBuffer(),
			image().withMetadata({ orientation: 6 }).toBuffer(),
			sharp(rgb, { raw: { width, height, channels: 3 } }).png({ compressionLevel: 1 }).toBuffer(),
		]);
	});

	it.each([
		['JPEG', () => jpeg],
		['PNG', () => png],
	])('gives the pixels of a whole decode (%s), an odd number of rows included', async (_, encoded) => {
		const image = await decodeImage(encoded(), limits);
		expectShape(image, 4096, 2897);
		expect(image.rgb.equals(await sharp(encoded()).raw().toBuffer())).toBe(true);
		// Lent: given back, it is the buffer the next decode of that size fills.
		recyclePixels(image.rgb);
		expect((await decodeImage(encoded(), limits)).rgb).toBe(image.rgb);
	});

	it('decodes into a buffer given back by the last image of that size, and decodes a rotated JPEG whole', async () => {
		const first = await decodeImage(jpeg, limits);
		recyclePixels(first.rgb);
		const second = await decodeImage(jpeg, limits);
		expect(second.rgb).toBe(first.rgb);
		expect(second.rgb.equals(await sharp(jpeg).raw().toBuffer())).toBe(true);
		recyclePixels(second.rgb);
		const upright = await decodeImage(rotated, limits);
		expectShape(upright, 2897, 4096);
		expect(upright.rgb).not.toBe(first.rgb);
		expect(upright.rgb.equals(await sharp(rotated).rotate().raw().toBuffer())).toBe(true);
	});
});
