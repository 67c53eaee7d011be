import { ProviderError } from '../http/errors';
import type { ProviderSession } from '../http/session';

/**
 * fal's two ways to run a model. The queue (default): POST to queue.fal.run/<model> returns request_id,
 * status_url and response_url; poll status_url (IN_QUEUE → IN_PROGRESS → COMPLETED) and then GET
 * response_url. The returned URLs are followed as given, since a model's subpath (birefnet's /v2) appears
 * only in the submit URL. Sync: one blocking POST to fal.run/<model>.
 */
export interface FalRunOptions {
	sync: boolean;
	/** Queue only: how long the job may take, waiting in the queue included. */
	jobTimeoutMs: number;
}

export interface FalOutput {
	output: Record<string, unknown>;
	requestId?: string;
	meta: Record<string, string | number>;
}

const FIRST_POLL_MS = 250;
const POLL_GROWTH = 1.5;
const MAX_POLL_MS = 5_000;
const WAITING = new Set(['IN_QUEUE', 'IN_PROGRESS']);

export async function runFalModel(session: ProviderSession, modelId: string, input: object, options: FalRunOptions): Promise<FalOutput> {
	const body = JSON.stringify(input);
	const headers = { 'content-type': 'application/json' };
	if (options.sync) {
		const syncBase = session.context.syncBaseUrl ?? session.context.baseUrl;
		const { body: output, response } = await session.json({ method: 'POST', url: session.url(modelId, syncBase), headers, body });
		return { output: record(session, output, 'output'), requestId: response.headers['x-fal-request-id'], meta: {} };
	}

	const submitted = await session.json({ method: 'POST', url: session.url(modelId), headers, body });
	const job = record(session, submitted.body, 'queue submission');
	const requestId = stringField(session, job, 'request_id');
	const statusUrl = onConfiguredHost(session, stringField(session, job, 'status_url'));
	const responseUrl = onConfiguredHost(session, stringField(session, job, 'response_url'));
	const deadline = session.clock.now() + options.jobTimeoutMs;

	let pause = FIRST_POLL_MS;
	for (;;) {
		const status = record(session, (await session.json({ method: 'GET', url: statusUrl })).body, 'status');
		const state = stringField(session, status, 'status');
		if (state === 'COMPLETED') {
			const result = await session.json({ method: 'GET', url: responseUrl });
			return { output: record(session, result.body, 'output'), requestId, meta: metricsOf(status) };
		}
		if (!WAITING.has(state)) throw session.badResponse(undefined, `unknown queue status "${state}" for request ${requestId}`);
		if (session.clock.now() + pause > deadline) {
			await cancelJob(session, job.cancel_url, requestId);
			throw new ProviderError({
				provider: session.name,
				code: 'timeout',
				providerMessage: `the job was still ${state} after ${Math.round(options.jobTimeoutMs / 1000)} s and was cancelled`,
				requestId,
			});
		}
		await session.wait(pause);
		pause = Math.min(MAX_POLL_MS, pause * POLL_GROWTH);
	}
}

/**
 * The key goes only to the configured host: a returned URL on another origin (e.g. a proxy passing fal's
 * own URLs through) is taken as a path under the configured base URL.
 */
function onConfiguredHost(session: ProviderSession, returned: string): string {
	let url: URL;
	try {
		url = new URL(returned);
	} catch {
		throw session.badResponse(undefined, `the queue returned ${JSON.stringify(returned)}, which is not a URL`);
	}
	if (url.origin === new URL(session.context.baseUrl).origin) return url.href;
	return session.url(`${url.pathname}${url.search}`);
}

/** Frees the queue slot of a job we gave up on; failing to do so is worth a log line, not a second error. */
async function cancelJob(session: ProviderSession, cancelUrl: unknown, requestId: string): Promise<void> {
	if (typeof cancelUrl !== 'string') return;
	try {
		await session.send({ method: 'PUT', url: onConfiguredHost(session, cancelUrl) });
	} catch (error) {
		session.log(`could not cancel request ${requestId}: ${(error as Error).message}`);
	}
}

/** fal reports inference time in the completed status' metrics. */
function metricsOf(status: Record<string, unknown>): Record<string, string | number> {
	const metrics = status.metrics as Record<string, unknown> | undefined;
	const seconds = metrics?.inference_time;
	return typeof seconds === 'number' ? { inferenceSeconds: seconds } : {};
}

export function record(session: ProviderSession, value: unknown, what: string): Record<string, unknown> {
	if (typeof value !== 'object' || value === null || Array.isArray(value)) {
		throw session.badResponse(undefined, `the ${what} is not a JSON object`);
	}
	return value as Record<string, unknown>;
}

function stringField(session: ProviderSession, value: Record<string, unknown>, name: string): string {
	const field = value[name];
	if (typeof field !== 'string' || !field) throw session.badResponse(undefined, `the queue's answer has no "${name}"`);
	return field;
}
