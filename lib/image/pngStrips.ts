import { promisify } from 'node:util';
import { constants, crc32, deflateRaw, inflate } from 'node:zlib';
import sharp from 'sharp';

/**
 * A PNG encoder for 8-bit RGB that compresses horizontal strips of rows separately and joins them into
 * the one zlib stream PNG wants (each strip's deflate data ends on a sync flush, as pigz joins its
 * blocks). A strip can start as soon as its rows are final: Inpaint compresses the rows no hole touches
 * while the fill runs, and the rest in parallel strips once it is done. Nothing heavy runs on the main
 * thread: libspng (through sharp, uncompressed) applies its own adaptive row filters, as sharp's encoder
 * would, and zlib compresses on libuv's thread pool.
 */

export interface PngStripOptions {
	/** zlib level, 0–9. */
	level: number;
	/** Adaptive row filters; without, every row is stored unfiltered (filter type None). */
	filters: boolean;
}

interface Strip {
	y0: number;
	/** Deflated scanlines, with their byte count and Adler-32 for the stream's checksum. */
	done: Promise<{ deflated: Buffer; length: number; adler: number }>;
}

const deflateRawAsync = promisify(deflateRaw);
const inflateAsync = promisify(inflate);
const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** A final, empty deflate block (fixed Huffman): closes the stream after the last sync-flushed strip. */
const FINAL_EMPTY_BLOCK = Buffer.from([0x03, 0x00]);
const ADLER_BASE = 65521;
/** A strip is at most this fraction of the image's rows, so that strips compress on several threads at once. */
const STRIPS = 4;

export class PngStripEncoder {
	private readonly strips: Strip[] = [];
	/** 1 where a row has been handed to a strip. */
	private readonly taken: Uint8Array;

	constructor(
		private readonly width: number,
		private readonly height: number,
		private readonly options: PngStripOptions,
	) {
		this.taken = new Uint8Array(height);
	}

	/**
	 * Rows [y0, y1) of `rgb` and the row above them are final (a row's filter reads the one above): they
	 * are filtered and compressed in the background. `rgb` must not change while that runs.
	 */
	add(rgb: Uint8Array, y0: number, y1: number): void {
		if (rgb.length !== this.width * this.height * 3) {
			throw new Error(`PngStripEncoder: ${rgb.length} bytes of RGB, expected ${this.width}×${this.height}×3`);
		}
		if (y0 < 0 || y1 > this.height || y0 >= y1) return;
		for (let y = y0; y < y1; y++) {
			if (this.taken[y]) throw new Error(`PngStripEncoder: row ${y} was already added`);
			this.taken[y] = 1;
		}
		const pieces = Math.ceil((y1 - y0) / Math.ceil(this.height / STRIPS));
		for (let k = 0; k < pieces; k++) {
			const from = y0 + Math.round(((y1 - y0) * k) / pieces);
			const done = this.compress(rgb, from, y0 + Math.round(((y1 - y0) * (k + 1)) / pieces));
			// Awaited in finish(); until then a failure must not count as unhandled.
			done.catch(() => undefined);
			this.strips.push({ y0: from, done });
		}
	}

	/** Adds every row not added yet (from the final `rgb`) and returns the PNG file. */
	async finish(rgb: Uint8Array): Promise<Buffer> {
		for (const [y0, y1] of this.missingRuns()) this.add(rgb, y0, y1);
		const strips = await Promise.all([...this.strips].sort((a, b) => a.y0 - b.y0).map((strip) => strip.done));
		let adler = 1;
		for (const strip of strips) adler = adler32Combine(adler, strip.adler, strip.length);
		const trailer = Buffer.alloc(6);
		FINAL_EMPTY_BLOCK.copy(trailer);
		trailer.writeUInt32BE(adler >>> 0, 2);
		const header = Buffer.alloc(13);
		header.writeUInt32BE(this.width, 0);
		header.writeUInt32BE(this.height, 4);
		header.set([8, 2, 0, 0, 0], 8); // 8 bits, truecolour, deflate, adaptive filtering, no interlace
		return Buffer.concat([
			SIGNATURE,
			chunk('IHDR', header),
			chunk('IDAT', Buffer.concat([zlibHeader(this.options.level), strips[0].deflated])),
			...strips.slice(1).map((strip) => chunk('IDAT', strip.deflated)),
			chunk('IDAT', trailer),
			chunk('IEND', Buffer.alloc(0)),
		]);
	}

