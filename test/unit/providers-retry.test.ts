import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { systemClock } from '../../lib/providers/http/clock';
import { backoffDelay, retryPolicy, sendWithRetry, serverRequestedDelay } from '../../lib/providers/http/retry';
import {
	createFetchTransport,
	type HttpRequest,
	type HttpResponse,
	type HttpTransport,
	TransportError,
} from '../../lib/providers/http/transport';
import { instantClock, SENTINEL_KEY } from '../helpers/providers';

/** A transport that answers from a script, one step per call, and records the calls. */
function scripted(...steps: Array<Partial<HttpResponse> | TransportError>): HttpTransport & { calls: HttpRequest[] } {
	const calls: HttpRequest[] = [];
	return {
		calls,
		redact: (text) => text,
		async send(request) {
			calls.push(request);
			const step = steps[Math.min(calls.length - 1, steps.length - 1)];
			if (step instanceof TransportError) throw step;
			return { status: 200, headers: {}, body: Buffer.alloc(0), ...step };
		},
	};
}

const request: HttpRequest = { method: 'POST', url: 'https://api.example.test/v1/thing' };
const policy = retryPolicy({ attempts: 4, baseDelayMs: 100, maxDelayMs: 350, maxServerDelayMs: 10_000, timeoutMs: 5_000 });

describe('sendWithRetry', () => {
	it('retries 429 after Retry-After seconds, then returns the success', async () => {
		const clock = instantClock();
		const transport = scripted({ status: 429, headers: { 'retry-after': '2' } }, { status: 200 });
		const response = await sendWithRetry(transport, request, policy, { clock });
		expect(response.status).toBe(200);
		expect(transport.calls).toHaveLength(2);
		expect(clock.slept).toEqual([2000]);
	});

	it('honours Retry-After as an HTTP date', async () => {
		const clock = instantClock();
		const retryAt = new Date(clock.now() + 3000).toUTCString();
		const transport = scripted({ status: 503, headers: { 'retry-after': retryAt } }, { status: 200 });
		await sendWithRetry(transport, request, policy, { clock });
		expect(clock.slept).toEqual([3000]);
	});

	it("honours remove.bg's X-RateLimit-Reset (unix seconds) on 429", async () => {
		const clock = instantClock();
		const reset = String(Math.floor(clock.now() / 1000) + 5);
		const transport = scripted({ status: 429, headers: { 'x-ratelimit-reset': reset } }, { status: 200 });
		await sendWithRetry(transport, request, policy, { clock });
		expect(clock.slept).toEqual([5000]);
	});

	it('backs off exponentially with full jitter, capped, for 5xx', async () => {
		const clock = instantClock();
		const transport = scripted({ status: 500 }, { status: 502 }, { status: 503 }, { status: 200 });
		await sendWithRetry(transport, request, policy, { clock, random: () => 0.999 });
		// Ceilings 100, 200, 400 → capped at 350; full jitter draws just under each.
		expect(clock.slept).toEqual([99, 199, 349]);
		expect(backoffDelay(2, policy, () => 0)).toBe(0);
	});

	it.each([400, 401, 402, 403, 404, 413, 422])('never retries HTTP %i', async (status) => {
		const transport = scripted({ status });
		const response = await sendWithRetry(transport, request, policy, { clock: instantClock() });
		expect(response.status).toBe(status);
		expect(transport.calls).toHaveLength(1);
	});

	it('stops after the configured attempts and returns the last response', async () => {
		const transport = scripted({ status: 500 });
		const response = await sendWithRetry(transport, request, retryPolicy({ attempts: 3, baseDelayMs: 1 }), { clock: instantClock() });
		expect(response.status).toBe(500);
		expect(transport.calls).toHaveLength(3);
	});

	it('gives up at once when the server asks for a longer wait than allowed', async () => {
		const transport = scripted({ status: 429, headers: { 'retry-after': '3600' } });
		const response = await sendWithRetry(transport, request, policy, { clock: instantClock() });
		expect(response.status).toBe(429);
		expect(transport.calls).toHaveLength(1);
	});

	it('retries network errors and timeouts, then throws the last one', async () => {
		const reset = new TransportError('network', 'Could not reach https://api.example.test/v1/thing: ECONNRESET');
		const recovered = scripted(reset, new TransportError('timeout', 'slow'), { status: 200 });
		expect((await sendWithRetry(recovered, request, policy, { clock: instantClock() })).status).toBe(200);

		const broken = scripted(reset);
		await expect(sendWithRetry(broken, request, policy, { clock: instantClock() })).rejects.toBe(reset);
		expect(broken.calls).toHaveLength(4);
	});

	it.each(['aborted', 'too_large'] as const)('does not retry a %s failure', async (failure) => {
		const transport = scripted(new TransportError(failure, failure));
		await expect(sendWithRetry(transport, request, policy, { clock: instantClock() })).rejects.toMatchObject({ failure });
		expect(transport.calls).toHaveLength(1);
	});

	it('passes the per-attempt timeout and runs the throttle before every attempt', async () => {
		const transport = scripted({ status: 500 }, { status: 200 });
		const beforeAttempt = jest.fn(async () => undefined);
		const onRetry = jest.fn();
		await sendWithRetry(transport, request, policy, { clock: instantClock(), beforeAttempt, onRetry, random: () => 0.5 });
		expect(transport.calls.map((call) => call.timeoutMs)).toEqual([5000, 5000]);
		expect(beforeAttempt).toHaveBeenCalledTimes(2);
		expect(onRetry).toHaveBeenCalledWith({ attempt: 1, attempts: 4, delayMs: 50, reason: 'HTTP 500' });
	});

	it('stops waiting when the signal fires during a backoff', async () => {
		const controller = new AbortController();
		const transport = scripted({ status: 429, headers: { 'retry-after': '8' } }, { status: 200 });
		const started = Date.now();
		setTimeout(() => controller.abort(), 30);
		await expect(
			sendWithRetry(transport, request, policy, { clock: systemClock, signal: controller.signal }),
		).rejects.toMatchObject({ failure: 'aborted' });
		expect(Date.now() - started).toBeLessThan(2000);
		expect(transport.calls).toHaveLength(1);
	});

	it('reads server delays only from readable headers', () => {
		const at = (headers: Record<string, string>, status = 429) => serverRequestedDelay({ status, headers, body: Buffer.alloc(0) }, 1_000_000);
		expect(at({ 'retry-after': '1.5' })).toBe(1500);
		expect(at({ 'retry-after': 'soon' })).toBeUndefined();
		expect(at({ 'x-ratelimit-reset': '1010' }, 503)).toBeUndefined();
		expect(at({ 'retry-after': new Date(0).toUTCString() })).toBe(0);
	});

	it('validates the policy and names the bad value', () => {
		expect(() => retryPolicy({ attempts: 0 })).toThrow('attempts must be an integer from 1 to 10, got 0');
		expect(() => retryPolicy({ timeoutMs: Number.NaN })).toThrow('timeoutMs must be a number from 1 to 3600000, got NaN');
		expect(retryPolicy({ attempts: undefined }).attempts).toBe(3);
	});
});

