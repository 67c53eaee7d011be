import { inflateSync } from 'node:zlib';
import sharp from 'sharp';

import { PngStripEncoder } from '../../lib/image/pngStrips';
import { mulberry32 } from '../../lib/random';

/** Smooth ramps plus noise, so every row filter has something to win on. */
function picture(width: number, height: number): Buffer {
	const random = mulberry32(5);
	const rgb = Buffer.alloc(width * height * 3);
	for (let y = 0; y < height; y++) {
		for (let x = 0; x < width; x++) {
			const i = (y * width + x) * 3;
			rgb[i] = (x * 2 + Math.floor(random() * 9)) & 255;
			rgb[i + 1] = (y * 3) & 255;
			rgb[i + 2] = ((x + y) * 5 + (x % 7 === 0 ? 90 : 0)) & 255;
		}
	}
	return rgb;
}

/** The zlib stream of a PNG's IDAT chunks, inflated: zlib checks the Adler-32 of the joined strips. */
function inflateIdat(png: Buffer): Buffer {
	const parts: Buffer[] = [];
	for (let at = 8; at < png.length; ) {
		const length = png.readUInt32BE(at);
		if (png.toString('latin1', at + 4, at + 8) === 'IDAT') parts.push(png.subarray(at + 8, at + 8 + length));
		at += 12 + length;
	}
	return inflateSync(Buffer.concat(parts));
}

/**
 * Rows filtered byte by byte as the PNG specification writes Sub and Up, each row keeping the one with the
 * smaller sum of |signed byte| (Up on a tie): what the encoder's word-wise filter must produce.
 */
function referenceScanlines(bytes: Uint8Array, width: number, height: number, channels: number): Buffer {
	const stride = width * channels;
	const out = Buffer.alloc(height * (stride + 1));
	const cost = (row: number[]) => row.reduce((sum, byte) => sum + (byte < 128 ? byte : 256 - byte), 0);
	for (let y = 0; y < height; y++) {
		const at = y * stride;
		const sub = Array.from({ length: stride }, (_, x) => (bytes[at + x] - (x >= channels ? bytes[at + x - channels] : 0)) & 255);
		const up = Array.from({ length: stride }, (_, x) => (bytes[at + x] - (y > 0 ? bytes[at + x - stride] : 0)) & 255);
		const useSub = cost(sub) < cost(up);
		out[y * (stride + 1)] = useSub ? 1 : 2;
		out.set(useSub ? sub : up, y * (stride + 1) + 1);
	}
	return out;
}

