import type { HttpResponse } from './transport';

/** Why a provider call failed, in terms a user can act on. */
export type ProviderErrorCode =
	| 'invalid_key'
	| 'out_of_credits'
	| 'credits_expired'
	| 'rate_limited'
	| 'too_large'
	| 'rejected'
	| 'server_error'
	| 'unreachable'
	| 'timeout'
	| 'bad_response'
	| 'job_failed';

/** How a provider's HTTP statuses read; only the ones that differ from DEFAULT_STATUS_MEANINGS are listed. */
export type StatusMeanings = Partial<Record<number, ProviderErrorCode>>;

const DEFAULT_STATUS_MEANINGS: StatusMeanings = {
	401: 'invalid_key',
	402: 'out_of_credits',
	403: 'invalid_key',
	413: 'too_large',
	429: 'rate_limited',
};

const SUMMARIES: Record<ProviderErrorCode, string> = {
	invalid_key: 'invalid API key',
	out_of_credits: 'out of credits',
	credits_expired: 'credits expired',
	rate_limited: 'rate limit exceeded',
	too_large: 'image too large',
	rejected: 'request rejected',
	server_error: 'server error',
	unreachable: 'could not connect',
	timeout: 'timed out',
	bad_response: 'unexpected response',
	job_failed: 'job failed',
};

const HINTS: Partial<Record<ProviderErrorCode, string>> = {
	invalid_key: 'Check the API key (and Base URL) in the credential.',
	out_of_credits: 'Add credits to the provider account.',
	credits_expired: "The account's credits have expired; renew them with the provider.",
	rate_limited: 'Lower "Requests per Minute" or "Items in Flight", or raise "Attempts".',
	too_large: 'Turn on "Fit to Provider Limits" to upload a downscaled copy; the output keeps full resolution.',
	server_error: 'The provider failed; try again later or raise "Attempts".',
	unreachable: 'Check the Base URL in the credential and the network or proxy settings.',
	timeout: 'Raise "Timeout" or try again later.',
};

export interface ProviderErrorDetails {
	provider: string;
	code: ProviderErrorCode;
	status?: number;
	/** What the provider said, already cleaned and redacted. */
	providerMessage?: string;
	/** The provider's own error code, e.g. remove.bg "file_too_large". */
	providerCode?: string;
	requestId?: string;
}

/** A failed provider call: the HTTP status, the provider's words and request id, and what to do about it. */
export class ProviderError extends Error {
	readonly provider: string;
	readonly code: ProviderErrorCode;
	readonly status?: number;
	readonly providerMessage?: string;
	readonly providerCode?: string;
	readonly requestId?: string;
	/** Guidance for the user, shown as the error description in n8n. */
	readonly hint?: string;

	constructor(details: ProviderErrorDetails) {
		const status = details.status === undefined ? '' : ` (HTTP ${details.status})`;
		const said = details.providerMessage ? `: ${details.providerMessage}` : '';
		super(`${details.provider}: ${SUMMARIES[details.code]}${status}${said}`);
		this.name = 'ProviderError';
		this.provider = details.provider;
		this.code = details.code;
		this.status = details.status;
		this.providerMessage = details.providerMessage;
		this.providerCode = details.providerCode;
		this.requestId = details.requestId;
		this.hint = HINTS[details.code];
	}
}

export function isProviderError(error: unknown): error is ProviderError {
	return error instanceof ProviderError;
}

export function statusMeaning(status: number, meanings: StatusMeanings = {}): ProviderErrorCode {
	const meaning = meanings[status] ?? DEFAULT_STATUS_MEANINGS[status];
	if (meaning) return meaning;
	return status >= 500 ? 'server_error' : 'rejected';
}

/** Builds the error for a non-2xx response, reading whatever error body shape the provider used. */
export function errorFromResponse(
	provider: string,
	response: HttpResponse,
	meanings: StatusMeanings,
	redact: (text: string) => string,
): ProviderError {
	const said = describeErrorBody(response.body, response.headers['content-type'] ?? '');
	return new ProviderError({
		provider,
		code: statusMeaning(response.status, meanings),
		status: response.status,
		providerMessage: said.message ? redact(said.message) : undefined,
		providerCode: said.code,
		requestId: said.requestId ?? requestIdFromHeaders(response.headers),
	});
}

