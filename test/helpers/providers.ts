import type { Clock } from '../../lib/providers/http/clock';
import { createFetchTransport, TransportError } from '../../lib/providers/http/transport';
import type { ProviderContext, RemoteProvider } from '../../lib/providers/types';
import type { MockProviderServer } from '../mocks/server';
import { authHeaders } from './credentials';

/** Never a real key: tests assert it appears in no error, log line or output. */
export const SENTINEL_KEY = 'sk-SENTINEL-3f9a1c7e5b2d4086';

/** A clock whose sleeps return at once and move time forward, recording every wait. */
export function instantClock(start = Date.UTC(2026, 10, 21, 12, 0, 0)): Clock & { slept: number[] } {
	let now = start;
	const slept: number[] = [];
	return {
		slept,
		now: () => now,
		async sleep(ms, signal) {
			if (signal?.aborted) throw new TransportError('aborted', 'Cancelled while waiting');
			slept.push(ms);
			now += ms;
		},
	};
}

/** A provider context on the core fetch transport, authenticated as the provider's credential would be. */
export function mockContext(provider: RemoteProvider, mock: MockProviderServer, overrides: Partial<ProviderContext> = {}): ProviderContext {
	const log: string[] = [];
	return {
		transport: createFetchTransport({ headers: authHeaders(provider.credentialType, { apiKey: SENTINEL_KEY }) }),
		baseUrl: mock.baseUrl,
		syncBaseUrl: `${mock.baseUrl}/sync`,
		retry: { baseDelayMs: 1, maxDelayMs: 5 },
		clock: instantClock(),
		log: (line) => log.push(line),
		...overrides,
	};
}
