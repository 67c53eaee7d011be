import { createHash } from 'node:crypto';
import { type FileHandle, open } from 'node:fs/promises';
import type * as http from 'node:http';
import { basename, dirname } from 'node:path';

import { CutoutError, isCutoutError } from '../../errors';
import { isLoopbackHost } from '../../net/loopback';
import { httpGet, proxyForUrl, type ProxyRoute } from '../../net/proxy';
import { storageFailure } from './files';
import { integrityFailure, type PinnedContent } from './verify';

const MAX_REDIRECTS = 5;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const PROGRESS_STEPS = 10;
const REQUEST_HEADERS = {
	'user-agent': 'n8n-nodes-cutout',
	// The pinned size and hash are those of the raw file, so ask servers not to compress it.
	'accept-encoding': 'identity',
};

export interface FetchSettings {
	idleTimeoutMs: number;
	log: (message: string) => void;
	signal: AbortSignal;
	allowInsecureLoopback: boolean;
}

/** What a fetch wrote to its .part file, and where it finally came from after redirects. */
export interface FetchedBody extends PinnedContent {
	url: URL;
}

/** Where the download currently is, for error messages (the URL and the proxy change with redirects). */
interface Transfer {
	url: URL;
	/** The proxy the current request goes through, if any. */
	route?: ProxyRoute;
	received: number;
	/** Where the file goes, for the hint. */
	dest: string;
}

/**
 * Streams `url` into a new file at `partPath`, hashing it as it goes, and stops early on a body that cannot be
 * the pinned file (announced or sent size over `expectedBytes`). `dest` is where it will end up, for hints.
 */
export async function fetchToFile(url: URL, expectedBytes: number, partPath: string, dest: string, settings: FetchSettings): Promise<FetchedBody> {
	const transfer: Transfer = { url, received: 0, dest };
	const idle = new AbortController();
	const signal = AbortSignal.any([settings.signal, idle.signal]);
	const idleTimer = setTimeout(() => {
		idle.abort(
			new CutoutError(
				'model_download_failed',
				`No data from ${describeSource(transfer)} for ${settings.idleTimeoutMs} ms (after ${transfer.received} of ${expectedBytes} bytes)`,
				hintFor(transfer),
			),
		);
	}, settings.idleTimeoutMs);
	try {
		const response = await openFollowingRedirects(url, expectedBytes, transfer, settings, signal, () => idleTimer.refresh());
		const reportProgress = progressReporter(basename(dest), expectedBytes, settings.log);
		const sha256 = await saveBody(response, partPath, expectedBytes, transfer, () => {
			idleTimer.refresh();
			reportProgress(transfer.received);
		});
		return { url: transfer.url, bytes: transfer.received, sha256 };
	} catch (error) {
		// Aborting destroys the connection, so the error in hand is a consequence; the reason says why.
		throw signal.aborted ? signal.reason : asDownloadFailure(error, transfer, expectedBytes);
	} finally {
		clearTimeout(idleTimer);
	}
}

/**
 * Where a redirect leads, if it may be followed: https anywhere (CDNs live on other hosts), plain http only
 * to loopback in test mode, so an https download is never downgraded.
 */
export function resolveRedirectTarget(from: URL, location: string, allowInsecureLoopback: boolean): URL {
	if (!URL.canParse(location, from.href)) {
		throw new CutoutError(
			'model_download_failed',
			`${describeUrl(from)} redirected to an invalid location "${withoutQuery(location)}"`,
		);
	}
	const target = new URL(location, from);
	const refusal = urlRefusal(target, allowInsecureLoopback);
	if (refusal) {
		const downgrade = from.protocol === 'https:' && target.protocol === 'http:' ? ' (a downgrade from https)' : '';
		throw new CutoutError(
			'model_download_failed',
			`Refusing the redirect from ${describeUrl(from)} to ${describeUrl(target)}: ${refusal}${downgrade}`,
		);
	}
	return target;
}

/** Why a URL may not be downloaded from, or undefined when it may. */
export function urlRefusal(url: URL, allowInsecureLoopback: boolean): string | undefined {
	if (url.protocol === 'https:') return undefined;
	if (url.protocol !== 'http:') return `${url.protocol} URLs are not supported, only https`;
	if (!allowInsecureLoopback) return 'plain http is refused, only https is allowed';
	return isLoopbackHost(url.hostname) ? undefined : 'plain http is only allowed to loopback hosts (127.0.0.0/8, ::1, localhost)';
}

/** Scheme, host and path only: query strings of signed CDN URLs carry tokens, and userinfo carries passwords. */
export function describeUrl(url: URL): string {
	return `${url.protocol}//${url.host}${url.pathname}`;
}

