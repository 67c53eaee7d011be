import type { HttpResponse } from './transport';

/**
 * Why a provider call failed, in terms a user can act on. Conditions the local engine also reports use its
 * codes (lib/errors.ts), so a workflow branches on `errorCode` the same way whatever the engine.
 */
export type ProviderErrorCode =
	| 'invalid_key'
	| 'out_of_credits'
	| 'credits_expired'
	| 'rate_limited'
	| 'too_many_bytes'
	| 'unsupported_format'
	| 'invalid_option'
	| 'no_subject_detected'
	| 'empty_mask'
	| 'invalid_bbox'
	| 'invalid_dilation'
	| 'rejected'
	| 'provider_error'
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
	413: 'too_many_bytes',
	415: 'unsupported_format',
	// FastAPI's validation failure (fal, withoutBG, knockout): a field the endpoint could not use.
	422: 'invalid_option',
	429: 'rate_limited',
};

/**
 * The providers' own error codes (knockout's `error.code`, remove.bg's `errors[].code`, fal's `type`) that
 * name a condition in the shared vocabulary; they win over the HTTP status, which is coarser.
 */
const PROVIDER_CODE_MEANINGS: Readonly<Record<string, ProviderErrorCode>> = {
	unauthorized: 'invalid_key',
	auth_failed: 'invalid_key',
	invalid_api_key: 'invalid_key',
	payment_required: 'out_of_credits',
	insufficient_credits: 'out_of_credits',
	rate_limit_exceeded: 'rate_limited',
	file_too_large: 'too_many_bytes',
	payload_too_large: 'too_many_bytes',
	unsupported_format: 'unsupported_format',
	unknown_format: 'unsupported_format',
	image_load_error: 'unsupported_format',
	no_subject_detected: 'no_subject_detected',
	unknown_foreground: 'no_subject_detected',
	empty_mask: 'empty_mask',
	invalid_bbox: 'invalid_bbox',
	invalid_dilation: 'invalid_dilation',
	inpaint_failed: 'provider_error',
};

/** Provider codes for failures the provider calls final: sending the same request again cannot help. */
const FINAL_PROVIDER_CODES = new Set(['inpaint_failed', 'no_subject_detected', 'empty_mask', 'invalid_bbox', 'invalid_dilation']);

const SUMMARIES: Record<ProviderErrorCode, string> = {
	invalid_key: 'invalid API key',
	out_of_credits: 'out of credits',
	credits_expired: 'credits expired',
	rate_limited: 'rate limit exceeded',
	too_many_bytes: 'image too large',
	unsupported_format: 'unsupported image format',
	invalid_option: 'invalid request',
	no_subject_detected: 'no subject detected',
	empty_mask: 'empty mask',
	invalid_bbox: 'box outside the image',
	invalid_dilation: 'invalid dilation',
	rejected: 'request rejected',
	provider_error: 'provider error',
	unreachable: 'could not connect',
	timeout: 'timed out',
	bad_response: 'unexpected response',
	job_failed: 'job failed',
};

const HINTS: Partial<Record<ProviderErrorCode, string>> = {
	invalid_key:
		"Check the API key (and Base URL) in the credential, and that the key is allowed to use this endpoint; the credential's Test button checks it.",
	out_of_credits: "Buy or top up credits in the provider's dashboard, or switch Engine to Local (no credits needed).",
	credits_expired: "The account's credits have expired; renew them in the provider's dashboard, or switch Engine to Local.",
	rate_limited: 'Lower "Requests per Minute" or "Items in Flight", or raise "Attempts".',
	too_many_bytes: 'Turn on "Fit to Provider Limits" to upload a downscaled copy; the output keeps full resolution.',
	unsupported_format: 'Convert the image to PNG or JPEG first, or turn on "Fit to Provider Limits" (it re-encodes).',
	no_subject_detected: 'Give a mask or a bounding box instead.',
	empty_mask: 'White (or a box) marks the area to fill.',
	invalid_bbox: 'Give whole pixels with x + width ≤ image width and y + height ≤ image height.',
	invalid_dilation: 'Dilation must be a whole number of pixels from 0 to 32.',
	provider_error: 'The provider failed; try again later or raise "Attempts".',
	unreachable: 'Check the Base URL in the credential and the network or proxy settings.',
	timeout: 'Raise "Timeout" or try again later.',
};

