import { createHash } from 'node:crypto';
import { createReadStream, type Stats } from 'node:fs';
import { stat } from 'node:fs/promises';

import { CutoutError } from '../../errors';
import { statIfExists } from './files';

/** What a pinned file must be: its exact size, and its SHA-256 in lowercase hex. */
export interface PinnedContent {
	bytes: number;
	sha256: string;
}

export type CachedCopy = { state: 'missing' } | { state: 'verified' } | { state: 'corrupt'; problem: string };

/**
 * SHA-256 of files this process has hashed, by path; trusted while size, mtime and inode stay the same, so a
 * large cached model is hashed once per process rather than on every use.
 */
const hashedFiles = new Map<string, { stamp: string; sha256: string }>();

export async function sha256OfFile(path: string): Promise<string> {
	const hash = createHash('sha256');
	for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
	return hash.digest('hex');
}

/** Forgets which files this process has hashed, so the next use hashes them again, as a new process would. */
export function forgetVerifiedFiles(): void {
	hashedFiles.clear();
}

/** The size is checked on every call; the hash only when this process has not hashed this version of the file. */
export async function inspectCachedCopy(expected: PinnedContent, path: string): Promise<CachedCopy> {
	const stats = await statIfExists(path);
	if (!stats) return { state: 'missing' };
	if (!stats.isFile()) {
		throw new CutoutError('model_unavailable', `${path} exists but is not a file`, 'Move it out of the way.');
	}
	if (stats.size !== expected.bytes) return { state: 'corrupt', problem: `${stats.size} bytes instead of ${expected.bytes}` };
	const stamp = stampOf(stats);
	const known = hashedFiles.get(path);
	let sha256 = known?.stamp === stamp ? known.sha256 : undefined;
	if (sha256 === undefined) {
		sha256 = await sha256OfFile(path);
		hashedFiles.set(path, { stamp, sha256 });
	}
	if (sha256 === expected.sha256) return { state: 'verified' };
	return { state: 'corrupt', problem: `SHA-256 ${sha256.slice(0, 12)}… instead of ${expected.sha256.slice(0, 12)}…` };
}

/** Checks what a download received against the pin; `source` names where it came from, for the error. */
export function checkDownloadedContent(source: string, received: PinnedContent, expected: PinnedContent): void {
	if (received.bytes !== expected.bytes) {
		throw integrityFailure(`${source} ended after ${received.bytes} of the pinned ${expected.bytes} bytes`);
	}
	if (received.sha256 !== expected.sha256) {
		throw integrityFailure(
			`${source} does not match its pinned SHA-256 (expected ${expected.sha256.slice(0, 12)}…, got ${received.sha256.slice(0, 12)}…)`,
		);
	}
}

/** Records the hash of a file just downloaded and verified, so its next use in this process skips hashing it. */
export async function rememberVerifiedFile(path: string, sha256: string): Promise<void> {
	hashedFiles.set(path, { stamp: stampOf(await stat(path)), sha256 });
}

export function integrityFailure(message: string): CutoutError {
	return new CutoutError(
		'model_integrity',
		message,
		'The server sent something other than the pinned file. Try again later; if it persists, the file may have changed upstream.',
	);
}

function stampOf(stats: Stats): string {
	return `${stats.size}:${stats.mtimeMs}:${stats.ino}`;
}
