import { constants, crc32, createDeflate } from 'node:zlib';

import { firstNonZero, lastNonZero } from '../matte/stats';
import { recyclePixels, takePixels } from './pixelPool';
import { type PngChannels, RowFilter } from './pngFilter';

/**
 * A PNG encoder that filters horizontal strips of rows on the main thread (lib/image/pngFilter.ts) and
 * compresses each on libuv's thread pool as soon as it is filtered, joining them into the one zlib stream
 * PNG wants (each strip's deflate data ends on a sync flush, as pigz joins its blocks). Strips compress in
 * parallel with each other and with the filtering of the next, where one libspng encode (sharp) runs on a
 * single thread. A strip can also start as soon as its rows are final: Inpaint compresses the rows no hole
 * touches while the fill runs.
 */

export interface PngStripOptions {
	/** zlib level, 0–9. */
	level: number;
	/** Row filters (Sub or Up per row); without, every row is stored unfiltered (filter type None). */
	filters: boolean;
	/**
	 * Deflate sparse strips as runs only (zlib's Z_RLE): greyscale ones (mattes) always, colour ones when
	 * under a tenth of their filtered words are non-zero (a cutout's transparent surroundings, flat colour).
	 */
	runLengths?: boolean;
}

/**
 * Where rows come from: RGB, RGB with a separate alpha plane (written as RGBA, fully transparent pixels as
 * black, 0 0 0 0, whatever their colour: they compress to nothing), or greyscale.
 */
export type PngPixels = { rgb: Uint8Array; alpha?: Uint8Array } | { grey: Uint8Array };

/** A strip's scanlines deflated: the zlib header, the deflate data up to a sync flush, and their Adler-32. */
interface DeflatedStrip {
	header: Buffer;
	deflated: Buffer;
	length: number;
	adler: number;
}

interface Strip {
	y0: number;
	done: Promise<DeflatedStrip>;
	settled: boolean;
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** A final, empty deflate block (fixed Huffman): closes the stream after the last sync-flushed strip. */
const FINAL_EMPTY_BLOCK = Buffer.from([0x03, 0x00]);
const ADLER_BASE = 65521;
/**
 * zlib's output buffer per strip: small, since every one is counted as external memory by V8 (whose
 * collections it brings forward) whether or not the compressed strip fills it.
 */
const OUTPUT_CHUNK_BYTES = 256 << 10;
/** The empty stored block a sync flush ends on. */
const SYNC_FLUSH_MARKER = 0x0000ffff;
/** Rows a strip has at most: a fraction of the image, so that strips compress on several threads at once, */
const STRIPS = 8;
/** and no more than this many bytes of scanlines, which are all a strip keeps in memory while it compresses. */
const STRIP_BYTES = 4 << 20;
/** Strips compressing at once while finish() filters: enough to keep both cores of a small machine busy. */
const MAX_PENDING = 3;
/**
 * Below this share of non-zero filtered words a colour strip is deflated as runs. Measured with zlib level 4
 * on the cutouts of 17 photos (../shared/eval/photos) and of the bench's 12 MP scene: at 0.1 the photos'
 * files were the same size (5.034 vs 5.035 MB) and deflating took 5 % less time; the scene's cutout
 * (11 % subject) deflated in 21 vs 85 ms, 2 % smaller. At 0.25 the photos grew 0.8 % for 15 % less time.
 * Greyscale mattes were smaller as runs throughout (photos 0.403 vs 0.434 MB) in 11 vs 26 ms.
 */
const RUN_LENGTH_BELOW: Readonly<Record<PngChannels, number>> = { 1: Infinity, 3: 0.1, 4: 0.1 };
/** PNG colour types (PNG specification, 11.2.2). */
const COLOR_TYPES: Readonly<Record<PngChannels, number>> = { 1: 0, 3: 2, 4: 6 };

export class PngStripEncoder {
	private readonly strips: Strip[] = [];
	/** 1 where a row has been handed to a strip. */
	private readonly taken: Uint8Array;
	private readonly channels: PngChannels;
	/** Rows a strip has at most. */
	private readonly stripRows: number;
	/**
	 * Buffers of strips that are done compressing, filled again by the next: freed strips would stay in
	 * memory until the garbage collector runs, 4 bytes a pixel at the end of a 24 MP RGBA encode.
	 */
	private readonly spare: Buffer[] = [];

