import { mkdir, rename } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';

import { CutoutError, isCutoutError } from '../../errors';
import { removeFile, storageFailure } from './files';
import { describeUrl, type FetchSettings, fetchToFile, formatSize, urlRefusal, withoutQuery } from './fetch';
import { lockPathOf, newPartPath, removeAbandonedParts, tryLock, waitWhileLocked } from './lock';
import { checkDownloadedContent, inspectCachedCopy, rememberVerifiedFile } from './verify';

export { resolveRedirectTarget } from './fetch';
export { forgetVerifiedFiles, sha256OfFile } from './verify';

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
const SHA256_PATTERN = /^[0-9a-f]{64}$/i;

interface Pin {
	url: URL;
	bytes: number;
	sha256: string;
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
	const lockPath = lockPathOf(dest);
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
				await removeAbandonedParts(dest, settings.idleTimeoutMs, settings.log);
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

/** Fetches into a .part file of its own, checks size and hash, and only then moves it into place. */
async function downloadVerified(pin: Pin, dest: string, settings: FetchSettings): Promise<void> {
	const name = basename(dest);
	const partPath = newPartPath(dest);
	const startedAt = Date.now();
	settings.log(`Downloading ${name} (${formatSize(pin.bytes)}) from ${describeUrl(pin.url)}`);
	let sha256: string;
	try {
		const fetched = await fetchToFile(pin.url, pin.bytes, partPath, dest, settings);
		checkDownloadedContent(describeUrl(fetched.url), fetched, pin);
		sha256 = fetched.sha256;
		await rename(partPath, dest).catch((error) => {
			throw storageFailure(`Could not move ${basename(partPath)} into place`, dirname(dest), error);
		});
	} catch (error) {
		await removeFile(partPath);
		throw error;
	}
	await rememberVerifiedFile(dest, sha256);
	const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
	settings.log(`Downloaded ${name} (${formatSize(pin.bytes)}) in ${seconds} s, size and SHA-256 verified`);
}

function invalidOption(message: string): CutoutError {
	return new CutoutError('invalid_option', message);
}

function cancelled(dest: string): CutoutError {
	return new CutoutError('aborted', `Fetching ${basename(dest)} was cancelled`);
}
