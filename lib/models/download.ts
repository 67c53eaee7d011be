import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, type Stats } from 'node:fs';
import { type FileHandle, mkdir, open, readFile, readdir, rename, stat, unlink, utimes } from 'node:fs/promises';
import * as http from 'node:http';
import * as https from 'node:https';
import { hostname } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { CutoutError, isCutoutError } from '../errors';
import { isLoopbackHost } from '../net/loopback';

/** A file identified by its exact size and SHA-256, so whatever the URL serves is checked before use. */
export interface PinnedFile {
	url: string;
	bytes: number;
	sha256: string;
}

export interface DownloadOptions {
	/** Abort when no byte arrives for this long, while connecting, between redirects or mid-body. Default 60 s. */
	idleTimeoutMs?: number;
	/** Receives progress lines: start, every 10 %, done. URLs in them never include query strings. */
	log?: (message: string) => void;
	/** Cancels this call; a download shared with other callers stops only when all of them have cancelled. */
	signal?: AbortSignal;
	/** Tests only: allow plain http to 127.0.0.0/8, ::1 and localhost. Everything else must be https. */
	allowInsecureLoopback?: boolean;
}

const DEFAULT_IDLE_TIMEOUT_MS = 60_000;
/** setTimeout's ceiling; longer delays fire immediately. */
const MAX_TIMER_MS = 2_147_483_647;
const MAX_REDIRECTS = 5;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const PROGRESS_STEPS = 10;
/** The lock holder touches its lock this often, so waiters can tell a live download from a dead process. */
const LOCK_REFRESH_MS = 5_000;
/**
 * A lock untouched this long belongs to a process that died (crash, OOM kill, container stop). Several refresh
 * intervals, because a busy event loop in the holder delays refreshes; a wrong takeover only costs a second
 * download, since every download writes its own .part file and renames it into place after verification.
 */
const LOCK_STALE_MS = 30_000;
const LOCK_POLL_MS = 250;
const PART_ID_BYTES = 6;
const PART_SUFFIX = new RegExp(`^[0-9a-f]{${PART_ID_BYTES * 2}}\\.part$`);
const SHA256_PATTERN = /^[0-9a-f]{64}$/i;
const REQUEST_HEADERS = {
	'user-agent': 'n8n-nodes-cutout',
	// The pinned size and hash are those of the raw file, so ask servers not to compress it.
	'accept-encoding': 'identity',
};

interface Pin {
	url: URL;
	bytes: number;
	sha256: string;
}

interface FetchSettings {
	idleTimeoutMs: number;
	log: (message: string) => void;
	signal: AbortSignal;
	allowInsecureLoopback: boolean;
}

/** The caller's own signal; the fetch itself runs on its flight's signal. */
type CallSettings = Omit<FetchSettings, 'signal'> & { signal?: AbortSignal };

/** One fetch per destination in this process; every concurrent caller for that path waits on it. */
interface Flight {
	sha256: string;
	done: Promise<string>;
	controller: AbortController;
	/** Callers still waiting for the result; the fetch is cancelled when the last one cancels. */
	callers: number;
}

const flights = new Map<string, Flight>();

/**
 * SHA-256 of files this process has hashed, by path; trusted while size, mtime and inode stay the same, so a
 * large cached model is hashed once per process rather than on every use.
 */
const hashedFiles = new Map<string, { stamp: string; sha256: string }>();

/**
 * Downloads `file` to `destPath` unless a verified copy is already there, and returns the absolute path.
 * Concurrent calls for the same path share one fetch (with the first caller's log and idle timeout), and
 * processes sharing the folder take turns through a `<destPath>.lock` file.
 */