	constructor(
		private readonly width: number,
		private readonly height: number,
		private readonly options: PngStripOptions,
		layout: 'rgb' | 'rgba' | 'grey' = 'rgb',
	) {
		this.taken = new Uint8Array(height);
		this.channels = layout === 'grey' ? 1 : layout === 'rgb' ? 3 : 4;
		this.stripRows = Math.max(1, Math.min(Math.ceil(height / STRIPS), Math.floor(STRIP_BYTES / (width * this.channels + 1))));
	}

	/**
	 * Rows [y0, y1) of `pixels` and the row above them are final (a row's filter reads the one above): they
	 * are filtered now and compressed in the background. The rows must not change while that runs.
	 */
	add(pixels: PngPixels, y0: number, y1: number): void {
		const filter = this.filterFor(pixels);
		for (const [from, to] of this.take(y0, y1)) this.start(filter, from, to);
	}

	/**
	 * Adds every row not added yet (from the final `pixels`) and returns the PNG file. Filtering waits while
	 * MAX_PENDING strips are still compressing, so that filtered rows do not pile up in memory (a 24 MP RGBA
	 * image is 96 MB of them).
	 */
	async finish(pixels: PngPixels): Promise<Buffer> {
		const filter = this.filterFor(pixels);
		for (const [y0, y1] of this.missingRuns()) {
			for (const [from, to] of this.take(y0, y1)) {
				const pending = this.strips.filter((strip) => !strip.settled);
				if (pending.length >= MAX_PENDING) await Promise.race(pending.map((strip) => strip.done));
				this.start(filter, from, to);
			}
		}
		const strips = await Promise.all([...this.strips].sort((a, b) => a.y0 - b.y0).map((strip) => strip.done));
		// Every strip is compressed: its scanline buffer goes back for the next image.
		for (const buffer of this.spare.splice(0)) recyclePixels(buffer);
		let adler = 1;
		for (const strip of strips) adler = adler32Combine(adler, strip.adler, strip.length);
		const trailer = Buffer.alloc(6);
		FINAL_EMPTY_BLOCK.copy(trailer);
		trailer.writeUInt32BE(adler >>> 0, 2);
		const header = Buffer.alloc(13);
		header.writeUInt32BE(this.width, 0);
		header.writeUInt32BE(this.height, 4);
		header.set([8, COLOR_TYPES[this.channels], 0, 0, 0], 8); // 8 bits, colour type, deflate, adaptive filtering, no interlace
		return Buffer.concat([
			SIGNATURE,
			chunk('IHDR', header),
			chunk('IDAT', Buffer.concat([strips[0].header, strips[0].deflated])),
			...strips.slice(1).map((strip) => chunk('IDAT', strip.deflated)),
			chunk('IDAT', trailer),
			chunk('IEND', Buffer.alloc(0)),
		]);
	}

	/** Marks rows [y0, y1) as added and splits them into strips. */
	private take(y0: number, y1: number): Array<[number, number]> {
		if (y0 < 0 || y1 > this.height || y0 >= y1) return [];
		for (let y = y0; y < y1; y++) {
			if (this.taken[y]) throw new Error(`PngStripEncoder: row ${y} was already added`);
			this.taken[y] = 1;
		}
		const pieces = Math.ceil((y1 - y0) / this.stripRows);
		return Array.from({ length: pieces }, (_, k) => [y0 + Math.round(((y1 - y0) * k) / pieces), y0 + Math.round(((y1 - y0) * (k + 1)) / pieces)]);
	}

