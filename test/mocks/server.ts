import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The shared part of the provider mocks: a real HTTP server on 127.0.0.1 (port 0) that checks the auth
 * header, parses multipart and JSON bodies, records every request and plays queued faults before the
 * provider's own routes answer.
 */

export interface MockRequest {
	method: string;
	path: string;
	query: URLSearchParams;
	headers: IncomingMessage['headers'];
	raw: Buffer;
	/** Multipart bodies, parsed. */
	form?: FormData;
	/** JSON bodies, parsed. */
	json?: unknown;
}

export interface MockResponse {
	status?: number;
	headers?: Record<string, string>;
	/** An object is sent as JSON. */
	body?: Buffer | string | object;
}

export interface Route {
	method: string;
	path: RegExp;
	/** Whether the auth header is checked first (default true). */
	auth?: boolean;
	handle(request: MockRequest, match: RegExpExecArray): Promise<MockResponse> | MockResponse;
}

export interface AuthRule {
	header: string;
	expected: string;
	/** The provider's answer to a missing or wrong key. */
	reject(presented: string | undefined): MockResponse;
}

/** What a queued fault does instead of (or before) the real route. */
export interface Fault {
	status?: number;
	headers?: Record<string, string>;
	body?: Buffer | string | object;
	/** Wait this long first; with no status the real route answers afterwards (a slow response). */
	delayMs?: number;
	/** Send the headers and half the body, then destroy the socket. */
	reset?: boolean;
}

export const faults = {
	rateLimited: (retryAfter: string, extraHeaders: Record<string, string> = {}): Fault => ({
		status: 429,
		headers: { 'retry-after': retryAfter, ...extraHeaders },
		body: { detail: 'Rate limit exceeded' },
	}),
	serverError: (): Fault => ({ status: 500, body: { detail: 'Internal Server Error' } }),
	status: (status: number, body: object | string, headers: Record<string, string> = {}): Fault => ({ status, body, headers }),
	htmlError: (status = 502): Fault => ({
		status,
		headers: { 'content-type': 'text/html' },
		body: '<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>',
	}),
	malformedJson: (status = 200): Fault => ({ status, headers: { 'content-type': 'application/json' }, body: '{"detail": "trunc' }),
	wrongContentType: (): Fault => ({ status: 200, headers: { 'content-type': 'text/html' }, body: '<html><body>Welcome</body></html>' }),
	slow: (delayMs: number): Fault => ({ delayMs }),
	reset: (): Fault => ({ status: 200, headers: { 'content-type': 'image/png', 'content-length': '100000' }, reset: true }),
};

/** A provider's own rate limit: more than `requests` arrivals in any sliding `windowMs` get a 429. */
export interface EnforcedRateLimit {
	requests: number;
	windowMs: number;
}

export class MockProviderServer {
	readonly requests: MockRequest[] = [];
	/** Every authenticated route answers after this long, as a hosted model's inference time would. */
	latencyMs = 0;
	/** Inpainting endpoints also change every pixel outside the region they fill. */
	alterOutsideRegion = false;
	/** When set, requests over the limit are refused with 429 and Retry-After, and counted. */
	rateLimit?: EnforcedRateLimit;
	rateLimited = 0;
	private readonly accepted: number[] = [];
	private readonly server: Server;
	private readonly queued: Array<{ path: RegExp; fault: Fault }> = [];
	private base = '';

	constructor(
		private readonly auth: AuthRule,
		private readonly routes: Route[],
	) {
		this.server = createServer((req, res) => {
			this.serve(req, res).catch((error: Error) => {
				if (!res.headersSent) send(res, { status: 500, body: { detail: `mock failure: ${error.message}` } });
			});
		});
	}

	get baseUrl(): string {
		return this.base;
	}

	async start(): Promise<this> {
		await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
		this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
		return this;
	}

	async stop(): Promise<void> {
		this.server.closeAllConnections();
		await new Promise<void>((resolve) => this.server.close(() => resolve()));
	}

	/** The next requests whose path matches get these faults, one each, in order. */
	failNext(path: RegExp, ...faultList: Fault[]): void {
		for (const fault of faultList) this.queued.push({ path, fault });
	}

	requestsTo(path: RegExp): MockRequest[] {
		return this.requests.filter((request) => path.test(request.path));
	}

