import { CutoutError } from './errors';

/**
 * Items in flight sized by their pixels, not counted. An item's full-resolution planes (decoded RGB, matte,
 * refined colours, encoder buffers) take about 11 bytes a pixel, 264 MB at 24 MP, while the model's run
 * costs the same at any size; so two 12 MP photos can share the room where a 24 MP photo runs alone.
 *
 * First come, first served: an item that does not fit waits, and every item after it waits behind it, so a
 * large item is never overtaken for good by small ones. An item larger than the whole budget starts once
 * nothing else is running, and runs alone.
 */
export class PixelBudget {
	private inUse = 0;
	private running = 0;
	private readonly waiting: Array<{ pixels: number; start: () => void }> = [];

	constructor(readonly capacity: number) {
		if (!Number.isSafeInteger(capacity) || capacity < 1) {
			throw new CutoutError('invalid_option', `A pixel budget must be a positive integer, got ${capacity}`);
		}
	}

	/** Waits until `pixels` fit, takes them, and returns the function that gives them back (once). */
	async acquire(pixels: number): Promise<() => void> {
		if (!Number.isSafeInteger(pixels) || pixels < 0) {
			throw new CutoutError('invalid_option', `An item's pixel count must be a non-negative integer, got ${pixels}`);
		}
		if (this.waiting.length === 0 && this.fits(pixels)) this.take(pixels);
		else await new Promise<void>((start) => this.waiting.push({ pixels, start }));
		let released = false;
		return () => {
			if (released) return;
			released = true;
			this.inUse -= pixels;
			this.running--;
			this.admitWaiting();
		};
	}

	/** Runs `work` holding `pixels`, given back however it ends. */
	async use<T>(pixels: number, work: () => Promise<T>): Promise<T> {
		const release = await this.acquire(pixels);
		try {
			return await work();
		} finally {
			release();
		}
	}

	private fits(pixels: number): boolean {
		return this.running === 0 || this.inUse + pixels <= this.capacity;
	}

	private take(pixels: number): void {
		this.inUse += pixels;
		this.running++;
	}

	private admitWaiting(): void {
		while (this.waiting.length > 0 && this.fits(this.waiting[0].pixels)) {
			const next = this.waiting.shift()!;
			this.take(next.pixels);
			next.start();
		}
	}
}