	/** Filters rows [from, to) now and deflates them on the thread pool. */
	private start(filter: RowFilter, from: number, to: number): void {
		const buffer = this.spare.pop() ?? takePixels(this.stripRows * (this.width * this.channels + 1));
		const { scanlines, nonZeroWords } = filter.rows(from, to, buffer);
		const sparse = this.options.runLengths === true && nonZeroWords < RUN_LENGTH_BELOW[this.channels] * (scanlines.length / 4);
		const strip: Strip = { y0: from, settled: false, done: deflateStrip(scanlines, this.options.level, sparse ? constants.Z_RLE : constants.Z_DEFAULT_STRATEGY) };
		const settle = () => {
			strip.settled = true;
			this.spare.push(buffer);
		};
		// Awaited in finish(); until then a failure must not count as unhandled.
		strip.done.then(settle, settle);
		this.strips.push(strip);
	}

	private filterFor(pixels: PngPixels): RowFilter {
		return new RowFilter(this.width, this.channels, this.options.filters, this.rowReader(pixels));
	}

	/** Fills a row's words from the pixels, checked against the layout the encoder was made for. */
	private rowReader(pixels: PngPixels): (y: number, words: Uint32Array) => void {
		const { width, height, channels } = this;
		const plane = 'grey' in pixels ? pixels.grey : pixels.rgb;
		const alpha = 'rgb' in pixels ? pixels.alpha : undefined;
		const given = 'grey' in pixels ? 1 : alpha ? 4 : 3;
		if (given !== channels || plane.length !== width * height * (channels === 4 ? 3 : channels) || (alpha && alpha.length !== width * height)) {
			throw new Error(`PngStripEncoder: the pixels do not make a ${width}×${height} image of ${channels} channel(s)`);
		}
		if (alpha) {
			return (y, words) => {
				// Transparent pixels at either end of the row (most of a cutout's frame) are skipped four at a time.
				const row = y * width;
				const first = firstNonZero(alpha, row, row + width) - row;
				const end = first === width ? width : lastNonZero(alpha, row + first, row + width) + 1 - row;
				words.fill(0, 0, first);
				words.fill(0, end, width);
				for (let x = first, i = row + first, p = i * 3; x < end; x++, i++, p += 3) {
					const a = alpha[i];
					words[x] = a === 0 ? 0 : plane[p] | (plane[p + 1] << 8) | (plane[p + 2] << 16) | (a << 24);
				}
			};
		}
		const stride = width * channels;
		return (y, words) => new Uint8Array(words.buffer).set(plane.subarray(y * stride, (y + 1) * stride));
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
 * Deflates scanlines on the thread pool as a zlib stream flushed with Z_SYNC_FLUSH (so that the next strip's
 * data can follow it) and then finished: the finished stream's last four bytes are the Adler-32 of the
 * scanlines, which PNG's one stream needs combined over all strips.
 */
function deflateStrip(scanlines: Buffer, level: number, strategy: number): Promise<DeflatedStrip> {
	return new Promise((resolve, reject) => {
		const stream = createDeflate({ level, strategy, chunkSize: OUTPUT_CHUNK_BYTES });
		const parts: Buffer[] = [];
		let flushed = -1;
		stream.on('data', (part: Buffer) => parts.push(part));
		stream.on('error', reject);
		stream.on('end', () => {
			const all = Buffer.concat(parts);
			if (flushed < 6 || all.readUInt32BE(flushed - 4) !== SYNC_FLUSH_MARKER) {
				reject(new Error('PngStripEncoder: zlib did not end a strip on a sync flush'));
				return;
			}
			resolve({ header: all.subarray(0, 2), deflated: all.subarray(2, flushed), length: scanlines.length, adler: all.readUInt32BE(all.length - 4) });
		});
		stream.write(scanlines);
		stream.flush(constants.Z_SYNC_FLUSH, () => {
			flushed = parts.reduce((sum, part) => sum + part.length, 0);
			stream.end();
		});
	});
}

function chunk(type: string, data: Buffer): Buffer {
	const out = Buffer.allocUnsafe(12 + data.length);
	out.writeUInt32BE(data.length, 0);
	out.write(type, 4, 'latin1');
	data.copy(out, 8);
	out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
	return out;
}