	private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
		const arrivedAt = Date.now();
		const request = await readRequest(req);
		this.requests.push(request);
		const route = this.routes.find((candidate) => candidate.method === request.method && candidate.path.test(request.path));
		if (route?.auth !== false) {
			const presented = headerValue(request.headers[this.auth.header.toLowerCase()]);
			if (presented !== this.auth.expected) return send(res, this.auth.reject(presented));
		}
		if (this.rateLimit && route?.auth !== false) {
			const refusal = this.overLimit(this.rateLimit, arrivedAt);
			if (refusal) return send(res, refusal);
		}
		if (this.latencyMs && !(await stillThereAfter(this.latencyMs, res))) return;
		const queuedIndex = this.queued.findIndex((entry) => entry.path.test(request.path));
		if (queuedIndex >= 0) {
			const [{ fault }] = this.queued.splice(queuedIndex, 1);
			if (fault.delayMs && !(await stillThereAfter(fault.delayMs, res))) return;
			if (fault.reset) return resetMidBody(res, fault);
			if (fault.status !== undefined) return send(res, fault);
		}
		if (!route) return send(res, { status: 404, body: { detail: `Not Found: ${request.method} ${request.path}` } });
		send(res, await route.handle(request, route.path.exec(request.path) as RegExpExecArray));
	}

	/** Counted when the request arrives, before its body is read, as a provider's gateway would. */
	private overLimit({ requests, windowMs }: EnforcedRateLimit, now: number): Fault | undefined {
		while (this.accepted.length > 0 && this.accepted[0] <= now - windowMs) this.accepted.shift();
		if (this.accepted.length < requests) {
			this.accepted.push(now);
			return undefined;
		}
		this.rateLimited++;
		return faults.rateLimited(String(Math.ceil((this.accepted[0] + windowMs - now) / 1000)));
	}
}

async function readRequest(req: IncomingMessage): Promise<MockRequest> {
	const chunks: Buffer[] = [];
	for await (const chunk of req) chunks.push(chunk as Buffer);
	const raw = Buffer.concat(chunks);
	const url = new URL(req.url ?? '/', 'http://mock');
	const request: MockRequest = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers, raw };
	const contentType = req.headers['content-type'] ?? '';
	if (contentType.startsWith('multipart/form-data')) {
		request.form = await new Request('http://mock/', { method: 'POST', headers: { 'content-type': contentType }, body: raw }).formData();
	} else if (contentType.startsWith('application/json') && raw.length > 0) {
		request.json = JSON.parse(raw.toString('utf8'));
	}
	return request;
}

export function send(res: ServerResponse, response: MockResponse): void {
	const { status = 200, headers = {} } = response;
	let body = response.body ?? '';
	const lowerNames = Object.keys(headers).map((name) => name.toLowerCase());
	if (!Buffer.isBuffer(body) && typeof body === 'object') {
		body = JSON.stringify(body);
		if (!lowerNames.includes('content-type')) headers['content-type'] = 'application/json';
	}
	res.writeHead(status, headers);
	res.end(body);
}

/**
 * Resolves after `ms` with true, or with false as soon as the client hangs up or the mock stops: a slow
 * fault's client (timed out, cancelled) often goes first, and a timer left running would keep the test
 * process alive after its last test.
 */
function stillThereAfter(ms: number, res: ServerResponse): Promise<boolean> {
	return new Promise((resolve) => {
		const gone = () => {
			clearTimeout(timer);
			resolve(false);
		};
		const timer = setTimeout(() => {
			res.off('close', gone);
			resolve(true);
		}, ms);
		res.once('close', gone);
	});
}

function resetMidBody(res: ServerResponse, fault: Fault): void {
	res.writeHead(fault.status ?? 200, fault.headers);
	res.write(Buffer.alloc(1000));
	setTimeout(() => res.socket?.destroy(), 20);
}

function headerValue(value: string | string[] | undefined): string | undefined {
	return Array.isArray(value) ? value[0] : value;
}

/** A multipart file field as a Buffer, or undefined when absent or not a file. */
export async function formFile(form: FormData | undefined, name: string): Promise<Buffer | undefined> {
	const value = form?.get(name);
	return value && typeof value !== 'string' ? Buffer.from(await value.arrayBuffer()) : undefined;
}

export function formText(form: FormData | undefined, name: string): string | undefined {
	const value = form?.get(name);
	return typeof value === 'string' ? value : undefined;
}

export function pngResponse(data: Buffer, headers: Record<string, string> = {}): MockResponse {
	return { status: 200, headers: { 'content-type': 'image/png', ...headers }, body: data };
}