describe('createFetchTransport', () => {
	let server: Server;
	let base: string;
	const seen: Array<Record<string, string | string[] | undefined>> = [];

	beforeAll(async () => {
		server = createServer((req, res) => {
			seen.push(req.headers);
			if (req.url === '/slow') {
				setTimeout(() => res.end('late'), 500);
			} else if (req.url === '/chunked') {
				res.writeHead(200, { 'content-type': 'image/png' });
				const chunk = Buffer.alloc(4096);
				let sent = 0;
				const timer = setInterval(() => {
					if (res.destroyed || sent++ >= 10) {
						clearInterval(timer);
						res.end();
					} else res.write(chunk);
				}, 1);
			} else if (req.url === '/declared') {
				res.writeHead(200, { 'content-length': '50000' });
				res.end(Buffer.alloc(50000));
			} else if (req.url === '/reset') {
				res.writeHead(200, { 'content-length': '50000' });
				res.write(Buffer.alloc(100));
				setTimeout(() => res.socket?.destroy(), 10);
			} else if (req.url === '/redirect') {
				res.writeHead(302, { location: 'http://elsewhere.invalid/steal' });
				res.end();
			} else {
				res.writeHead(200, { 'x-echo': 'yes' });
				res.end('ok');
			}
		});
		await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
		base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
	});
	afterAll(async () => {
		server.closeAllConnections();
		await new Promise((resolve) => server.close(resolve));
	});

	const transport = createFetchTransport({ headers: { Authorization: `Bearer ${SENTINEL_KEY}` } });

	it('adds the auth headers to authenticated requests only and returns lower-case headers', async () => {
		const response = await transport.send({ method: 'GET', url: `${base}/plain` });
		expect(response).toMatchObject({ status: 200, headers: { 'x-echo': 'yes' } });
		expect(seen.at(-1)?.authorization).toBe(`Bearer ${SENTINEL_KEY}`);
		await transport.send({ method: 'GET', url: `${base}/plain`, authenticate: false });
		expect(seen.at(-1)?.authorization).toBeUndefined();
	});

	it('times out an attempt', async () => {
		await expect(transport.send({ method: 'GET', url: `${base}/slow`, timeoutMs: 50 })).rejects.toMatchObject({
			failure: 'timeout',
			message: `${base}/slow did not answer within 50 ms`,
		});
	});

	it('caps bodies by declared length and while streaming', async () => {
		await expect(transport.send({ method: 'GET', url: `${base}/declared`, maxResponseBytes: 1000 })).rejects.toMatchObject({ failure: 'too_large' });
		await expect(transport.send({ method: 'GET', url: `${base}/chunked`, maxResponseBytes: 10_000 })).rejects.toMatchObject({ failure: 'too_large' });
		expect((await transport.send({ method: 'GET', url: `${base}/chunked`, maxResponseBytes: 100_000 })).body.length).toBe(40960);
	});

	it('reports a connection reset mid-body as a network failure', async () => {
		await expect(transport.send({ method: 'GET', url: `${base}/reset` })).rejects.toMatchObject({ failure: 'network' });
	});

	it('does not follow redirects with the key attached', async () => {
		const response = await transport.send({ method: 'GET', url: `${base}/redirect` });
		expect(response.status).toBe(302);
		expect(response.headers.location).toBe('http://elsewhere.invalid/steal');
	});

	it('masks the key, and the token part of "Scheme token" values', () => {
		expect(transport.redact(`bad key ${SENTINEL_KEY}, header Bearer ${SENTINEL_KEY}`)).toBe('bad key ***, header ***');
		expect(createFetchTransport({ headers: { 'X-API-Key': 'short' } }).redact('a short word')).toBe('a short word');
	});
});
