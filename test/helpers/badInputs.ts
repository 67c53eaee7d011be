import sharp from 'sharp';

import { encodeBmp24, encodeBmp32, bmpHeaderOnly } from './bmp';
import { HEIC_ALPHA, HEIC_OPAQUE } from './heic';
import { pngWithHeader } from './pngHeader';
import { makeScene } from './scene';

/**
 * The nasty inputs a public webhook or a 3 a.m. batch will see, generated here. Each case says what the
 * node must do: produce an image of a given size, or fail that item with a given error code.
 */
export interface BadInputCase {
	name: string;
	/** undefined: the item has no binary field at all. */
	bytes?: Buffer;
	mimeType: string;
	expect: { ok: { width: number; height: number; transparent?: boolean } } | { errorCode: string } | { errorMatches: RegExp };
}

const ok = (width: number, height: number, transparent?: boolean) => ({ ok: { width, height, transparent } });
const fails = (errorCode: string) => ({ errorCode });

function rgbScene(width: number, height: number) {
	const scene = makeScene(width, height);
	return sharp(scene.rgb, { raw: { width, height, channels: 3 } });
}

function rgba(width: number, height: number, pixel: (x: number, y: number) => [number, number, number, number]): Buffer {
	const data = Buffer.alloc(width * height * 4);
	for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set(pixel(x, y), (y * width + x) * 4);
	return data;
}

async function animated(format: 'gif' | 'webp'): Promise<Buffer> {
	// Two 64×48 frames stacked vertically; pageHeight makes sharp write them as an animation.
	const frames = Buffer.concat([rgba(64, 48, () => [220, 40, 40, 255]), rgba(64, 48, () => [40, 40, 220, 255])]);
	const image = sharp(frames, { raw: { width: 64, height: 96, channels: 4, pageHeight: 48 } });
	return format === 'gif' ? image.gif({ loop: 0, delay: [100, 100] }).toBuffer() : image.webp({ loop: 0, delay: [100, 100] }).toBuffer();
}

