import { setTimeout as delay } from 'node:timers/promises';

import { TransportError } from './transport';

/** Time as the retry, throttle and polling code sees it; tests pass a fake one. */
export interface Clock {
	now(): number;
	/** Rejects with TransportError('aborted') when the signal fires, so a cancelled execution stops waiting. */
	sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
	now: () => Date.now(),
	async sleep(ms, signal) {
		try {
			await delay(Math.max(0, ms), undefined, { signal });
		} catch (error) {
			if (signal?.aborted) throw new TransportError('aborted', 'Cancelled while waiting');
			throw error;
		}
	},
};