/** Credits (402, withoutBG's 403): fixed only with the provider, so the message itself says how. */
const ACCOUNT_CODES = new Set<ProviderErrorCode>(['out_of_credits', 'credits_expired']);

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
		const request = details.requestId ? ` (request ${details.requestId})` : '';
		// An account problem is only fixed outside n8n, so what to do is part of the message itself.
		const todo = ACCOUNT_CODES.has(details.code) ? `. ${HINTS[details.code]}` : '';
		super(`${details.provider}: ${SUMMARIES[details.code]}${status}${said}${request}${todo}`);
		this.name = 'ProviderError';
		this.provider = details.provider;
		this.code = details.code;
		this.status = details.status;
		this.providerMessage = details.providerMessage;
		this.providerCode = details.providerCode;
		this.requestId = details.requestId;
		this.hint = ACCOUNT_CODES.has(details.code) ? undefined : HINTS[details.code];
	}
}

export function isProviderError(error: unknown): error is ProviderError {
	return error instanceof ProviderError;
}

export function statusMeaning(status: number, meanings: StatusMeanings = {}): ProviderErrorCode {
	const meaning = meanings[status] ?? DEFAULT_STATUS_MEANINGS[status];
	if (meaning) return meaning;
	return status >= 500 ? 'provider_error' : 'rejected';
}

/** A provider's own code when it names a shared condition, else the status' meaning. */
export function errorMeaning(status: number, providerCode: string | undefined, meanings: StatusMeanings = {}): ProviderErrorCode {
	const named = providerCode === undefined ? undefined : PROVIDER_CODE_MEANINGS[providerCode.toLowerCase()];
	return named ?? statusMeaning(status, meanings);
}

/**
 * Whether an error response is one the provider calls final, so it is not retried even on a 5xx: a known
 * final code in the body (knockout's inpaint_failed) or fal's `X-Fal-Retryable: false`.
 */
export function isFinalFailure(response: HttpResponse): boolean {
	if (response.headers['x-fal-retryable']?.trim().toLowerCase() === 'false') return true;
	const { code } = describeErrorBody(response.body, response.headers['content-type'] ?? '');
	return code !== undefined && FINAL_PROVIDER_CODES.has(code.toLowerCase());
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
		code: errorMeaning(response.status, said.code, meanings),
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
		requestId: nestedRequestId(parsed),
	};
}

const REQUEST_ID_FIELDS = ['request_id', 'requestId'];

/** A `request_id` at the top of the body or nested in it (knockout puts it inside `error` or `detail`). */
function nestedRequestId(value: unknown, depth = 0): string | undefined {
	if (depth > 3) return undefined;
	if (Array.isArray(value)) {
		for (const entry of value) {
			const found = nestedRequestId(entry, depth + 1);
			if (found) return found;
		}
		return undefined;
	}
	if (!isRecord(value)) return undefined;
	for (const name of REQUEST_ID_FIELDS) {
		const field = stringField(value, name);
		if (field) return field;
	}
	for (const nested of Object.values(value)) {
		const found = typeof nested === 'object' ? nestedRequestId(nested, depth + 1) : undefined;
		if (found) return found;
	}
	return undefined;
}

function describeErrorObject(body: Record<string, unknown>): { message?: string; code?: string } {
	const { detail, errors, error } = body;
	if (typeof detail === 'string') return { message: detail, code: stringField(body, 'code') };
	if (Array.isArray(detail)) {
		// fal names what it could not use in the issue's type (image_load_error, …).
		const type = detail.filter(isRecord).map((issue) => stringField(issue, 'type')).find(Boolean);
		return { message: detail.map(validationIssue).filter(Boolean).join('; '), code: type };
	}
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
