import { randomBytes } from 'node:crypto';
import { open, readFile, readdir, utimes } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { ignoreMissing, removeFile, statIfExists } from './files';

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

interface LockOwner {
	pid: number;
	host: string;
	since: string;
	/** Lets the holder recognise its own lock, so it never deletes one a waiter re-created after a takeover. */
	token: string;
}

export interface HeldLock {
	release(log: (message: string) => void): Promise<void>;
}

export interface WaitSettings {
	signal: AbortSignal;
	log: (message: string) => void;
}

/** The lock file that processes sharing the folder take turns through, one per destination. */
export function lockPathOf(dest: string): string {
	return `${dest}.lock`;
}

/** A .part file of its own for each download, so a download after a lock takeover never writes into another's. */
export function newPartPath(dest: string): string {
	return `${dest}.${randomBytes(PART_ID_BYTES).toString('hex')}.part`;
}

/** Takes the lock if nobody holds it; undefined when another process (or flight) does. */
export async function tryLock(lockPath: string): Promise<HeldLock | undefined> {
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
export async function waitWhileLocked(lockPath: string, name: string, settings: WaitSettings): Promise<void> {
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

/**
 * A process killed mid-download leaves its .part file behind. Runs under the lock; a live download (after a
 * lock takeover) writes at least once per idle timeout or gives up, so older .part files are abandoned.
 */
export async function removeAbandonedParts(dest: string, idleTimeoutMs: number, log: (message: string) => void): Promise<void> {
	const dir = dirname(dest);
	const prefix = `${basename(dest)}.`;
	const abandonedAfterMs = Math.max(LOCK_STALE_MS, 2 * idleTimeoutMs);
	for (const entry of await readdir(dir)) {
		if (!entry.startsWith(prefix) || !PART_SUFFIX.test(entry.slice(prefix.length))) continue;
		const stats = await statIfExists(join(dir, entry));
		if (stats && Date.now() - stats.mtimeMs > abandonedAfterMs) {
			log(`Removing ${entry}, left behind by an interrupted download`);
			await removeFile(join(dir, entry));
		}
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
