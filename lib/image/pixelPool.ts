/**
 * Large pixel buffers kept for the next image of the same size. Memory the process has not touched lately
 * is dear on the small virtual machines n8n often runs on: a fresh 36 MB buffer (a 12 MP RGB image) took
 * 9 000 page faults and 90 ms here, its reuse none. glibc maps every allocation over 32 MiB afresh and unmaps
 * it when freed, so the decoder's output for such an image is always fresh memory unless it lands in a
 * buffer of ours. A buffer comes back only through recyclePixels, from a caller that knows nothing reads it
 * any more; one that never comes back is left to the garbage collector like any other.
 */

/** Buffers kept at most, and for how long after their last use: then they go, and their memory with them. */
const MAX_KEPT = 2;
const KEEP_MS = 15_000;

const kept: Buffer[] = [];
const lent = new WeakSet<Buffer>();
let dropTimer: NodeJS.Timeout | undefined;

/** A buffer of exactly `bytes` bytes, reused when one is kept, its contents undefined. */
export function takePixels(bytes: number): Buffer {
	const at = kept.findIndex((buffer) => buffer.length === bytes);
	const buffer = at >= 0 ? kept.splice(at, 1)[0] : Buffer.allocUnsafeSlow(bytes);
	lent.add(buffer);
	return buffer;
}

/**
 * Gives back a buffer from takePixels once nothing reads or writes it any more; any other buffer, or one
 * given back already, is ignored.
 */
export function recyclePixels(buffer: Buffer): void {
	if (!lent.delete(buffer)) return;
	kept.unshift(buffer);
	kept.length = Math.min(kept.length, MAX_KEPT);
	clearTimeout(dropTimer);
	dropTimer = setTimeout(() => (kept.length = 0), KEEP_MS).unref();
}

/** Buffers kept now (for tests). */
export function keptPixelBuffers(): number {
	return kept.length;
}
