import { CutoutError } from '../../errors';
import { type Clock, systemClock } from './clock';
import { errorFromResponse, isFinalFailure, ProviderError, requestIdFromHeaders } from './errors';
import { retryPolicy, type RetryPolicy, sendWithRetry } from './retry';
import { describeUrl, type HttpRequest, type HttpResponse, TransportError } from './transport';
import type { AccountReport, ProviderContext, ProviderResult, RemoteProvider, UploadFile } from '../types';

/**
 * One provider call's view of the network: requests go through the throttle and the retry policy, and
 * every failure comes out as a ProviderError (or a CutoutError 'aborted' when the caller cancelled).
 */
export class ProviderSession {
	readonly provider: RemoteProvider;
	readonly context: ProviderContext;
	readonly clock: Clock;
	private readonly policy: RetryPolicy;

	constructor(provider: RemoteProvider, context: ProviderContext) {
		this.provider = provider;
		this.context = context;
		this.clock = context.clock ?? systemClock;
		this.policy = retryPolicy(context.retry);
	}

	get name(): string {
		return this.provider.displayName;
	}

	/** `path` under the base URL; a base with a path prefix (a proxy) keeps it. */
	url(path: string, base = this.context.baseUrl): string {
		return `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
	}

	log(message: string): void {
		this.context.log?.(`${this.name}: ${message}`);
	}

	/** Sends with throttle and retries; a non-2xx status becomes a ProviderError. */
	async send(request: HttpRequest): Promise<HttpResponse> {
		const { transport, throttle, signal, random } = this.context;
		let response: HttpResponse;
		try {
			response = await sendWithRetry(transport, request, this.policy, {
				signal,
				clock: this.clock,
				random,
				beforeAttempt: throttle ? (abort) => throttle.acquire(abort) : undefined,
				isFinal: isFinalFailure,
				onRetry: ({ attempt, attempts, delayMs, reason }) =>
					this.log(`${reason} from ${describeUrl(request.url)}; retry ${attempt} of ${attempts - 1} in ${(delayMs / 1000).toFixed(1)} s`),
			});
		} catch (error) {
			throw this.transportFailure(error);
		}
		if (response.status >= 300 && response.status < 400) {
			// Authenticated calls don't follow redirects (the key header would go along), so say where it pointed.
			const target = response.headers.location ? describeUrl(new URL(response.headers.location, request.url).href) : 'elsewhere';
			throw this.badResponse(response, `redirect (HTTP ${response.status}) to ${target}; set the credential's Base URL to that address`);
		}
		if (response.status >= 400) {
			throw errorFromResponse(this.name, response, this.provider.statusMeanings ?? {}, transport.redact);
		}
		return response;
	}

	/** A JSON body; anything else (HTML, truncated JSON) is a bad_response naming what arrived. */
	async json(request: HttpRequest): Promise<{ body: unknown; response: HttpResponse }> {
		const response = await this.send({ ...request, headers: { accept: 'application/json', ...request.headers } });
		try {
			return { body: JSON.parse(response.body.toString('utf8')), response };
		} catch {
			throw this.badResponse(response, `malformed JSON from ${describeUrl(request.url)} (${contentTypeOf(response)})`);
		}
	}

	/** An image body; a JSON or HTML answer with status 200 is a bad_response, not a broken picture. */
	async image(request: HttpRequest): Promise<HttpResponse> {
		const response = await this.send(request);
		const contentType = contentTypeOf(response);
		if (!contentType.startsWith('image/')) {
			throw this.badResponse(response, `${contentType} instead of an image from ${describeUrl(request.url)}`);
		}
		return response;
	}

	/** Waits (between polls), ending early with CutoutError 'aborted' when the caller cancels. */
	async wait(ms: number): Promise<void> {
		try {
			await this.clock.sleep(ms, this.context.signal);
		} catch (error) {
			throw this.transportFailure(error);
		}
	}

	badResponse(response: HttpResponse | undefined, message: string): ProviderError {
		return new ProviderError({
			provider: this.name,
			code: 'bad_response',
			providerMessage: message,
			requestId: response ? requestIdFromHeaders(response.headers) : undefined,
		});
	}

	private transportFailure(error: unknown): Error {
		if (!(error instanceof TransportError)) return error as Error;
		const message = this.context.transport.redact(error.message);
		switch (error.failure) {
			case 'aborted':
				return new CutoutError('aborted', `${this.name}: ${message}`);
			case 'timeout':
				return new ProviderError({ provider: this.name, code: 'timeout', providerMessage: message });
			case 'too_large':
				return new ProviderError({ provider: this.name, code: 'bad_response', providerMessage: message });
			default:
				return new ProviderError({ provider: this.name, code: 'unreachable', providerMessage: message });
		}
	}
}

function contentTypeOf(response: HttpResponse): string {
	return (response.headers['content-type'] ?? 'no content type').split(';')[0].trim().toLowerCase();
}

/** A multipart body; `undefined` fields are left out, files go as Blobs with their name and type. */
export function multipart(fields: Record<string, string | number | boolean | UploadFile | undefined>): FormData {
	const form = new FormData();
	for (const [name, value] of Object.entries(fields)) {
		if (value === undefined) continue;
		if (typeof value === 'object') form.append(name, new Blob([value.data], { type: value.mimeType }), value.fileName);
		else form.append(name, String(value));
	}
	return form;
}

/** The named response headers that are present, numbers as numbers: credits, latency, model. */
export function headerMeta(headers: Record<string, string>, names: readonly string[]): Record<string, string | number> {
	const meta: Record<string, string | number> = {};
	for (const name of names) {
		const value = headers[name];
		if (value === undefined || value === '') continue;
		meta[name] = /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
	}
	return meta;
}

/** A binary answer as a ProviderResult: the body as cutout or mask, the request id and the named headers. */
export function binaryResult(response: HttpResponse, field: 'image' | 'mask', metaHeaders: readonly string[] = []): ProviderResult {
	return { [field]: response.body, requestId: requestIdFromHeaders(response.headers), meta: headerMeta(response.headers, metaHeaders) };
}

/** Named fields of an account answer (dotted paths into the JSON), under the shared AccountReport keys. */
export function pickAccount(body: unknown, paths: Record<string, string>): AccountReport {
	const report: AccountReport = {};
	for (const [key, path] of Object.entries(paths)) {
		const value = path
			.split('.')
			.reduce<unknown>((node, part) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[part] : undefined), body);
		if (typeof value === 'number' || (typeof value === 'string' && value)) report[key] = value;
	}
	return report;
}