export interface ErrorBodyDescription {
	message?: string;
	code?: string;
	requestId?: string;
}

const MAX_MESSAGE_CHARS = 300;

/**
 * Reads the error bodies these providers send: FastAPI `{"detail": "…"}` or `{"detail": [{loc, msg}]}`
 * (fal, withoutBG, knockout), remove.bg `{"errors": [{title, code, detail}]}`, Clipdrop `{"error": "…"}`,
 * `{"error": {code, message}}`, HTML error pages from proxies, and plain or malformed text.
 */
export function describeErrorBody(body: Buffer, contentType: string): ErrorBodyDescription {
	const text = body.toString('utf8').trim();
	if (!text) return {};
	let parsed: unknown;
	try {
		parsed = JSON.parse(text);
	} catch {
		return { message: clip(isHtml(text, contentType) ? htmlSummary(text) : text) };
	}
	if (!isRecord(parsed)) return { message: clip(text) };
	const found = describeErrorObject(parsed);
	return {
		message: found.message ? clip(found.message) : undefined,
		code: found.code,
		requestId: stringField(parsed, 'request_id') ?? stringField(parsed, 'requestId'),
	};
}

function describeErrorObject(body: Record<string, unknown>): { message?: string; code?: string } {
	const { detail, errors, error } = body;
	if (typeof detail === 'string') return { message: detail, code: stringField(body, 'code') };
	if (Array.isArray(detail)) return { message: detail.map(validationIssue).filter(Boolean).join('; ') };
	if (isRecord(detail)) return messageAndCode(detail);
	if (Array.isArray(errors)) {
		const records = errors.filter(isRecord);
		const message = records
			.map((entry) => [stringField(entry, 'title'), stringField(entry, 'detail')].filter(Boolean).join(' – '))
			.filter(Boolean)
			.join('; ');
		return { message, code: records.map((entry) => stringField(entry, 'code')).find(Boolean) };
	}
	if (typeof error === 'string') return { message: error, code: stringField(body, 'code') };
	if (isRecord(error)) return messageAndCode(error);
	return messageAndCode(body);
}

function messageAndCode(record: Record<string, unknown>): { message?: string; code?: string } {
	return {
		message: stringField(record, 'message') ?? stringField(record, 'msg') ?? stringField(record, 'title'),
		code: stringField(record, 'code') ?? stringField(record, 'type'),
	};
}

/** One FastAPI/pydantic validation issue: "body.operating_resolution: Input should be …". */
function validationIssue(issue: unknown): string {
	if (!isRecord(issue)) return typeof issue === 'string' ? issue : '';
	const location = Array.isArray(issue.loc) ? issue.loc.join('.') : '';
	const message = stringField(issue, 'msg') ?? stringField(issue, 'message') ?? '';
	return location ? `${location}: ${message}` : message;
}

function isHtml(text: string, contentType: string): boolean {
	return contentType.includes('html') || /^<(!doctype|html)/i.test(text);
}

/** A proxy's or load balancer's error page: its title or first heading, never the markup. */
function htmlSummary(html: string): string {
	const title = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(html)?.[1] ?? /<h1[^>]*>([\s\S]*?)<\/h1>/i.exec(html)?.[1];
	const words = title?.replace(/<[^>]+>/g, ' ').trim();
	return words ? `an HTML error page ("${words}")` : 'an HTML error page';
}

function clip(text: string): string {
	const oneLine = text.replace(/\s+/g, ' ').trim();
	return oneLine.length > MAX_MESSAGE_CHARS ? `${oneLine.slice(0, MAX_MESSAGE_CHARS - 1)}…` : oneLine;
}

const REQUEST_ID_HEADERS = ['x-fal-request-id', 'x-request-id', 'request-id', 'x-amzn-requestid'];

export function requestIdFromHeaders(headers: Record<string, string>): string | undefined {
	for (const name of REQUEST_ID_HEADERS) if (headers[name]) return headers[name];
	return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringField(record: Record<string, unknown>, name: string): string | undefined {
	const value = record[name];
	return typeof value === 'string' && value.trim() ? value : undefined;
}