describe('PNG strip encoder', () => {
	const width = 97;
	const height = 61;
	const rgb = picture(width, height);

	it.each([
		['filtered, strips added out of order', { level: 4, filters: true }, [[40, 61], [0, 13]]],
		['unfiltered, one strip', { level: 2, filters: false }, []],
		['filtered, every row its own strip', { level: 9, filters: true }, Array.from({ length: height }, (_, y) => [y, y + 1])],
	])('writes a PNG that decodes to the pixels: %s', async (_, options, early) => {
		const encoder = new PngStripEncoder(width, height, options);
		for (const [y0, y1] of early) encoder.add({ rgb }, y0, y1);
		const png = await encoder.finish({ rgb });
		const decoded = await sharp(png).raw().toBuffer({ resolveWithObject: true });
		expect(decoded.info).toMatchObject({ width, height, channels: 3 });
		expect(decoded.data.equals(rgb)).toBe(true);
		expect(inflateIdat(png)).toHaveLength(height * (width * 3 + 1));
	});

	it.each([
		['RGBA from colours and a separate alpha plane', 'rgba' as const],
		['greyscale', 'grey' as const],
	])('writes %s that decodes to the pixels, transparent runs and odd widths included', async (_, layout) => {
		const alpha = Buffer.from(Array.from({ length: width * height }, (__, i) => (i % width < 30 ? 0 : (i * 37) % 256)));
		const colours = Buffer.from(rgb);
		for (let i = 0; i < alpha.length; i++) if (alpha[i] === 0) colours.fill(0, i * 3, i * 3 + 3);
		const pixels = layout === 'rgba' ? { rgb: colours, alpha } : { grey: alpha };
		const encoder = new PngStripEncoder(width, height, { level: 4, filters: true }, layout);
		encoder.add(pixels, 20, 45);
		const png = await encoder.finish(pixels);
		const decoded = await sharp(png).toColourspace(layout === 'grey' ? 'b-w' : 'srgb').raw().toBuffer({ resolveWithObject: true });
		expect(decoded.info.channels).toBe(layout === 'grey' ? 1 : 4);
		const expected = layout === 'grey' ? alpha : Buffer.from(Array.from(alpha, (a, i) => [colours[i * 3], colours[i * 3 + 1], colours[i * 3 + 2], a]).flat());
		expect(decoded.data.equals(expected)).toBe(true);
		expect(() => encoder.add({ rgb: colours }, 0, 1)).toThrow('do not make a 97×61 image');
	});

	it.each([
		[1, 1],
		[3, 1],
		[1, 5],
		[2, 3],
	])('writes a %i×%i image in every layout', async (w, h) => {
		const colours = Buffer.from(Array.from({ length: w * h * 3 }, (_, i) => 40 + i * 17));
		const alpha = Buffer.from(Array.from({ length: w * h }, (_, i) => (i * 97 + 1) % 256));
		for (const [layout, pixels, channels, expected] of [
			['rgb', { rgb: colours }, 3, colours],
			['rgba', { rgb: colours, alpha }, 4, Buffer.from(Array.from(alpha, (a, i) => [colours[i * 3], colours[i * 3 + 1], colours[i * 3 + 2], a]).flat())],
			['grey', { grey: alpha }, 1, alpha],
		] as const) {
			const png = await new PngStripEncoder(w, h, { level: 6, filters: true }, layout).finish(pixels);
			const decoded = await sharp(png).toColourspace(channels === 1 ? 'b-w' : 'srgb').raw().toBuffer({ resolveWithObject: true });
			expect([decoded.info.width, decoded.info.height, decoded.info.channels]).toEqual([w, h, channels]);
			expect(decoded.data.equals(expected)).toBe(true);
		}
	});

	it('starts on rows that are final while the rows above them still change, and refuses a row added twice', async () => {
		const encoder = new PngStripEncoder(width, height, { level: 4, filters: true });
		// Rows 0–28 are not final yet (as a hole's rows during the fill); rows 29 on are, 29 as context only.
		const unfinished = Buffer.from(rgb);
		unfinished.fill(7, 0, 29 * width * 3);
		encoder.add({ rgb: unfinished }, 30, height);
		const decoded = await sharp(await encoder.finish({ rgb })).raw().toBuffer();
		expect(decoded.equals(rgb)).toBe(true);
		const twice = new PngStripEncoder(width, height, { level: 4, filters: true });
		twice.add({ rgb }, 0, 10);
		expect(() => twice.add({ rgb }, 5, 12)).toThrow('row 5 was already added');
	});

	it.each([
		['RGBA', 'rgba' as const, 4],
		['greyscale', 'grey' as const, 1],
		['RGB', 'rgb' as const, 3],
	])('filters %s rows as Sub or Up byte by byte would, across transparent runs and rows that end where the row above goes on', async (_, layout, channels) => {
		// A subject that grows, shrinks, moves and vanishes from row to row, on a zero background.
		const random = mulberry32(11);
		const alpha = Buffer.alloc(width * height);
		for (let y = 0; y < height; y++) {
			if (y % 9 === 4) continue;
			const from = Math.floor(random() * width * 0.6);
			const to = Math.min(width, from + 1 + Math.floor(random() * width * 0.5));
			for (let x = from; x < to; x++) alpha[y * width + x] = random() < 0.2 ? 255 : 1 + Math.floor(random() * 254);
		}
		const colours = Buffer.from(rgb);
		for (let i = 0; i < alpha.length; i++) if (alpha[i] === 0) colours.fill(0, i * 3, i * 3 + 3);
		const pixels = layout === 'rgba' ? { rgb: colours, alpha } : layout === 'grey' ? { grey: alpha } : { rgb: colours };
		const bytes = layout === 'rgba' ? Buffer.from(Array.from(alpha, (a, i) => [colours[i * 3], colours[i * 3 + 1], colours[i * 3 + 2], a]).flat()) : layout === 'grey' ? alpha : colours;
		const encoder = new PngStripEncoder(width, height, { level: 4, filters: true }, layout);
		encoder.add(pixels, 17, 40);
		expect(inflateIdat(await encoder.finish(pixels)).equals(referenceScanlines(bytes, width, height, channels))).toBe(true);
	});

	it('deflates sparse strips as runs and dense ones with the full search, the pixels the same either way', async () => {
		// Rows 0–39 hold a noisy subject over most of the width (dense); rows 40 on hold a sliver (sparse).
		const random = mulberry32(19);
		const alpha = Buffer.alloc(width * height);
		for (let y = 0; y < height; y++) {
			for (let x = y < 40 ? 2 : 90; x < (y < 40 ? width - 2 : 92); x++) alpha[y * width + x] = 1 + Math.floor(random() * 255);
		}
		const encode = async (runLengths: boolean, y0: number, y1: number) => {
			const rows = Math.min(height, y1) - y0;
			const pixels = { rgb: rgb.subarray(y0 * width * 3, (y0 + rows) * width * 3), alpha: alpha.subarray(y0 * width, (y0 + rows) * width) };
			const png = await new PngStripEncoder(width, rows, { level: 4, filters: true, runLengths }, 'rgba').finish(pixels);
			const decoded = await sharp(png).raw().toBuffer();
			const expected = Buffer.from(Array.from(pixels.alpha, (a, i) => (a === 0 ? [0, 0, 0, 0] : [pixels.rgb[i * 3], pixels.rgb[i * 3 + 1], pixels.rgb[i * 3 + 2], a])).flat());
			expect(decoded.equals(expected)).toBe(true);
			return png;
		};
		expect((await encode(true, 0, 40)).equals(await encode(false, 0, 40))).toBe(true);
		expect((await encode(true, 40, height)).equals(await encode(false, 40, height))).toBe(false);
		const mask = { grey: alpha };
		const masks = await Promise.all([true, false].map((runLengths) => new PngStripEncoder(width, height, { level: 4, filters: true, runLengths }, 'grey').finish(mask)));
		expect(masks[0].equals(masks[1])).toBe(false);
		expect((await sharp(masks[0]).toColourspace('b-w').raw().toBuffer()).equals(alpha)).toBe(true);
	});

	it('filters rows: the filtered file is smaller than the unfiltered one on smooth content', async () => {
		const smooth = Buffer.alloc(width * height * 3);
		for (let i = 0; i < smooth.length; i++) smooth[i] = (Math.floor(i / 3) % width) * 2 + Math.floor(i / (width * 3));
		const filtered = await new PngStripEncoder(width, height, { level: 4, filters: true }).finish({ rgb: smooth });
		const plain = await new PngStripEncoder(width, height, { level: 4, filters: false }).finish({ rgb: smooth });
		expect(filtered.length).toBeLessThan(plain.length * 0.8);
	});
});