export async function badInputCorpus(): Promise<BadInputCase[]> {
	const jpeg = await rgbScene(320, 240).jpeg().toBuffer();
	const png = await rgbScene(320, 240).png().toBuffer();
	const webp = await rgbScene(320, 240).webp().toBuffer();
	const tiff = await rgbScene(320, 240).tiff().toBuffer();
	const gif = await rgbScene(320, 240).gif().toBuffer();
	const sceneRgb = makeScene(120, 90).rgb;
	const halfTransparent = rgba(80, 60, (x) => [200, 60, 60, x < 40 ? 255 : 0]);
	const svgBomb = Buffer.from(
		'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" ' +
			'viewBox="0 0 1000000 1000000" width="1000000" height="1000000"><image xlink:href="http://203.0.113.1/x.png" ' +
			'width="1000000" height="1000000"/></svg>',
	);
	return [
		{ name: 'zero bytes', bytes: Buffer.alloc(0), mimeType: 'image/png', expect: fails('empty_input') },
		{ name: 'truncated JPEG', bytes: jpeg.subarray(0, Math.floor(jpeg.length / 2)), mimeType: 'image/jpeg', expect: fails('corrupt_image') },
		{ name: 'truncated PNG', bytes: png.subarray(0, Math.floor(png.length / 2)), mimeType: 'image/png', expect: fails('corrupt_image') },
		{ name: 'JPEG header only', bytes: jpeg.subarray(0, 20), mimeType: 'image/jpeg', expect: fails('corrupt_image') },
		{ name: 'truncated WebP', bytes: webp.subarray(0, Math.floor(webp.length / 2)), mimeType: 'image/webp', expect: fails('corrupt_image') },
		{ name: 'truncated TIFF', bytes: tiff.subarray(0, 200), mimeType: 'image/tiff', expect: fails('corrupt_image') },
		{ name: 'truncated GIF', bytes: gif.subarray(0, 40), mimeType: 'image/gif', expect: fails('corrupt_image') },
		{ name: 'truncated HEIC', bytes: HEIC_OPAQUE.subarray(0, 300), mimeType: 'image/heic', expect: fails('corrupt_image') },
		{ name: 'text labelled as PNG', bytes: Buffer.from('hello, this is a note'), mimeType: 'image/png', expect: fails('unsupported_format') },
		{ name: 'PDF labelled as JPEG', bytes: Buffer.from('%PDF-1.7\n1 0 obj\n<<>>\nendobj\n'), mimeType: 'image/jpeg', expect: fails('unsupported_format') },
		{ name: 'HTML error page', bytes: Buffer.from('<!DOCTYPE html><html><body>502 Bad Gateway</body></html>'), mimeType: 'image/png', expect: fails('unsupported_format') },
		{ name: 'JSON in an image field', bytes: Buffer.from('{"url":"https://example.com/a.png"}'), mimeType: 'application/json', expect: fails('unsupported_format') },
		{ name: 'ZIP archive', bytes: Buffer.from([0x50, 0x4b, 0x03, 0x04, ...Buffer.alloc(60)]), mimeType: 'image/png', expect: fails('unsupported_format') },
		{ name: 'random bytes', bytes: Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 131 + 7) % 251)), mimeType: 'image/jpeg', expect: fails('unsupported_format') },
		{ name: 'SVG with external reference and huge viewBox', bytes: svgBomb, mimeType: 'image/svg+xml', expect: fails('unsupported_format') },
		{ name: '30000×30000 PNG (decompression bomb)', bytes: pngWithHeader(30_000, 30_000), mimeType: 'image/png', expect: fails('too_many_pixels') },
		{ name: '20000×20000 BMP header', bytes: bmpHeaderOnly(20_000, 20_000, 24), mimeType: 'image/bmp', expect: fails('too_many_pixels') },
		{ name: '16-bit-per-pixel BMP', bytes: bmpHeaderOnly(8, 8, 16), mimeType: 'image/bmp', expect: fails('unsupported_format') },
		{ name: 'PNG bytes with a JPEG MIME type', bytes: png, mimeType: 'image/jpeg', expect: ok(320, 240) },
		{ name: 'JPEG', bytes: jpeg, mimeType: 'image/jpeg', expect: ok(320, 240) },
		{ name: 'WebP', bytes: webp, mimeType: 'image/webp', expect: ok(320, 240) },
		{ name: 'TIFF', bytes: tiff, mimeType: 'image/tiff', expect: ok(320, 240) },
		{ name: 'GIF', bytes: gif, mimeType: 'image/gif', expect: ok(320, 240) },
		{ name: 'AVIF', bytes: await rgbScene(160, 120).avif({ effort: 0 }).toBuffer(), mimeType: 'image/avif', expect: ok(160, 120) },
		{ name: '1×1 PNG', bytes: await sharp(Buffer.from([10, 200, 30]), { raw: { width: 1, height: 1, channels: 3 } }).png().toBuffer(), mimeType: 'image/png', expect: ok(1, 1) },
		{ name: '10000×10 PNG', bytes: await rgbScene(10_000, 10).png().toBuffer(), mimeType: 'image/png', expect: ok(10_000, 10) },
		{ name: '10×10000 PNG', bytes: await rgbScene(10, 10_000).png().toBuffer(), mimeType: 'image/png', expect: ok(10, 10_000) },
		{ name: '16-bit PNG', bytes: await rgbScene(160, 120).toColourspace('rgb16').png().toBuffer(), mimeType: 'image/png', expect: ok(160, 120) },
		{ name: 'CMYK JPEG', bytes: await rgbScene(160, 120).toColourspace('cmyk').jpeg().toBuffer(), mimeType: 'image/jpeg', expect: ok(160, 120) },
		{ name: 'greyscale JPEG', bytes: await rgbScene(160, 120).toColourspace('b-w').jpeg().toBuffer(), mimeType: 'image/jpeg', expect: ok(160, 120) },
		{
			name: 'greyscale PNG with alpha',
			bytes: await sharp(rgba(80, 60, (x) => [120, 120, 120, x < 40 ? 255 : 128]), { raw: { width: 80, height: 60, channels: 4 } })
				.toColourspace('b-w')
				.png()
				.toBuffer(),
			mimeType: 'image/png',
			expect: ok(80, 60, true),
		},
		{
			name: 'palette PNG with transparency',
			bytes: await sharp(halfTransparent, { raw: { width: 80, height: 60, channels: 4 } }).png({ palette: true }).toBuffer(),
			mimeType: 'image/png',
			expect: ok(80, 60, true),
		},
		{ name: 'animated GIF (first frame)', bytes: await animated('gif'), mimeType: 'image/gif', expect: ok(64, 48) },
		{ name: 'animated WebP (first frame)', bytes: await animated('webp'), mimeType: 'image/webp', expect: ok(64, 48) },
		{
			name: 'EXIF-rotated JPEG (orientation 6)',
			bytes: await rgbScene(160, 120).jpeg().withMetadata({ orientation: 6 }).toBuffer(),
			mimeType: 'image/jpeg',
			expect: ok(120, 160),
		},
		{ name: 'HEIC', bytes: HEIC_OPAQUE, mimeType: 'image/heic', expect: ok(32, 16) },
		{ name: 'HEIC with alpha', bytes: HEIC_ALPHA, mimeType: 'image/heic', expect: ok(32, 16, true) },
		{ name: '24-bit BMP', bytes: encodeBmp24(sceneRgb, 120, 90), mimeType: 'image/bmp', expect: ok(120, 90) },
		{ name: '32-bit BMP with alpha', bytes: encodeBmp32(halfTransparent, 80, 60), mimeType: 'image/bmp', expect: ok(80, 60, true) },
		{
			name: 'fully transparent PNG',
			bytes: await sharp(rgba(64, 64, () => [0, 0, 0, 0]), { raw: { width: 64, height: 64, channels: 4 } }).png().toBuffer(),
			mimeType: 'image/png',
			expect: ok(64, 64, true),
		},
		{ name: 'missing binary field', mimeType: 'image/png', expect: { errorMatches: /no binary field 'data'/ } },
	];
}
