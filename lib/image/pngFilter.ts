import { endianness } from 'node:os';

/**
 * PNG row filtering on the main thread, fast enough to keep off the critical path: each row is filtered
 * with Sub and with Up, four bytes at a time (bytewise subtraction within a 32-bit word), and the one
 * with the smaller sum of absolute byte values is kept — libpng's heuristic over two of the five filters.
 * On 17 photos cut out by our model (../shared/eval/photos, zlib level 4) the files were 1.003× the size
 * of libspng's choice among all five (Up alone 1.027×, Paeth alone 1.010×). Only the words between a row's
 * first and last non-zero word (and the row above's) are filtered: outside them both filters give zeros, so
 * a cutout's transparent surroundings and a mask's background cost a scan (12 MP cutout, 9 % subject:
 * 36 vs 73 ms).
 */

/** Bytes a pixel has in the PNG: greyscale, RGB or RGBA. */
export type PngChannels = 1 | 3 | 4;

const HIGH_BITS = 0x80808080;
const LOW_BITS = 0x7f7f7f7f;
/** PNG filter types (PNG specification, 9.2). */
const FILTER_NONE = 0;
const FILTER_SUB = 1;
const FILTER_UP = 2;

export interface FilteredRows {
	scanlines: Buffer;
	nonZeroWords: number;
}

/** Words [from, to) of a row. */
interface Span {
	from: number;
	to: number;
}
/** A row with no non-zero word: it spans nothing (from > to, so that min and max skip it). */
const EMPTY_SPAN: Span = { from: Number.MAX_SAFE_INTEGER, to: 0 };

/** |signed byte| summed over both bytes of a 16-bit value: the heuristic's cost of two filtered bytes. */
const ABSOLUTE_SUM = (() => {
	const table = new Uint16Array(65536);
	const absolute = (byte: number) => (byte < 128 ? byte : 256 - byte);
	for (let value = 0; value < 65536; value++) table[value] = absolute(value & 255) + absolute(value >>> 8);
	return table;
})();

if (endianness() !== 'LE') {
	// The Sub filter's shifts assume a pixel's first byte is a word's lowest.
	throw new Error('lib/image/pngFilter.ts assumes a little-endian CPU');
}

/** a − b in each of the four bytes, without borrows crossing bytes. */
function bytewiseDifference(a: number, b: number): number {
	return (((a | HIGH_BITS) >>> 0) - (b & LOW_BITS)) ^ ((a ^ ~b) & HIGH_BITS);
}

/**
 * Writes rows of one image as filtered PNG scanlines. `readRow(y, words)` fills a row's bytes into
 * `words` (its bytes in order, little-endian; it must not write past the row: those bytes stay zero).
 */
export class RowFilter {
	readonly stride: number;
	private readonly words: number;
	private current: Uint32Array;
	private above: Uint32Array;
	private readonly sub: Uint32Array;
	private readonly up: Uint32Array;
	/** Non-zero words of the last row's Sub and Up (filterWords). */
	private nonZero = { sub: 0, up: 0 };
	/** Each row buffer's bytes, made once: a view per row would be garbage on every row. */
	private readonly bytes = new Map<Uint32Array, Uint8Array>();

	constructor(
		width: number,
		private readonly channels: PngChannels,
		private readonly filters: boolean,
		private readonly readRow: (y: number, words: Uint32Array) => void,
	) {
		this.stride = width * channels;
		this.words = Math.ceil(this.stride / 4);
		this.current = new Uint32Array(this.words);
		this.above = new Uint32Array(this.words);
		this.sub = new Uint32Array(this.words);
		this.up = new Uint32Array(this.words);
		for (const words of [this.current, this.above, this.sub, this.up]) this.bytes.set(words, new Uint8Array(words.buffer, 0, this.stride));
	}

