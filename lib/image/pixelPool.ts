/**
 * Large pixel buffers kept for the next image of the same size. Memory the process has not touched lately
 * is dear on the small virtual machines n8n often runs on: a fresh 36 MB buffer (a 12 MP RGB image) took
 * 9 000 page faults and 90 ms here, its reuse none; and every fresh buffer counts towards the external
 * memory that makes V8 collect garbage. glibc maps every allocation over 32 MiB afresh and unmaps it when
 * freed, and smaller ones too until its threshold has grown. A buffer comes back only through
 * recyclePixels, from a caller that knows nothing reads it any more; one that never comes back is left to
 * the garbage collector like any other.
 */

/** Bytes kept at most (a 12 MP cutout lends 60 MB: its decoded colours, model input and matte). */
const MAX_KEPT_BYTES = 128 * 1024 * 1024;
/** After this long without use the kept buffers go, and their memory with them. */
const KEEP_MS = 15_000;

const kept: Buffer[] = [];
/** The buffers lent, by their memory: a caller may give back any view of one (a Float32Array, say). */
const lent = new WeakMap<ArrayBufferLike, Buffer>();
let dropTimer: NodeJS.Timeout | undefined;

/** A buffer of exactly `bytes` bytes (its own memory, from offset 0), reused when one is kept; contents undefined. */
export function takePixels(bytes: number): Buffer {
	const at = kept.findIndex((buffer) => buffer.length === bytes);
	const buffer = at >= 0 ? kept.splice(at, 1)[0] : Buffer.allocUnsafeSlow(bytes);
	lent.set(buffer.buffer, buffer);
	return buffer;
}

/**
 * Gives back a buffer from takePixels (or a view of its memory) once nothing reads or writes it any more;
 * anything else, or a buffer given back already, is ignored.
 */
export function recyclePixels(view: ArrayBufferView): void {
	const buffer = lent.get(view.buffer);
	if (!buffer) return;
	lent.delete(view.buffer);
	kept.unshift(buffer);
	let bytes = 0;
	const keep = kept.findIndex((each) => (bytes += each.length) > MAX_KEPT_BYTES);
	if (keep >= 0) kept.length = keep;
	clearTimeout(dropTimer);
	dropTimer = setTimeout(() => (kept.length = 0), KEEP_MS).unref();
}

/** Buffers kept now (for tests). */
export function keptPixelBuffers(): number {
	return kept.length;
}