	private async compress(rgb: Uint8Array, y0: number, y1: number): Promise<{ deflated: Buffer; length: number; adler: number }> {
		const stride = this.width * 3;
		// The row above goes along as context, so the first row gets the filter it has in the whole image.
		const from = Math.max(0, y0 - 1);
		const png = await sharp(rgb.subarray(from * stride, y1 * stride), { raw: { width: this.width, height: y1 - from, channels: 3 } })
			.png({ compressionLevel: 0, adaptiveFiltering: this.options.filters })
			.toBuffer();
		const stream = idatData(png);
		const all = await inflateAsync(stream, { chunkSize: (y1 - from) * (stride + 1) });
		const context = all.subarray(0, (y0 - from) * (stride + 1));
		const scanlines = all.subarray(context.length);
		const deflated = await deflateRawAsync(scanlines, {
			level: this.options.level,
			finishFlush: constants.Z_SYNC_FLUSH,
			chunkSize: scanlines.length + 1024,
		});
		// The stream's own checksum (checked by inflate) covers the context row too: take that row out,
		// rather than summing the strip again on the main thread.
		const adler = adler32Uncombine(stream.readUInt32BE(stream.length - 4), adler32(context), scanlines.length);
		return { deflated, length: scanlines.length, adler };
	}

	private missingRuns(): Array<[number, number]> {
		const runs: Array<[number, number]> = [];
		for (let y = 0; y < this.height; y++) {
			if (this.taken[y]) continue;
			const start = y;
			while (y < this.height && !this.taken[y]) y++;
			runs.push([start, y]);
		}
		return runs;
	}
}

/** The zlib stream of a PNG file: its IDAT chunks' data, joined. */
function idatData(png: Buffer): Buffer {
	const parts: Buffer[] = [];
	for (let at = SIGNATURE.length; at + 8 <= png.length; ) {
		const length = png.readUInt32BE(at);
		if (png.toString('latin1', at + 4, at + 8) === 'IDAT') parts.push(png.subarray(at + 8, at + 8 + length));
		at += 12 + length;
	}
	return parts.length === 1 ? parts[0] : Buffer.concat(parts);
}

function adler32(data: Uint8Array): number {
	let a = 1;
	let b = 0;
	// 5552 bytes is the most that can be summed before b overflows 32 bits (zlib's NMAX).
	for (let start = 0; start < data.length; start += 5552) {
		const end = Math.min(data.length, start + 5552);
		for (let i = start; i < end; i++) {
			a += data[i];
			b += a;
		}
		a %= ADLER_BASE;
		b %= ADLER_BASE;
	}
	return ((b << 16) | a) >>> 0;
}

/** Adler-32 of two runs joined, from each run's checksum and the second's length (zlib's adler32_combine). */
function adler32Combine(first: number, second: number, secondLength: number): number {
	const rem = secondLength % ADLER_BASE;
	let sum1 = first & 0xffff;
	let sum2 = (rem * sum1) % ADLER_BASE;
	sum1 += (second & 0xffff) + ADLER_BASE - 1;
	sum2 += (first >>> 16) + (second >>> 16) + ADLER_BASE - rem;
	if (sum1 >= ADLER_BASE) sum1 -= ADLER_BASE;
	if (sum1 >= ADLER_BASE) sum1 -= ADLER_BASE;
	if (sum2 >= 2 * ADLER_BASE) sum2 -= 2 * ADLER_BASE;
	if (sum2 >= ADLER_BASE) sum2 -= ADLER_BASE;
	return ((sum2 << 16) | sum1) >>> 0;
}

/**
 * Adler-32 of the second of two joined runs, from the whole's checksum, the first's, and the second's
 * length: adler32Combine solved for its second argument.
 */
function adler32Uncombine(whole: number, first: number, secondLength: number): number {
	const rem = secondLength % ADLER_BASE;
	const mod = (value: number) => ((value % ADLER_BASE) + ADLER_BASE) % ADLER_BASE;
	const sum1 = mod((whole & 0xffff) - (first & 0xffff) + 1);
	const sum2 = mod((whole >>> 16) - (first >>> 16) - rem * (first & 0xffff) + rem);
	return ((sum2 << 16) | sum1) >>> 0;
}

/** CMF/FLG: deflate with a 32 KiB window, the level class zlib would write, and the check bits. */
function zlibHeader(level: number): Buffer {
	const levelClass = level < 2 ? 0 : level < 6 ? 1 : level === 6 ? 2 : 3;
	let flags = levelClass << 6;
	flags += (31 - ((0x78 * 256 + flags) % 31)) % 31;
	return Buffer.from([0x78, flags]);
}

function chunk(type: string, data: Buffer): Buffer {
	const out = Buffer.allocUnsafe(12 + data.length);
	out.writeUInt32BE(data.length, 0);
	out.write(type, 4, 'latin1');
	data.copy(out, 8);
	out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
	return out;
}
