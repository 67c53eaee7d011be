import type { IExecuteFunctions, IHttpRequestOptions, IN8nHttpFullResponse } from 'n8n-workflow';
import type { Readable } from 'node:stream';

import {
	collectCapped,
	createRedactor,
	describeUrl,
	type HttpRequest,
	type HttpTransport,
	TransportError,
} from '../../lib/providers/http/transport';

/**
 * The provider clients' transport inside n8n: authenticated calls go through httpRequestWithAuthentication,
 * so n8n injects the credential (its `authenticate` block), applies proxy settings and outbound filtering,
 * and stops the request when the execution is cancelled. Result files from a provider's file host go
 * through httpRequest without the credential. HTTP statuses come back as responses, never as errors.
 */
export function createN8nTransport(ctx: IExecuteFunctions, credentialType: string, secrets: string[]): HttpTransport {
	const redact = createRedactor(secrets);
	return {
		redact,
		async send(request) {
			const authenticate = request.authenticate !== false;
			const streamed = request.maxResponseBytes !== undefined;
			const options: IHttpRequestOptions = {
				method: request.method,
				url: request.url,
				headers: request.headers,
				body: request.body as IHttpRequestOptions['body'],
				returnFullResponse: true,
				encoding: streamed ? 'stream' : 'arraybuffer',
				ignoreHttpStatusErrors: true,
				timeout: request.timeoutMs,
				// A redirect would carry the key header to wherever it points.
				disableFollowRedirect: authenticate,
				sendCredentialsOnCrossOriginRedirect: false,
				abortSignal: request.signal,
				json: false,
			};
			const where = describeUrl(request.url);
			let response: IN8nHttpFullResponse;
			try {
				response = authenticate
					? await ctx.helpers.httpRequestWithAuthentication.call(ctx, credentialType, options)
					: await ctx.helpers.httpRequest(options);
			} catch (error) {
				throw transportError(error, request, where, redact);
			}
			const headers = lowerCaseHeaders(response.headers);
			if (streamed) {
				const stream = response.body as Readable;
				const cap = {
					maxBytes: request.maxResponseBytes,
					declaredBytes: Number(headers['content-length'] ?? NaN),
					where,
					cancel: () => void stream.destroy(),
				};
				const body = await collectCapped(stream, cap).catch((error: unknown) => {
					throw error instanceof TransportError ? error : transportError(error, request, where, redact);
				});
				return { status: response.statusCode, headers, body };
			}
			return { status: response.statusCode, headers, body: Buffer.from(response.body as ArrayBuffer) };
		},
	};
}

/**
 * n8n wraps axios failures in a NodeApiError. n8n-workflow's error classes drop an Error `cause`, and
 * replace the message with a generic one for codes like ECONNABORTED, keeping the original in `messages`;
 * so every text is read. Only the failure kind and a redacted reason leave here, never the request config.
 */
function transportError(error: unknown, request: HttpRequest, where: string, redact: (text: string) => string): TransportError {
	if (request.signal?.aborted) return new TransportError('aborted', `The request to ${where} was cancelled`);
	const failure = error as { cause?: { code?: string; message?: string }; code?: string; messages?: unknown[]; message?: string };
	const code = failure?.cause?.code ?? failure?.code;
	const texts = [failure?.cause?.message, ...(failure?.messages ?? []), failure?.message].filter((text): text is string => typeof text === 'string');
	if (code === 'ERR_CANCELED' || texts.some((text) => /\bcancel/i.test(text))) {
		return new TransportError('aborted', `The request to ${where} was cancelled`);
	}
	if (code === 'ETIMEDOUT' || texts.some((text) => /timeout|timed out/i.test(text))) {
		return new TransportError('timeout', `${where} did not answer within ${request.timeoutMs} ms`);
	}
	return new TransportError('network', redact(`Could not reach ${where}: ${code ?? texts[0] ?? String(error)}`));
}

function lowerCaseHeaders(headers: IN8nHttpFullResponse['headers']): Record<string, string> {
	const result: Record<string, string> = {};
	for (const [name, value] of Object.entries(headers ?? {})) {
		if (value !== undefined && value !== null) result[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
	}
	return result;
}
