/**
 * P6: the hosted path against a loopback provider (test/mocks, real HTTP on 127.0.0.1), through the core
 * client and the fetch transport the node's tests use:
 *   - 100 items with 300 ms of provider latency per request, at 1 / 4 / 8 items in flight;
 *   - withoutBG at its documented limit (7 requests a minute, sliding) with the mock refusing anything
 *     over it with 429: the throttle must cause none. Time runs 10× fast on both sides (the limiter's clock
 *     and the mock's window), so 30 items take about 25 s instead of 4 minutes.
 */
import { setTimeout as delay } from 'node:timers/promises';

import { mapWithLimit } from '../lib/concurrency';
import { withoutbg } from '../lib/providers/clients/withoutbg';
import type { Clock } from '../lib/providers/http/clock';
import { RateLimiter } from '../lib/providers/http/rateLimit';
import { removeBackgroundRemotely } from '../lib/providers/engine/remote';
import type { ProviderContext } from '../lib/providers/types';
import { mockContext, SENTINEL_KEY } from '../test/helpers/providers';
import type { MockProviderServer } from '../test/mocks/server';
import { withoutBgMock } from '../test/mocks/withoutbg';
import { makeScene, sceneAsJpeg } from '../test/helpers/scene';
import type { ResultRow } from './stats';

const LATENCY_MS = 300;
const ITEMS = 100;
const RATE_ITEMS = 30;
const TIME_SCALE = 10;

/** The tests' provider context with the real clock and retry policy, since here time is what is measured. */
function contextFor(mock: MockProviderServer, overrides: Partial<ProviderContext> = {}): ProviderContext {
	return mockContext(withoutbg, mock, { retry: undefined, clock: undefined, log: undefined, ...overrides });
}

/** Wall time runs TIME_SCALE× faster for whoever reads this clock. */
function fastClock(): Clock {
	const origin = Date.now();
	return {
		now: () => origin + (Date.now() - origin) * TIME_SCALE,
		sleep: (ms, signal) => delay(Math.max(0, ms) / TIME_SCALE, undefined, { signal }),
	};
}

export async function remoteBench(): Promise<ResultRow[]> {
	const jpeg = await sceneAsJpeg(makeScene(640, 480));
	const mock = await withoutBgMock(SENTINEL_KEY).start();
	const rows: ResultRow[] = [];
	try {
		mock.latencyMs = LATENCY_MS;
		const context = contextFor(mock);
		await removeBackgroundRemotely(withoutbg, jpeg, context); // warm-up: sockets, decoders
		let serialPerSecond = 0;
		for (const inFlight of [1, 4, 8]) {
			const started = performance.now();
			await mapWithLimit(Array.from({ length: ITEMS }), inFlight, () => removeBackgroundRemotely(withoutbg, jpeg, context));
			const perSecond = ITEMS / ((performance.now() - started) / 1000);
			if (inFlight === 1) serialPerSecond = perSecond;
			const speedUp = inFlight === 1 ? '' : `, ${(perSecond / serialPerSecond).toFixed(2)}× the serial rate`;
			rows.push({
				id: 'P6',
				what: `${ITEMS} items, ${LATENCY_MS} ms provider latency, ${inFlight} in flight${speedUp}`,
				figure: `${perSecond.toFixed(2)} items/s`,
			});
		}

		mock.latencyMs = 0;
		const limit = withoutbg.defaultRequestsPerMinute!;
		mock.rateLimit = { requests: limit, windowMs: 60_000 / TIME_SCALE };
		mock.rateLimited = 0;
		const clock = fastClock();
		const throttled = contextFor(mock, {
			throttle: new RateLimiter(limit, clock),
			clock,
		});
		const started = performance.now();
		await mapWithLimit(Array.from({ length: RATE_ITEMS }), 4, () => removeBackgroundRemotely(withoutbg, jpeg, throttled));
		const minutes = ((performance.now() - started) * TIME_SCALE) / 60_000;
		rows.push({
			id: 'P6',
			what: `withoutBG at its limit (${limit}/min, enforced by the mock): ${RATE_ITEMS} items, 4 in flight, ${minutes.toFixed(1)} provider-minutes`,
			figure: `${mock.rateLimited} × 429`,
			target: '0',
			met: mock.rateLimited === 0,
		});
	} finally {
		await mock.stop();
	}
	return rows;
}
