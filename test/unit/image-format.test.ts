import sharp from 'sharp';

import {
	describeUnrecognisedContent,
	type ImageFormat,
	sniffImageFormat,
	sniffRefusedFormat,
} from '../../lib/image/format';
import { encodeBmp24 } from '../helpers/bmp';

/** An ISO-BMFF file start: an ftyp box with the given brands, then an empty meta box. */
function ftyp(majorBrand: string, compatibleBrands: string[] = []): Buffer {
	const box = Buffer.alloc(16 + 4 * compatibleBrands.length);
	box.writeUInt32BE(box.length, 0);
	box.write('ftyp', 4, 'latin1');
	box.write(majorBrand, 8, 'latin1');
	compatibleBrands.forEach((brand, i) => box.write(brand, 16 + 4 * i, 'latin1'));
	return Buffer.concat([box, Buffer.from([0, 0, 0, 8, 0x6d, 0x65, 0x74, 0x61])]);
}

describe('sniffImageFormat', () => {
	const tiny = sharp({ create: { width: 2, height: 2, channels: 4, background: '#3366cc80' } });

	it.each<[ImageFormat, () => Promise<Buffer>]>([
		['jpeg', () => tiny.clone().jpeg().toBuffer()],
		['png', () => tiny.clone().png().toBuffer()],
		['webp', () => tiny.clone().webp().toBuffer()],
		['tiff', () => tiny.clone().tiff().toBuffer()],
		['gif', () => tiny.clone().gif().toBuffer()],
		['avif', () => tiny.clone().avif().toBuffer()],
		['bmp', async () => encodeBmp24(Buffer.alloc(12), 2, 2)],
	])('recognises a real %s file', async (format, make) => {
		expect(sniffImageFormat(await make())).toBe(format);
	});

	it.each([
		['little-endian TIFF', [0x49, 0x49, 0x2a, 0x00]],
		['big-endian TIFF', [0x4d, 0x4d, 0x00, 0x2a]],
		['little-endian BigTIFF', [0x49, 0x49, 0x2b, 0x00]],
		['big-endian BigTIFF', [0x4d, 0x4d, 0x00, 0x2b]],
	])('recognises %s by its header', (_name, bytes) => {
		expect(sniffImageFormat(Buffer.from([...bytes, 0, 0, 0, 8]))).toBe('tiff');
	});

	it('recognises both GIF versions', () => {
		expect(sniffImageFormat(Buffer.from('GIF87a\x01\x00\x01\x00', 'latin1'))).toBe('gif');
		expect(sniffImageFormat(Buffer.from('GIF89a\x01\x00\x01\x00', 'latin1'))).toBe('gif');
	});

	it('needs the WEBP form type, not just a RIFF container', () => {
		expect(sniffImageFormat(Buffer.from('RIFF\x24\x00\x00\x00WAVEfmt ', 'latin1'))).toBeNull();
	});

	describe('ISO-BMFF (HEIF family)', () => {
		it.each(['avif', 'avis'])('major brand %s is AVIF', (brand) => {
			expect(sniffImageFormat(ftyp(brand, ['mif1', 'miaf']))).toBe('avif');
		});

		it.each(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis'])('major brand %s is HEIC', (brand) => {
			expect(sniffImageFormat(ftyp(brand, ['mif1']))).toBe('heic');
		});

		it('generic mif1/msf1 with an AVIF compatible brand is AVIF, wherever it is listed', () => {
			expect(sniffImageFormat(ftyp('mif1', ['mif1', 'miaf', 'MA1B', 'avif']))).toBe('avif');
			expect(sniffImageFormat(ftyp('msf1', ['msf1', 'avis']))).toBe('avif');
		});

		it('generic mif1/msf1 without an AVIF brand is HEIC', () => {
			expect(sniffImageFormat(ftyp('mif1', ['mif1', 'heic']))).toBe('heic');
			expect(sniffImageFormat(ftyp('msf1', ['msf1', 'hevc']))).toBe('heic');
			expect(sniffImageFormat(ftyp('mif1'))).toBe('heic');
		});

		it('ignores brands past the end of the ftyp box', () => {
			// The 'avif' after the box is another box's bytes, not a compatible brand.
			const file = Buffer.concat([ftyp('mif1', ['heic']).subarray(0, 20), Buffer.from('avif')]);
			expect(sniffImageFormat(file)).toBe('heic');
		});

		it('does not take a video for an image', () => {
			expect(sniffImageFormat(ftyp('isom', ['isom', 'iso2', 'avc1', 'mp41']))).toBeNull();
			expect(sniffImageFormat(ftyp('qt  '))).toBeNull();
		});
	});

	it('requires a known DIB header size after "BM", so text starting with BM is not a bitmap', () => {
		expect(sniffImageFormat(Buffer.from('BMW and Mercedes are both German car makers'))).toBeNull();
	});

	it.each([
		['empty', Buffer.alloc(0)],
		['one byte', Buffer.from([0xff])],
		['a lone JPEG SOI marker', Buffer.from([0xff, 0xd8])],
		['half a PNG signature', Buffer.from([0x89, 0x50, 0x4e, 0x47])],
		['just "BM"', Buffer.from('BM')],
		['a bare ftyp tag', Buffer.from('\x00\x00\x00\x0cftyp', 'latin1')],
	])('returns null without throwing for %s', (_name, buf) => {
		expect(sniffImageFormat(buf)).toBeNull();
	});

	it('never looks at anything but the bytes: a PNG signature is PNG whatever follows', () => {
		const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
		expect(sniffImageFormat(Buffer.concat([png, Buffer.from('<svg>')]))).toBe('png');
	});
});

