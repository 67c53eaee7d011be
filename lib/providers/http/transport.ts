/**
 * The one seam between provider clients and the network. Clients describe requests; a transport sends them
 * and adds the credential. Inside n8n that is httpRequestWithAuthentication (proxy settings, outbound
 * filtering, the credential's own `authenticate` block, see nodes/shared/n8nTransport.ts); anywhere else it
 * is createFetchTransport below.
 */
export type HttpMethod = 'GET' | 'POST' | 'PUT';

export interface HttpRequest {
	method: HttpMethod;
	url: string;
	headers?: Record<string, string>;
	body?: Buffer | string | FormData;
	timeoutMs?: number;
	signal?: AbortSignal;
	/** false for downloads from a provider's file host, which must never receive the key. Default true. */
	authenticate?: boolean;
	/** Stop reading and fail once the body grows past this many bytes. */
	maxResponseBytes?: number;
}

export interface HttpResponse {
	status: number;
	/** Lower-case names. */
	headers: Record<string, string>;
	body: Buffer;
}

export interface HttpTransport {
	/** Resolves for every HTTP status; rejects with a TransportError when no complete response arrived. */
	send(request: HttpRequest): Promise<HttpResponse>;
	/** Masks credential values in text that users will see (an API may echo the key in an error). */
	redact(text: string): string;
}

export type TransportFailure = 'network' | 'timeout' | 'aborted' | 'too_large';

export class TransportError extends Error {
	readonly failure: TransportFailure;

	constructor(failure: TransportFailure, message: string) {
		super(message);
		this.name = 'TransportError';
		this.failure = failure;
	}
}

/** Scheme, host and path only: query strings can carry signed tokens. */
export function describeUrl(url: string): string {
	try {
		const parsed = new URL(url);
		return `${parsed.origin}${parsed.pathname}`;
	} catch {
		return 'an invalid URL';
	}
}

/** Replaces every secret (and the token part of "Scheme token" values) with a mask. */
export function createRedactor(secretValues: string[]): (text: string) => string {
	const secrets = new Set<string>();
	for (const value of secretValues) {
		const trimmed = value.trim();
		// Short values ("Key", "Bearer") would mask ordinary words.
		if (trimmed.length >= 8) secrets.add(trimmed);
		const token = trimmed.split(/\s+/).pop() ?? '';
		if (token.length >= 8) secrets.add(token);
	}
	const ordered = [...secrets].sort((a, b) => b.length - a.length);
	return (text) => ordered.reduce((masked, secret) => masked.split(secret).join('***'), text);
}

export interface FetchTransportOptions {
	/** Sent with every authenticated request, e.g. { 'X-API-Key': key }. */
	headers: Record<string, string>;
}

/** A transport on Node's global fetch, for using the provider clients outside n8n. */
export function createFetchTransport(options: FetchTransportOptions): HttpTransport {
	const redact = createRedactor(Object.values(options.headers));
	return {
		redact,
		async send(request) {
			const authenticate = request.authenticate !== false;
			const timeout = request.timeoutMs === undefined ? undefined : AbortSignal.timeout(request.timeoutMs);
			const signals = [request.signal, timeout].filter((signal): signal is AbortSignal => signal !== undefined);
			const signal = signals.length > 0 ? AbortSignal.any(signals) : undefined;
			const where = describeUrl(request.url);
			try {
				const response = await fetch(request.url, {
					method: request.method,
					headers: { ...request.headers, ...(authenticate ? options.headers : {}) },
					body: request.body,
					signal,
					// A redirect would carry the key header to wherever it points; authenticated calls don't follow.
					redirect: authenticate ? 'manual' : 'follow',
				});
				const body = await readCapped(response, request.maxResponseBytes, where);
				return { status: response.status, headers: Object.fromEntries(response.headers), body };
			} catch (error) {
				if (error instanceof TransportError) throw error;
				if (request.signal?.aborted) throw new TransportError('aborted', `The request to ${where} was cancelled`);
				if (timeout?.aborted) {
					throw new TransportError('timeout', `${where} did not answer within ${request.timeoutMs} ms`);
				}
				throw new TransportError('network', `Could not reach ${where}: ${networkReason(error)}`);
			}
		},
	};
}

async function readCapped(response: Response, maxBytes: number | undefined, where: string): Promise<Buffer> {
	const body = response.body;
	if (!body) return Buffer.alloc(0);
	return collectCapped(body, { maxBytes, declaredBytes: Number(response.headers.get('content-length') ?? NaN), where, cancel: () => body.cancel() });
}

export interface CapOptions {
	maxBytes?: number;
	/** The Content-Length, when the server sent one: a body announced too large is refused unread. */
	declaredBytes?: number;
	/** For the error message. */
	where: string;
	cancel(): Promise<void> | void;
}

/** Reads a streamed body, stopping (and cancelling the stream) as soon as it is known to exceed `maxBytes`. */
export async function collectCapped(chunks: AsyncIterable<Uint8Array>, cap: CapOptions): Promise<Buffer> {
	const { maxBytes, where } = cap;
	const refuse = async () => {
		// Cancelling a stream that already ended or broke may reject; the size error is what matters.
		await Promise.resolve(cap.cancel()).catch(() => undefined);
		return tooLarge(where, maxBytes as number);
	};
	if (maxBytes !== undefined && (cap.declaredBytes ?? 0) > maxBytes) throw await refuse();
	const parts: Buffer[] = [];
	let total = 0;
	for await (const chunk of chunks) {
		total += chunk.byteLength;
		if (maxBytes !== undefined && total > maxBytes) throw await refuse();
		parts.push(Buffer.from(chunk));
	}
	return Buffer.concat(parts, total);
}

function tooLarge(where: string, maxBytes: number): TransportError {
	return new TransportError('too_large', `${where} sent more than ${maxBytes} bytes, the limit for this download`);
}

/** undici reports "fetch failed" with the reason (ECONNRESET, ENOTFOUND, …) in `cause`. */
function networkReason(error: unknown): string {
	const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
	return cause?.code ?? cause?.message ?? (error as Error)?.message ?? String(error);
}
