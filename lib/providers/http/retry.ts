import { CutoutError } from '../../errors';
import { type Clock, systemClock } from './clock';
import { type HttpRequest, type HttpResponse, type HttpTransport, TransportError } from './transport';

export interface RetryPolicy {
	/** Tries in all, the first included (1 = never retry). */
	attempts: number;
	/** Backoff ceiling before the first retry; it doubles per retry and full jitter picks uniformly below it. */
	baseDelayMs: number;
	/** Ceiling for any one backoff. */
	maxDelayMs: number;
	/** The longest wait a server may ask for (Retry-After, X-RateLimit-Reset); asking for more ends the retries. */
	maxServerDelayMs: number;
	/** Time allowed for one attempt, upload and download included. */
	timeoutMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
	attempts: 3,
	baseDelayMs: 1_000,
	maxDelayMs: 30_000,
	maxServerDelayMs: 60_000,
	timeoutMs: 120_000,
};

/** Fills defaults and rejects values that would loop forever or never wait. */
export function retryPolicy(overrides: Partial<RetryPolicy> = {}): RetryPolicy {
	const policy = { ...DEFAULT_RETRY_POLICY, ...withoutUndefined(overrides) };
	const check = (name: keyof RetryPolicy, min: number, max: number, integer = false) => {
		const value = policy[name];
		if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
			throw new CutoutError('invalid_option', `Retry option ${name} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got ${String(value)}`);
		}
	};
	check('attempts', 1, 10, true);
	check('baseDelayMs', 0, 600_000);
	check('maxDelayMs', 0, 600_000);
	check('maxServerDelayMs', 0, 3_600_000);
	check('timeoutMs', 1, 3_600_000);
	return policy;
}

export interface RetryInfo {
	/** The attempt that failed, from 1. */
	attempt: number;
	attempts: number;
	delayMs: number;
	reason: string;
}

export interface RetryHooks {
	signal?: AbortSignal;
	clock?: Clock;
	/** In [0, 1); Math.random unless a test pins it. */
	random?: () => number;
	/** Runs before every attempt, retries included: the per-credential throttle waits here. */
	beforeAttempt?: (signal?: AbortSignal) => Promise<void>;
	onRetry?: (info: RetryInfo) => void;
	/** A failure the provider calls final (e.g. knockout's 500 inpaint_failed) returns at once, unretried. */
	isFinal?: (response: HttpResponse) => boolean;
}

/**
 * Sends a request, retrying 429, 5xx and network failures with exponential backoff and full jitter, or after
 * the server's own Retry-After / X-RateLimit-Reset. Other statuses return at once. When the attempts run out
 * the last response is returned (or the last network error thrown), so the caller reports the real cause.
 */
export async function sendWithRetry(
	transport: HttpTransport,
	request: HttpRequest,
	policy: RetryPolicy,
	hooks: RetryHooks = {},
): Promise<HttpResponse> {
	const clock = hooks.clock ?? systemClock;
	const random = hooks.random ?? Math.random;
	for (let attempt = 1; ; attempt++) {
		const last = attempt >= policy.attempts;
		await hooks.beforeAttempt?.(hooks.signal);
		let delayMs: number;
		let reason: string;
		try {
			const response = await transport.send({ ...request, timeoutMs: policy.timeoutMs, signal: hooks.signal });
			if (!isRetryableStatus(response.status) || last || hooks.isFinal?.(response)) return response;
			const requested = serverRequestedDelay(response, clock.now());
			if (requested !== undefined && requested > policy.maxServerDelayMs) return response;
			delayMs = requested ?? backoffDelay(attempt, policy, random);
			reason = `HTTP ${response.status}`;
		} catch (error) {
			if (!(error instanceof TransportError) || !isRetryableFailure(error) || last) throw error;
			delayMs = backoffDelay(attempt, policy, random);
			reason = error.message;
		}
		hooks.onRetry?.({ attempt, attempts: policy.attempts, delayMs, reason });
		await clock.sleep(delayMs, hooks.signal);
	}
}

export function isRetryableStatus(status: number): boolean {
	return status === 429 || (status >= 500 && status <= 599);
}

function isRetryableFailure(error: TransportError): boolean {
	return error.failure === 'network' || error.failure === 'timeout';
}

/** Full jitter: uniform in [0, min(max, base·2^(attempt−1))). */
export function backoffDelay(attempt: number, policy: RetryPolicy, random: () => number): number {
	const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
	return Math.floor(random() * ceiling);
}

/**
 * Retry-After as seconds or an HTTP date; on 429 also remove.bg's X-RateLimit-Reset (unix seconds).
 * Undefined when the server named no time (or an unreadable one).
 */
export function serverRequestedDelay(response: HttpResponse, now: number): number | undefined {
	const retryAfter = response.headers['retry-after']?.trim();
	if (retryAfter) {
		if (/^\d+(\.\d+)?$/.test(retryAfter)) return Math.ceil(Number(retryAfter) * 1000);
		const date = Date.parse(retryAfter);
		if (!Number.isNaN(date)) return Math.max(0, date - now);
	}
	const reset = response.headers['x-ratelimit-reset']?.trim();
	if (response.status === 429 && reset && /^\d+$/.test(reset)) return Math.max(0, Number(reset) * 1000 - now);
	return undefined;
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
	return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
