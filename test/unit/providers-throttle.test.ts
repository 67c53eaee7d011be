import { mapWithLimit } from '../../lib/concurrency';
import { credentialId, RateLimiter, sharedRateLimiter } from '../../lib/providers/http/rateLimit';
import { instantClock, SENTINEL_KEY } from '../helpers/providers';

describe('RateLimiter', () => {
	it('lets N requests start in any sliding minute, then waits for the oldest to age out, plus a 1 s margin', async () => {
		const clock = instantClock();
		const start = clock.now();
		const limiter = new RateLimiter(7, clock);
		const startedAt: number[] = [];
		for (let i = 0; i < 15; i++) {
			await limiter.acquire();
			startedAt.push(clock.now() - start);
		}
		expect(startedAt.slice(0, 7)).toEqual([0, 0, 0, 0, 0, 0, 0]);
		expect(startedAt.slice(7, 14)).toEqual([61_000, 61_000, 61_000, 61_000, 61_000, 61_000, 61_000]);
		expect(startedAt[14]).toBe(122_000);
	});

	it('serves concurrent waiters in arrival order, and a cancelled waiter does not block the others', async () => {
		const clock = instantClock();
		const limiter = new RateLimiter(1, clock);
		const order: string[] = [];
		const cancelled = new AbortController();
		cancelled.abort();
		await Promise.allSettled([
			limiter.acquire().then(() => order.push('a')),
			limiter.acquire(cancelled.signal).then(() => order.push('cancelled')),
			limiter.acquire().then(() => order.push('b')),
			limiter.acquire().then(() => order.push('c')),
		]);
		expect(order).toEqual(['a', 'b', 'c']);
		expect(clock.slept).toEqual([61_000, 61_000]);
	});

	it('refuses a rate that is not a positive integer, naming it', () => {
		expect(() => new RateLimiter(0)).toThrow('Requests per minute must be an integer from 1 to 10000, got 0');
		expect(() => new RateLimiter(2.5)).toThrow('got 2.5');
	});

	it('is shared per provider and credential, and follows a changed rate', async () => {
		const id = credentialId(SENTINEL_KEY, 'https://api.withoutbg.com');
		const first = sharedRateLimiter('withoutbg', id, 7);
		expect(sharedRateLimiter('withoutbg', id, 20)).toBe(first);
		expect(sharedRateLimiter('withoutbg', credentialId('other-key-0000', 'https://api.withoutbg.com'), 7)).not.toBe(first);
		expect(sharedRateLimiter('removebg', id, 7)).not.toBe(first);
	});

	it('names credentials by a hash that does not contain the key', () => {
		const id = credentialId(SENTINEL_KEY, 'https://api.withoutbg.com');
		expect(id).toMatch(/^[0-9a-f]{16}$/);
		expect(id).toBe(credentialId(SENTINEL_KEY, 'https://api.withoutbg.com'));
		expect(SENTINEL_KEY.includes(id)).toBe(false);
	});
});

describe('mapWithLimit', () => {
	it('keeps input order while finishing out of order, with at most `limit` in flight', async () => {
		let inFlight = 0;
		let peak = 0;
		const delays = [40, 5, 25, 1, 30, 10, 2, 15];
		const results = await mapWithLimit(delays, 3, async (delay, index) => {
			inFlight++;
			peak = Math.max(peak, inFlight);
			await new Promise((resolve) => setTimeout(resolve, delay));
			inFlight--;
			return `item ${index}`;
		});
		expect(results).toEqual(delays.map((_, index) => `item ${index}`));
		expect(peak).toBe(3);
	});

	it('starts nothing new after a failure and throws the first error', async () => {
		const started: number[] = [];
		await expect(
			mapWithLimit([0, 1, 2, 3, 4, 5], 2, async (_item, index) => {
				started.push(index);
				await new Promise((resolve) => setTimeout(resolve, 5));
				if (index === 1) throw new Error('item 1 failed');
				return index;
			}),
		).rejects.toThrow('item 1 failed');
		expect(started.length).toBeLessThanOrEqual(3);
	});

	it('throws the earliest item’s error when several fail, whichever failed first in time', async () => {
		// Item 0 fails after item 1 has already failed.
		const run = mapWithLimit([30, 5], 2, async (delay, index) => {
			await new Promise((resolve) => setTimeout(resolve, delay));
			throw new Error(`item ${index} failed`);
		});
		await expect(run).rejects.toThrow('item 0 failed');
	});

	it('refuses a limit that is not a positive integer', async () => {
		await expect(mapWithLimit([1], 0, async (x) => x)).rejects.toThrow('Items in flight must be a positive integer, got 0');
	});
});