	/**
	 * Rows [y0, y1) as scanlines (filter byte + filtered row each), written to the start of `into`; row y0 − 1
	 * is read as the Up filter's context. `nonZeroWords` counts the filtered words that are not zero (every
	 * word when rows are not filtered), for the compressor to tell sparse rows from dense ones.
	 */
	rows(y0: number, y1: number, into: Buffer): FilteredRows {
		const length = (y1 - y0) * (this.stride + 1);
		if (into.length < length) throw new Error(`RowFilter: ${into.length} bytes cannot hold ${y1 - y0} scanlines of ${this.stride + 1}`);
		const out = into.subarray(0, length);
		this.above.fill(0);
		this.nonZero = { sub: 0, up: 0 };
		let nonZeroWords = 0;
		let aboveSpan = EMPTY_SPAN;
		if (y0 > 0 && this.filters) {
			this.readRow(y0 - 1, this.above);
			aboveSpan = this.nonZeroSpan(this.above);
		}
		for (let y = y0; y < y1; y++) {
			this.readRow(y, this.current);
			const at = (y - y0) * (this.stride + 1);
			if (!this.filters) {
				out[at] = FILTER_NONE;
				out.set(this.bytes.get(this.current)!, at + 1);
				nonZeroWords += this.words;
			} else {
				const span = this.nonZeroSpan(this.current);
				// Sub reaches one word past the row's last non-zero word; Up reaches wherever the row above is not zero.
				const from = Math.min(span.from, aboveSpan.from);
				const to = Math.max(Math.min(this.words, span.to + 1), aboveSpan.to);
				const type = from < to ? this.filterWords(from, to) : FILTER_UP;
				nonZeroWords += type === FILTER_SUB ? this.nonZero.sub : this.nonZero.up;
				out[at] = type;
				// Outside [from, to) both filters give zeros.
				const start = Math.min(this.stride, from * 4);
				const end = Math.min(this.stride, Math.max(start, to * 4));
				out.fill(0, at + 1, at + 1 + start);
				out.set(this.bytes.get(type === FILTER_SUB ? this.sub : this.up)!.subarray(start, end), at + 1 + start);
				out.fill(0, at + 1 + end, at + 1 + this.stride);
				aboveSpan = span;
			}
			const previous = this.above;
			this.above = this.current;
			this.current = previous;
		}
		return { scanlines: out, nonZeroWords };
	}

	/** The words [from, to) outside which a row is all zeros (transparent runs, background of a mask). */
	private nonZeroSpan(words: Uint32Array): Span {
		let from = 0;
		while (from < this.words && words[from] === 0) from++;
		if (from === this.words) return EMPTY_SPAN;
		let to = this.words;
		while (words[to - 1] === 0) to--;
		return { from, to };
	}

	/**
	 * Sub and Up of the current row's words [from, to), and which of them to keep (their non-zero words in
	 * `nonZero`). Words outside are zero in both filters, so they add nothing to either cost: the choice is
	 * the one over the whole row.
	 */
	private filterWords(from: number, to: number): number {
		const { current, above, sub, up } = this;
		// The byte `channels` places back, for the Sub filter: the previous word, or bytes shifted in from it.
		const shift = this.channels * 8;
		let subCost = 0;
		let upCost = 0;
		let subWords = 0;
		let upWords = 0;
		let previous = from > 0 ? current[from - 1] : 0;
		for (let k = from; k < to; k++) {
			const word = current[k];
			const left = shift === 32 ? previous : (word << shift) | (previous >>> (32 - shift));
			const aboveWord = above[k];
			previous = word;
			if ((word | left | aboveWord) === 0) {
				sub[k] = 0;
				up[k] = 0;
				continue;
			}
			const s = bytewiseDifference(word, left);
			const u = bytewiseDifference(word, aboveWord);
			sub[k] = s;
			up[k] = u;
			if (s !== 0) subWords++;
			if (u !== 0) upWords++;
			subCost += ABSOLUTE_SUM[s & 0xffff] + ABSOLUTE_SUM[s >>> 16];
			upCost += ABSOLUTE_SUM[u & 0xffff] + ABSOLUTE_SUM[u >>> 16];
		}
		this.nonZero.sub = subWords;
		this.nonZero.up = upWords;
		return subCost < upCost ? FILTER_SUB : FILTER_UP;
	}
}
