import { createHash } from 'node:crypto';

import { CutoutError } from '../../errors';
import { type Clock, systemClock } from './clock';

const WINDOW_MS = 60_000;
/**
 * A slot frees this long after the window, not at its edge: the provider counts a request when it arrives,
 * a little after we start it, and starts exactly on the edge drew 429s from a loopback provider enforcing
 * the same limit (bench/remote.ts). 1 s costs under 2 % of the budget.
 */
const SAFETY_MARGIN_MS = 1_000;

/**
 * At most N request starts in any sliding minute, plus a safety margin. Waiters are served in arrival order, so concurrent items
 * and their retries share the budget fairly. A cancelled waiter gives up its turn without blocking others.
 */
export class RateLimiter {
	private requestsPerMinute: number;
	private readonly clock: Clock;
	private readonly starts: number[] = [];
	private queue: Promise<void> = Promise.resolve();

	constructor(requestsPerMinute: number, clock: Clock = systemClock) {
		this.requestsPerMinute = checkRate(requestsPerMinute);
		this.clock = clock;
	}

	/** Changes the budget for later requests, e.g. when a node's setting changed between executions. */
	setRate(requestsPerMinute: number): void {
		this.requestsPerMinute = checkRate(requestsPerMinute);
	}

	acquire(signal?: AbortSignal): Promise<void> {
		const turn = this.queue.then(() => this.waitForSlot(signal));
		this.queue = turn.catch(() => undefined);
		return turn;
	}

	private async waitForSlot(signal?: AbortSignal): Promise<void> {
		for (;;) {
			const now = this.clock.now();
			while (this.starts.length > 0 && this.starts[0] <= now - WINDOW_MS - SAFETY_MARGIN_MS) this.starts.shift();
			if (this.starts.length < this.requestsPerMinute) {
				this.starts.push(now);
				return;
			}
			await this.clock.sleep(this.starts[0] + WINDOW_MS + SAFETY_MARGIN_MS - now, signal);
		}
	}
}

function checkRate(requestsPerMinute: number): number {
	if (!Number.isInteger(requestsPerMinute) || requestsPerMinute < 1 || requestsPerMinute > 10_000) {
		throw new CutoutError('invalid_option', `Requests per minute must be an integer from 1 to 10000, got ${requestsPerMinute}`);
	}
	return requestsPerMinute;
}

/** One limiter per provider and credential in this process, so every item and execution shares the budget. */
const limiters = new Map<string, RateLimiter>();

export function sharedRateLimiter(providerId: string, credentialId: string, requestsPerMinute: number): RateLimiter {
	const key = `${providerId}:${credentialId}`;
	const existing = limiters.get(key);
	if (existing) {
		existing.setRate(requestsPerMinute);
		return existing;
	}
	const limiter = new RateLimiter(requestsPerMinute);
	limiters.set(key, limiter);
	return limiter;
}

/**
 * A stable, non-secret name for a credential: a truncated SHA-256 of its values. It keys the shared throttle
 * without keeping the key itself in memory maps or logs.
 */
export function credentialId(...values: string[]): string {
	return createHash('sha256').update(values.join('\n')).digest('hex').slice(0, 16);
}