export async function ensurePinnedFile(file: PinnedFile, destPath: string, options: DownloadOptions = {}): Promise<string> {
	const settings = checkOptions(options);
	const pin = checkPin(file, settings.allowInsecureLoopback);
	const dest = checkDestPath(destPath);
	if (settings.signal?.aborted) throw cancelled(dest);

	let flight = flights.get(dest);
	if (flight && flight.sha256 !== pin.sha256) {
		throw invalidOption(
			`${dest} is already being fetched with SHA-256 ${flight.sha256.slice(0, 12)}…, not ${pin.sha256.slice(0, 12)}…`,
		);
	}
	flight ??= startFlight(pin, dest, settings);
	return await joinFlight(flight, dest, settings.signal);
}

export async function sha256OfFile(path: string): Promise<string> {
	const hash = createHash('sha256');
	for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
	return hash.digest('hex');
}

/** Forgets which files this process has hashed, so the next use hashes them again, as a new process would. */
export function forgetVerifiedFiles(): void {
	hashedFiles.clear();
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

// ---- Options ----

function checkOptions(options: DownloadOptions): CallSettings {
	const { idleTimeoutMs = DEFAULT_IDLE_TIMEOUT_MS, log, signal, allowInsecureLoopback = false } = options;
	if (!Number.isSafeInteger(idleTimeoutMs) || idleTimeoutMs < 1 || idleTimeoutMs > MAX_TIMER_MS) {
		throw invalidOption(`idleTimeoutMs must be a whole number of milliseconds from 1 to ${MAX_TIMER_MS}, got ${String(idleTimeoutMs)}`);
	}
	if (log !== undefined && typeof log !== 'function') {
		throw invalidOption(`log must be a function, got ${typeof log}`);
	}
	// Duck-typed rather than instanceof, so signals from another realm (vm, test environments) are accepted.
	if (signal !== undefined && (typeof signal?.aborted !== 'boolean' || typeof signal.addEventListener !== 'function')) {
		throw invalidOption(`signal must be an AbortSignal, got ${typeof signal}`);
	}
	if (typeof allowInsecureLoopback !== 'boolean') {
		throw invalidOption(`allowInsecureLoopback must be true or false, got ${typeof allowInsecureLoopback}`);
	}
	return { idleTimeoutMs, log: log ?? (() => undefined), signal, allowInsecureLoopback };
}

function checkPin(file: PinnedFile, allowInsecureLoopback: boolean): Pin {
	if (typeof file !== 'object' || file === null) {
		throw invalidOption(`The file to download must be an object with url, bytes and sha256, got ${String(file)}`);
	}
	if (typeof file.url !== 'string' || !URL.canParse(file.url)) {
		throw invalidOption(`"${withoutQuery(String(file.url))}" is not a valid URL`);
	}
	const url = new URL(file.url);
	const refusal = urlRefusal(url, allowInsecureLoopback);
	if (refusal) throw invalidOption(`Refusing to download ${describeUrl(url)}: ${refusal}`);
	if (!Number.isSafeInteger(file.bytes) || file.bytes < 1) {
		throw invalidOption(`The pinned size of ${describeUrl(url)} must be a positive whole number of bytes, got ${String(file.bytes)}`);
	}
	if (typeof file.sha256 !== 'string' || !SHA256_PATTERN.test(file.sha256)) {
		throw invalidOption(`The pinned SHA-256 of ${describeUrl(url)} must be 64 hex digits, got "${String(file.sha256)}"`);
	}
	return { url, bytes: file.bytes, sha256: file.sha256.toLowerCase() };
}

function checkDestPath(destPath: string): string {
	if (typeof destPath !== 'string' || destPath.trim() === '') {
		throw invalidOption(`The destination path must be a non-empty string, got ${JSON.stringify(destPath)}`);
	}
	return resolve(destPath);
}

function urlRefusal(url: URL, allowInsecureLoopback: boolean): string | undefined {
	if (url.protocol === 'https:') return undefined;
	if (url.protocol !== 'http:') return `${url.protocol} URLs are not supported, only https`;
	if (!allowInsecureLoopback) return 'plain http is refused, only https is allowed';
	return isLoopbackHost(url.hostname) ? undefined : 'plain http is only allowed to loopback hosts (127.0.0.0/8, ::1, localhost)';
}

// ---- Sharing one fetch between concurrent callers ----

function startFlight(pin: Pin, dest: string, settings: CallSettings): Flight {
	const controller = new AbortController();
	const done = fetchUnlessCached(pin, dest, { ...settings, signal: controller.signal }).finally(() => {
		// Forgotten on failure too, so the next call retries; unless an abandoned flight was already replaced.
		if (flights.get(dest)?.controller === controller) flights.delete(dest);
	});
	const flight: Flight = { sha256: pin.sha256, done, controller, callers: 0 };
	flights.set(dest, flight);
	return flight;
}

function joinFlight(flight: Flight, dest: string, signal: AbortSignal | undefined): Promise<string> {
	flight.callers += 1;
	return new Promise((resolvePath, reject) => {
		let cancelledByCaller = false;
		const onAbort = () => {
			cancelledByCaller = true;
			flight.callers -= 1;
			if (flight.callers > 0) {
				reject(cancelled(dest));
				return;
			}
			// Last caller: stop the fetch and settle once it has cleaned up (.part file, lock), so nothing is
			// left behind when the caller sees the rejection. New callers start a fresh flight meanwhile.
			flight.controller.abort(cancelled(dest));
			if (flights.get(dest) === flight) flights.delete(dest);
		};
		signal?.addEventListener('abort', onAbort, { once: true });
		flight.done.then(
			(path) => {
				signal?.removeEventListener('abort', onAbort);
				if (cancelledByCaller) reject(cancelled(dest));
				else resolvePath(path);
			},
			(error) => {
				signal?.removeEventListener('abort', onAbort);
				reject(cancelledByCaller ? cancelled(dest) : error);
			},
		);
	});
}

// ---- Cache, lock and download, for one flight ----

async function fetchUnlessCached(pin: Pin, dest: string, settings: FetchSettings): Promise<string> {
	const dir = dirname(dest);
	const name = basename(dest);
	const lockPath = `${dest}.lock`;
	try {
		await mkdir(dir, { recursive: true });
		for (;;) {
			settings.signal.throwIfAborted();
			if ((await inspectCachedCopy(pin, dest)).state === 'verified') return dest;
			const lock = await tryLock(lockPath);
			if (!lock) {
				await waitWhileLocked(lockPath, name, settings);
				continue;
			}
			try {
				// Another process may have finished between the first look and taking the lock.
				const copy = await inspectCachedCopy(pin, dest);
				if (copy.state === 'verified') return dest;
				if (copy.state === 'corrupt') {
					settings.log(`Cached ${name} is corrupt (${copy.problem}); deleting it and downloading it again`);
					await removeFile(dest);
				}
				await removeAbandonedParts(dest, settings);
				await downloadVerified(pin, dest, settings);
				return dest;
			} finally {
				await lock.release(settings.log);
			}
		}
	} catch (error) {
		throw isCutoutError(error) ? error : storageFailure(`Could not store ${name} in ${dir}`, dir, error);
	}
}

type CachedCopy = { state: 'missing' } | { state: 'verified' } | { state: 'corrupt'; problem: string };

/** The size is checked on every call; the hash only when this process has not hashed this version of the file. */
async function inspectCachedCopy(pin: Pin, dest: string): Promise<CachedCopy> {
	const stats = await statIfExists(dest);
	if (!stats) return { state: 'missing' };
	if (!stats.isFile()) {
		throw new CutoutError('model_unavailable', `${dest} exists but is not a file`, 'Move it out of the way.');
	}
	if (stats.size !== pin.bytes) return { state: 'corrupt', problem: `${stats.size} bytes instead of ${pin.bytes}` };
	const stamp = stampOf(stats);
	const known = hashedFiles.get(dest);
	let sha256 = known?.stamp === stamp ? known.sha256 : undefined;
	if (sha256 === undefined) {
		sha256 = await sha256OfFile(dest);
		hashedFiles.set(dest, { stamp, sha256 });
	}
	if (sha256 === pin.sha256) return { state: 'verified' };
	return { state: 'corrupt', problem: `SHA-256 ${sha256.slice(0, 12)}… instead of ${pin.sha256.slice(0, 12)}…` };
}

function stampOf(stats: Stats): string {
	return `${stats.size}:${stats.mtimeMs}:${stats.ino}`;
}

async function downloadVerified(pin: Pin, dest: string, settings: FetchSettings): Promise<void> {
	const name = basename(dest);
	const partPath = `${dest}.${randomBytes(PART_ID_BYTES).toString('hex')}.part`;
	const transfer: Transfer = {
		url: pin.url,
		received: 0,
		hint: `Check that this machine can reach ${pin.url.host}, or download the file elsewhere and copy it to ${dest}.`,
	};
	const idle = new AbortController();
	const signal = AbortSignal.any([settings.signal, idle.signal]);
	const idleTimer = setTimeout(() => {
		idle.abort(
			new CutoutError(
				'model_download_failed',
				`No data from ${describeUrl(transfer.url)} for ${settings.idleTimeoutMs} ms (after ${transfer.received} of ${pin.bytes} bytes)`,
				transfer.hint,
			),
		);
	}, settings.idleTimeoutMs);
	const startedAt = Date.now();
	let sha256: string;
	settings.log(`Downloading ${name} (${formatSize(pin.bytes)}) from ${describeUrl(pin.url)}`);
	try {
		const response = await openFollowingRedirects(pin, transfer, settings, signal, () => idleTimer.refresh());
		const reportProgress = progressReporter(name, pin.bytes, settings.log);
		sha256 = await saveBody(response, partPath, pin, transfer, () => {
			idleTimer.refresh();
			reportProgress(transfer.received);
		});
		if (transfer.received !== pin.bytes) {
			throw integrityFailure(`${describeUrl(transfer.url)} ended after ${transfer.received} of the pinned ${pin.bytes} bytes`);
		}
		if (sha256 !== pin.sha256) {
			throw integrityFailure(
				`${describeUrl(transfer.url)} does not match its pinned SHA-256 (expected ${pin.sha256.slice(0, 12)}…, got ${sha256.slice(0, 12)}…)`,
			);
		}
		await rename(partPath, dest).catch((error) => {
			throw storageFailure(`Could not move ${basename(partPath)} into place`, dirname(dest), error);
		});
	} catch (error) {
		await removeFile(partPath);
		// Aborting destroys the connection, so the error in hand is a consequence; the reason says why.
		throw signal.aborted ? signal.reason : asDownloadFailure(error, transfer, pin.bytes);
	} finally {
		clearTimeout(idleTimer);
	}
	hashedFiles.set(dest, { stamp: stampOf(await stat(dest)), sha256 });
	const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
	settings.log(`Downloaded ${name} (${formatSize(pin.bytes)}) in ${seconds} s, size and SHA-256 verified`);
}

/** Network errors (reset, refused, DNS) become model_download_failed; our own errors pass through. */
function asDownloadFailure(error: Error, transfer: Transfer, total: number): CutoutError {
	if (isCutoutError(error)) return error;
	const message =
		transfer.received > 0
			? `Download of ${describeUrl(transfer.url)} broke off after ${transfer.received} of ${total} bytes: ${error.message}`
			: `Could not download ${describeUrl(transfer.url)}: ${error.message}`;
	return new CutoutError('model_download_failed', message, transfer.hint);
}

/** Where the download currently is, for error messages (the URL changes with redirects). */
interface Transfer {
	url: URL;
	received: number;
	/** What the user can do when the download fails. */
	hint: string;
}

async function openFollowingRedirects(
	pin: Pin,
	transfer: Transfer,
	settings: FetchSettings,
	signal: AbortSignal,
	onResponse: () => void,
): Promise<http.IncomingMessage> {
	for (let redirects = 0; ; redirects += 1) {
		const response = await get(transfer.url, signal);
		onResponse();
		const status = response.statusCode ?? 0;
		if (REDIRECT_STATUSES.has(status)) {
			response.destroy();
			const location = response.headers.location;
			if (!location) {
				throw new CutoutError(
					'model_download_failed',
					`${describeUrl(transfer.url)} answered HTTP ${status} without a Location`,
					transfer.hint,
				);
			}
			if (redirects === MAX_REDIRECTS) {
				throw new CutoutError(
					'model_download_failed',
					`${describeUrl(pin.url)} redirected more than ${MAX_REDIRECTS} times`,
					transfer.hint,
				);
			}
			transfer.url = resolveRedirectTarget(transfer.url, location, settings.allowInsecureLoopback);
			settings.log(`Following a redirect to ${describeUrl(transfer.url)}`);
			continue;
		}
		if (status < 200 || status > 299) {
			response.destroy();
			throw new CutoutError(
				'model_download_failed',
				`Downloading ${describeUrl(transfer.url)} failed: HTTP ${status} ${response.statusMessage ?? ''}`.trimEnd(),
				transfer.hint,
			);
		}
		const announced = response.headers['content-length'];
		if (announced !== undefined && Number(announced) !== pin.bytes) {
			response.destroy();
			throw integrityFailure(`${describeUrl(transfer.url)} announces ${announced} bytes, but the pinned file has ${pin.bytes}`);
		}
		return response;
	}
}

function get(url: URL, signal: AbortSignal): Promise<http.IncomingMessage> {
	const client = url.protocol === 'https:' ? https : http;
	return new Promise((resolveResponse, reject) => {
		// agent: false gives every download its own connection, closed afterwards: no idle sockets to CDNs linger.
		const request = client.get(url, { agent: false, signal, headers: REQUEST_HEADERS }, resolveResponse);
		request.on('error', reject);
	});
}

/** Streams the body into a new .part file, hashing as it goes; refuses more bytes than pinned. */
async function saveBody(
	response: http.IncomingMessage,
	partPath: string,
	pin: Pin,
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
			if (transfer.received > pin.bytes) {
				throw integrityFailure(`${describeUrl(transfer.url)} sent more than the pinned ${pin.bytes} bytes`);
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

// ---- Lock shared by processes using the same folder ----

interface LockOwner {
	pid: number;
	host: string;
	since: string;
	/** Lets the holder recognise its own lock, so it never deletes one a waiter re-created after a takeover. */
	token: string;
}

interface HeldLock {
	release(log: (message: string) => void): Promise<void>;
}

async function tryLock(lockPath: string): Promise<HeldLock | undefined> {
	const owner: LockOwner = { pid: process.pid, host: hostname(), since: new Date().toISOString(), token: randomBytes(8).toString('hex') };
	const handle = await open(lockPath, 'wx').catch((error) => {
		if (error.code === 'EEXIST') return undefined;
		throw error;
	});
	if (!handle) return undefined;
	// Waiters that read the lock before this lands see no owner, which readLockOwner allows for.
	await handle
		.writeFile(JSON.stringify(owner))
		.finally(() => handle.close())
		.catch(async (error) => {
			// Ours, since we created it; left behind it would hold other processes up until it turns stale.
			await removeFile(lockPath);
			throw error;
		});
	const refresher = setInterval(() => {
		const now = new Date();
		// A failed touch only makes the lock look older; if it turns stale, another process downloads too, which is safe.
		utimes(lockPath, now, now).catch(() => undefined);
	}, LOCK_REFRESH_MS);
	refresher.unref();
	return {
		async release(log) {
			clearInterval(refresher);
			try {
				if ((await readLockOwner(lockPath))?.token === owner.token) await removeFile(lockPath);
			} catch (error) {
				log(`Could not remove ${lockPath} (${error.message}); other processes take it over once it is stale`);
			}
		},
	};
}

/** Returns once the lock is gone, or was stale and has been removed; the caller then looks at the file again. */
async function waitWhileLocked(lockPath: string, name: string, settings: FetchSettings): Promise<void> {
	let announced = false;
	for (;;) {
		settings.signal.throwIfAborted();
		const stats = await statIfExists(lockPath);
		if (!stats) return;
		const untouchedMs = Date.now() - stats.mtimeMs;
		if (untouchedMs > LOCK_STALE_MS) {
			// Two waiters may both take over; the only cost is a duplicate download (see LOCK_STALE_MS).
			settings.log(`Taking over the lock on ${name}: untouched for ${Math.round(untouchedMs / 1000)} s, so its holder is gone`);
			await removeFile(lockPath);
			return;
		}
		if (!announced) {
			const owner = await readLockOwner(lockPath);
			settings.log(`Waiting for ${owner ? `process ${owner.pid} on ${owner.host}` : 'another process'} to finish fetching ${name}`);
			announced = true;
		}
		await sleep(LOCK_POLL_MS);
	}
}

async function readLockOwner(lockPath: string): Promise<LockOwner | undefined> {
	const text = await readFile(lockPath, 'utf8').catch(ignoreMissing);
	if (text === undefined) return undefined;
	try {
		return JSON.parse(text) as LockOwner;
	} catch {
		// Just created and not yet written, or not ours to interpret.
		return undefined;
	}
}

/**
 * A process killed mid-download leaves its .part file behind. Runs under the lock; a live download (after a
 * lock takeover) writes at least once per idle timeout or gives up, so older .part files are abandoned.
 */
async function removeAbandonedParts(dest: string, settings: FetchSettings): Promise<void> {
	const dir = dirname(dest);
	const prefix = `${basename(dest)}.`;
	const abandonedAfterMs = Math.max(LOCK_STALE_MS, 2 * settings.idleTimeoutMs);
	for (const entry of await readdir(dir)) {
		if (!entry.startsWith(prefix) || !PART_SUFFIX.test(entry.slice(prefix.length))) continue;
		const stats = await statIfExists(join(dir, entry));
		if (stats && Date.now() - stats.mtimeMs > abandonedAfterMs) {
			settings.log(`Removing ${entry}, left behind by an interrupted download`);
			await removeFile(join(dir, entry));
		}
	}
}

// ---- Small helpers ----

function statIfExists(path: string): Promise<Stats | undefined> {
	return stat(path).catch(ignoreMissing);
}

async function removeFile(path: string): Promise<void> {
	await unlink(path).catch(ignoreMissing);
}

/** For `.catch()`: a missing file is an expected answer, anything else is a real error. */
function ignoreMissing(error: NodeJS.ErrnoException): undefined {
	if (error.code !== 'ENOENT') throw error;
	return undefined;
}

/** Scheme, host and path only: query strings of signed CDN URLs carry tokens, and userinfo carries passwords. */
function describeUrl(url: URL): string {
	return `${url.protocol}//${url.host}${url.pathname}`;
}

function withoutQuery(url: string): string {
	return url.split(/[?#]/, 1)[0];
}

function formatSize(bytes: number): string {
	return bytes >= 1_000_000 ? `${(bytes / 1_000_000).toFixed(1)} MB` : `${Math.ceil(bytes / 1000)} kB`;
}

function invalidOption(message: string): CutoutError {
	return new CutoutError('invalid_option', message);
}

function cancelled(dest: string): CutoutError {
	return new CutoutError('aborted', `Fetching ${basename(dest)} was cancelled`);
}

function integrityFailure(message: string): CutoutError {
	return new CutoutError(
		'model_integrity',
		message,
		'The server sent something other than the pinned file. Try again later; if it persists, the file may have changed upstream.',
	);
}

function storageFailure(what: string, dir: string, error: Error): CutoutError {
	return new CutoutError(
		'model_unavailable',
		`${what}: ${error.message}`,
		`Make sure ${dir} is writable and has room, or set CUTOUT_MODELS_DIR to another folder.`,
	);
}