export function withoutQuery(url: string): string {
	return url.split(/[?#]/, 1)[0];
}

export function formatSize(bytes: number): string {
	return bytes >= 1_000_000 ? `${(bytes / 1_000_000).toFixed(1)} MB` : `${Math.ceil(bytes / 1000)} kB`;
}

/** Network errors (reset, refused, DNS, a proxy's refusal) become model_download_failed; our own errors pass through. */
function asDownloadFailure(error: Error, transfer: Transfer, total: number): CutoutError {
	if (isCutoutError(error)) return error;
	const message =
		transfer.received > 0
			? `Download of ${describeSource(transfer)} broke off after ${transfer.received} of ${total} bytes: ${error.message}`
			: `Could not download ${describeSource(transfer)}: ${error.message}`;
	return new CutoutError('model_download_failed', message, hintFor(transfer));
}

/** The URL, and the proxy when there is one (never its credentials). */
function describeSource(transfer: Transfer): string {
	return transfer.route ? `${describeUrl(transfer.url)} through ${transfer.route.description}` : describeUrl(transfer.url);
}

/** What the user can do when the download fails. */
function hintFor(transfer: Transfer): string {
	const copyElsewhere = `or download the file elsewhere and copy it to ${transfer.dest}.`;
	if (!transfer.route) return `Check that this machine can reach ${transfer.url.host}, ${copyElsewhere}`;
	return (
		`Check that ${transfer.route.description} is up and lets this machine reach ${transfer.url.host}, ` +
		`list ${transfer.url.hostname} in NO_PROXY to connect directly, ${copyElsewhere}`
	);
}

async function openFollowingRedirects(
	start: URL,
	expectedBytes: number,
	transfer: Transfer,
	settings: FetchSettings,
	signal: AbortSignal,
	onResponse: () => void,
): Promise<http.IncomingMessage> {
	for (let redirects = 0; ; redirects += 1) {
		transfer.route = proxyForUrl(transfer.url);
		if (transfer.route) settings.log(`Connecting to ${transfer.url.host} through ${transfer.route.description}`);
		const response = await httpGet(transfer.url, transfer.route, REQUEST_HEADERS, signal);
		onResponse();
		const status = response.statusCode ?? 0;
		if (REDIRECT_STATUSES.has(status)) {
			response.destroy();
			const location = response.headers.location;
			if (!location) {
				throw new CutoutError(
					'model_download_failed',
					`${describeSource(transfer)} answered HTTP ${status} without a Location`,
					hintFor(transfer),
				);
			}
			if (redirects === MAX_REDIRECTS) {
				throw new CutoutError('model_download_failed', `${describeUrl(start)} redirected more than ${MAX_REDIRECTS} times`, hintFor(transfer));
			}
			transfer.url = resolveRedirectTarget(transfer.url, location, settings.allowInsecureLoopback);
			settings.log(`Following a redirect to ${describeUrl(transfer.url)}`);
			continue;
		}
		if (status < 200 || status > 299) {
			response.destroy();
			throw new CutoutError(
				'model_download_failed',
				`Downloading ${describeSource(transfer)} failed: HTTP ${status} ${response.statusMessage ?? ''}`.trimEnd(),
				hintFor(transfer),
			);
		}
		const announced = response.headers['content-length'];
		if (announced !== undefined && Number(announced) !== expectedBytes) {
			response.destroy();
			throw integrityFailure(`${describeUrl(transfer.url)} announces ${announced} bytes, but the pinned file has ${expectedBytes}`);
		}
		return response;
	}
}


/** Streams the body into a new .part file, hashing as it goes; refuses more bytes than pinned. */
async function saveBody(
	response: http.IncomingMessage,
	partPath: string,
	expectedBytes: number,
	transfer: Transfer,
	onChunkSaved: () => void,
): Promise<string> {
	const hash = createHash('sha256');
	let part: FileHandle;
	try {
		part = await open(partPath, 'wx');
	} catch (error) {
		response.destroy();
		throw storageFailure(`Could not create ${basename(partPath)}`, dirname(partPath), error);
	}
	try {
		// Throwing out of the loop destroys the response, which closes the connection.
		for await (const data of response) {
			const chunk = data as Buffer;
			transfer.received += chunk.length;
			if (transfer.received > expectedBytes) {
				throw integrityFailure(`${describeUrl(transfer.url)} sent more than the pinned ${expectedBytes} bytes`);
			}
			hash.update(chunk);
			await part.writeFile(chunk).catch((error) => {
				throw storageFailure(`Could not write ${basename(partPath)}`, dirname(partPath), error);
			});
			onChunkSaved();
		}
	} finally {
		await part.close();
	}
	return hash.digest('hex');
}

/** Logs each tenth of the download once, however the body happens to be chunked. */
function progressReporter(name: string, total: number, log: (message: string) => void): (received: number) => void {
	let reportedStep = 0;
	return (received) => {
		const step = Math.floor((received / total) * PROGRESS_STEPS);
		if (step <= reportedStep || step >= PROGRESS_STEPS) return;
		reportedStep = step;
		log(`${name}: ${(step * 100) / PROGRESS_STEPS} % (${formatSize(received)} of ${formatSize(total)})`);
	};
}