describe('sniffRefusedFormat', () => {
	it('recognises PDF, also after leading junk within the first kilobyte', () => {
		expect(sniffRefusedFormat(Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj', 'latin1'))).toBe('pdf');
		expect(sniffRefusedFormat(Buffer.concat([Buffer.alloc(500, 0x20), Buffer.from('%PDF-1.4')]))).toBe('pdf');
		expect(sniffRefusedFormat(Buffer.concat([Buffer.alloc(2000, 0x20), Buffer.from('%PDF-1.4')]))).toBeNull();
	});

	it.each([
		['a bare <svg> root', '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'],
		['an XML prolog first', '<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg"></svg>'],
		[
			'a BOM, whitespace, comment and DOCTYPE first',
			'\uFEFF  \n<!-- Generator: Illustrator -->\n<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "x">\n<svg>\n</svg>',
		],
		['upper-case tags', '<SVG WIDTH="1"></SVG>'],
	])('recognises SVG with %s', (_name, text) => {
		expect(sniffRefusedFormat(Buffer.from(text))).toBe('svg');
	});

	it('does not call other XML or HTML with an inline <svg> an SVG file', () => {
		expect(sniffRefusedFormat(Buffer.from('<?xml version="1.0"?><feed><entry/></feed>'))).toBeNull();
		expect(sniffRefusedFormat(Buffer.from('<!doctype html><html><body><svg></svg></body></html>'))).toBeNull();
		expect(sniffRefusedFormat(Buffer.from('<?xml version="1.0"?><svgfont/>'))).toBeNull();
	});

	it('returns null for images and plain text', () => {
		expect(sniffRefusedFormat(Buffer.from([0xff, 0xd8, 0xff, 0xe0]))).toBeNull();
		expect(sniffRefusedFormat(Buffer.from('hello'))).toBeNull();
	});
});

describe('describeUnrecognisedContent', () => {
	it('quotes the start of plain text, collapsed and cut', () => {
		const text = 'Hello   world,\nthis is a long note that goes on well past forty characters';
		expect(describeUnrecognisedContent(Buffer.from(text))).toBe(
			'looks like text: "Hello world, this is a long note that go…"',
		);
	});

	it('names HTML pages and JSON, the usual bodies of a failed HTTP request', () => {
		expect(describeUnrecognisedContent(Buffer.from('\n<!DOCTYPE html><html><head>'))).toBe('looks like an HTML page');
		expect(describeUnrecognisedContent(Buffer.from('{"error":"not found"}'))).toBe('looks like JSON');
	});

	it('shows the first bytes of binary data in hex', () => {
		expect(describeUnrecognisedContent(Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x00, 0x00, 0x08]))).toBe(
			'is binary data starting with 50 4b 03 04 14 00 00 00 …',
		);
		expect(describeUnrecognisedContent(Buffer.from([0x00, 0x01]))).toBe('is binary data starting with 00 01');
	});

	it('treats invalid UTF-8 and control characters as binary', () => {
		expect(describeUnrecognisedContent(Buffer.from([0x61, 0xc3, 0x28]))).toMatch(/^is binary data/);
		expect(describeUnrecognisedContent(Buffer.from('abc\u0001def'))).toMatch(/^is binary data/);
	});

	it('keeps text whose window ends inside a multi-byte character', () => {
		const text = Buffer.from(`${'a'.repeat(4095)}é and more`);
		expect(describeUnrecognisedContent(text)).toMatch(/^looks like text: "a+…"$/);
	});

	it('names the brand of an ISO media file that is not an image', () => {
		expect(describeUnrecognisedContent(ftyp('isom', ['mp41']))).toBe(
			"is an ISO media file of brand 'isom' (an MP4 video, for example), not a supported image",
		);
	});
});
