/**
 * Minimal BMP writers, laid out byte by byte from the format's spec, so decode tests do not depend on an
 * encoder that shares assumptions with the decoder under test. Pixels are passed top row first.
 */

export interface BmpLayout {
	/** Store rows top-down (negative height) instead of the usual bottom-up. */
	topDown?: boolean;
}

export interface Bmp32Layout extends BmpLayout {
	/**
	 * 'info': 40-byte BITMAPINFOHEADER, BI_RGB. 'info-bitfields': same header, BI_BITFIELDS with the three
	 * colour masks after it, which moves the pixel data 12 bytes further. 'v4': 108-byte BITMAPV4HEADER with
	 * masks (alpha included) inside the header.
	 */
	header?: 'info' | 'info-bitfields' | 'v4';
}

const FILE_HEADER_BYTES = 14;
const INFO_HEADER_BYTES = 40;
const V4_HEADER_BYTES = 108;
const BI_RGB = 0;
const BI_BITFIELDS = 3;

export function encodeBmp24(rgb: Buffer, width: number, height: number, layout: BmpLayout = {}): Buffer {
	const pixels = packRows(width, height, 24, layout, (x, y, row, at) => {
		const i = (y * width + x) * 3;
		row[at] = rgb[i + 2];
		row[at + 1] = rgb[i + 1];
		row[at + 2] = rgb[i];
	});
	return assemble(infoHeader(width, height, 24, BI_RGB, 0, layout), Buffer.alloc(0), pixels);
}

export function encodeBmp32(rgba: Buffer, width: number, height: number, layout: Bmp32Layout = {}): Buffer {
	const pixels = packRows(width, height, 32, layout, (x, y, row, at) => {
		const i = (y * width + x) * 4;
		row[at] = rgba[i + 2];
		row[at + 1] = rgba[i + 1];
		row[at + 2] = rgba[i];
		row[at + 3] = rgba[i + 3];
	});
	const masks = Buffer.alloc(16);
	masks.writeUInt32LE(0x00ff0000, 0);
	masks.writeUInt32LE(0x0000ff00, 4);
	masks.writeUInt32LE(0x000000ff, 8);
	masks.writeUInt32LE(0xff000000, 12);
	switch (layout.header ?? 'info') {
		case 'info':
			return assemble(infoHeader(width, height, 32, BI_RGB, 0, layout), Buffer.alloc(0), pixels);
		case 'info-bitfields':
			return assemble(infoHeader(width, height, 32, BI_BITFIELDS, 0, layout), masks.subarray(0, 12), pixels);
		case 'v4': {
			const header = Buffer.alloc(V4_HEADER_BYTES);
			infoHeader(width, height, 32, BI_BITFIELDS, 0, layout).copy(header);
			header.writeUInt32LE(V4_HEADER_BYTES, 0);
			masks.copy(header, INFO_HEADER_BYTES);
			header.write('BGRs', 56, 'latin1'); // LCS_sRGB, stored little-endian
			return assemble(header, Buffer.alloc(0), pixels);
		}
	}
}

/** 8-bit palette image: `indices` is one byte per pixel into `palette` ([r, g, b] entries). */
export function encodeBmp8(
	indices: Buffer,
	palette: Array<[number, number, number]>,
	width: number,
	height: number,
): Buffer {
	const pixels = packRows(width, height, 8, {}, (x, y, row, at) => {
		row[at] = indices[y * width + x];
	});
	const table = Buffer.alloc(palette.length * 4);
	palette.forEach(([r, g, b], i) => table.set([b, g, r, 0], i * 4));
	return assemble(infoHeader(width, height, 8, BI_RGB, palette.length, {}), table, pixels);
}

/** A header that claims a size (negative height: top-down), with no pixel data behind it. */
export function bmpHeaderOnly(width: number, height: number, bitsPerPixel: number, compression = BI_RGB): Buffer {
	const header = infoHeader(width, Math.abs(height), bitsPerPixel, compression, 0, { topDown: height < 0 });
	header.writeUInt32LE(0, 20); // image size may be 0 when uncompressed, and would overflow for huge claims
	return assemble(header, Buffer.alloc(0), Buffer.alloc(0));
}

function infoHeader(
	width: number,
	height: number,
	bitsPerPixel: number,
	compression: number,
	coloursUsed: number,
	layout: BmpLayout,
): Buffer {
	const header = Buffer.alloc(INFO_HEADER_BYTES);
	header.writeUInt32LE(INFO_HEADER_BYTES, 0);
	header.writeInt32LE(width, 4);
	header.writeInt32LE(layout.topDown ? -height : height, 8);
	header.writeUInt16LE(1, 12); // planes
	header.writeUInt16LE(bitsPerPixel, 14);
	header.writeUInt32LE(compression, 16);
	header.writeUInt32LE(rowStride(width, bitsPerPixel) * height, 20);
	header.writeInt32LE(2835, 24); // 72 dpi in pixels per metre
	header.writeInt32LE(2835, 28);
	header.writeUInt32LE(coloursUsed, 32);
	return header;
}

function rowStride(width: number, bitsPerPixel: number): number {
	return Math.ceil((width * bitsPerPixel) / 32) * 4;
}

function packRows(
	width: number,
	height: number,
	bitsPerPixel: number,
	layout: BmpLayout,
	writePixel: (x: number, y: number, row: Buffer, at: number) => void,
): Buffer {
	const stride = rowStride(width, bitsPerPixel);
	const out = Buffer.alloc(stride * height);
	for (let y = 0; y < height; y++) {
		const storedRow = layout.topDown ? y : height - 1 - y;
		const row = out.subarray(storedRow * stride, (storedRow + 1) * stride);
		for (let x = 0; x < width; x++) writePixel(x, y, row, (x * bitsPerPixel) / 8);
	}
	return out;
}

function assemble(dibHeader: Buffer, afterHeader: Buffer, pixels: Buffer): Buffer {
	const pixelOffset = FILE_HEADER_BYTES + dibHeader.length + afterHeader.length;
	const fileHeader = Buffer.alloc(FILE_HEADER_BYTES);
	fileHeader.write('BM', 0, 'latin1');
	fileHeader.writeUInt32LE(pixelOffset + pixels.length, 2);
	fileHeader.writeUInt32LE(pixelOffset, 10);
	return Buffer.concat([fileHeader, dibHeader, afterHeader, pixels]);
}
