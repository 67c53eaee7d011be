import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import { basename, join } from 'node:path';

import { ORT_VERSION, writeOptimizedGraph } from '../inference/sessions';
import { layoutFingerprint } from './layoutFingerprint';
import type { ModelWeights } from './weights';

/**
 * Keeps a model's graph, already rewritten (fp16 widened to fp32) and optimised by ONNX Runtime, in the
 * models folder. Without it every new process (n8n restart, queue worker, `n8n execute`) assembles the
 * source, widens and prunes it and lets ORT optimise it again: seconds before the first item. With it, a process reads
 * one file, checks it and hands it to ORT, which has little left to do.
 *
 * The graph is saved at ORT's level 'all', layout rewrites included, keyed by what those rewrites are on this
 * CPU (layoutFingerprint: NCHWc blocks sized for AVX2 or AVX-512). Rewriting at load instead, as an
 * 'extended' file needs, costs ≈ 0.3 s per start and leaves ≈ 230 MB of freed weight copies in the process
 * heap that the allocator does not give back (ISNet: 478 MB resident after loading, against 250 MB from the
 * 'all' file). Workers on different machines sharing a models folder each keep their own file.
 *
 * A cache file is only ever used when its manifest names this source, this ORT and this converter, and its
 * size and SHA-256 match the manifest; anything else (truncated, foreign, stale) is rebuilt. Writes go to a
 * temporary name and are renamed into place, the data file before the manifest that vouches for it.
 */

/**
 * Bump when the rewrite of the source changes (fp16ToFp32.ts, pruneOutputs.ts), so older cache files are
 * rebuilt. 2: graphs keep only the output the contract reads.
 */
export const GRAPH_REWRITE_VERSION = 2;

const OPTIMIZATION_LEVEL = 'all';
const PARTIAL_SUFFIX = '.partial';
/** A partial file this old belongs to a writer that died; a live one finishes within a minute. */
const STALE_PARTIAL_MS = 10 * 60_000;

export interface GraphSource<Session> {
	modelId: string;
	/** SHA-256 of the pinned source the graph is built from. */
	sourceSha256: string;
	/**
	 * A graph derived from the source (an int8 rewrite, say): `name` gives it a folder of its own, so that it
	 * and the plain graph never evict each other; `key` is what the derivation depends on (its version, the
	 * hash of its inputs), so a change to either rebuilds it.
	 */
	derived?: { name: string; key: string };
	/** Produces the graph to optimise (the widened model), called only when the cache cannot be used. */
	build: () => Promise<Uint8Array>;
	/** Opens a session on a graph; `release` undoes it when the file it read fails its check. */
	open: (weights: ModelWeights) => Promise<Session>;
	release: (session: Session) => Promise<void>;
}

interface CacheKey {
	format: 1;
	modelId: string;
	sourceSha256: string;
	ortVersion: string;
	rewriteVersion: number;
	optimizationLevel: string;
	/** layoutFingerprint() of the CPU the graph was rewritten for. */
	layout: string;
	/** Only in derived graphs' keys, so that plain graphs cached before it existed still match. */
	derivation?: string;
}

interface Manifest extends CacheKey {
	file: string;
	bytes: number;
	sha256: string;
}

export type CacheOutcome = 'hit' | 'built' | 'unwritable';

export interface OptimizedSession<Session> {
	session: Session;
	outcome: CacheOutcome;
	/** Why an existing cache file was not used, when there was one. */
	rejected?: string;
}

export function cacheDir(modelsDir: string, modelId: string, derivedName?: string): string {
	return join(modelsDir, modelId, derivedName ? `optimized-${derivedName}` : 'optimized');
}

export async function openOptimizedGraph<Session>(modelsDir: string, source: GraphSource<Session>): Promise<OptimizedSession<Session>> {
	const key: CacheKey = {
		format: 1,
		modelId: source.modelId,
		sourceSha256: source.sourceSha256,
		ortVersion: ORT_VERSION,
		rewriteVersion: GRAPH_REWRITE_VERSION,
		optimizationLevel: OPTIMIZATION_LEVEL,
		layout: await layoutFingerprint(),
		...(source.derived ? { derivation: source.derived.key } : {}),
	};
	const dir = cacheDir(modelsDir, source.modelId, source.derived?.name);
	const keyName = createHash('sha256').update(JSON.stringify(key)).digest('hex').slice(0, 16);
	const manifestPath = join(dir, `${keyName}.json`);

	const cached = await openCached(dir, manifestPath, key, source);
	if ('session' in cached) return { session: cached.session, outcome: 'hit' };

	const graph = await source.build();
	let optimized: Buffer;
	try {
		optimized = await writeCache(dir, keyName, manifestPath, key, graph);
	} catch {
		// A read-only or full models folder costs time on every start, not correctness: run uncached.
		return { session: await source.open({ bytes: graph }), outcome: 'unwritable', rejected: cached.rejected };
	}
	return { session: await source.open({ bytes: optimized }), outcome: 'built', rejected: cached.rejected };
}

/**
 * The cached graph's session, or why there is none. ORT reads the file while another thread hashes it (the
 * load blocks this thread, and the hash would add a third to it); the session is returned only once the
 * hash matches, so an unchecked graph is never run.
 */
async function openCached<Session>(
	dir: string,
	manifestPath: string,
	key: CacheKey,
	source: GraphSource<Session>,
): Promise<{ session: Session } | { rejected?: string }> {
	let manifest: Manifest;
	try {
		manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as Manifest;
	} catch (error) {
		return (error as NodeJS.ErrnoException).code === 'ENOENT' ? {} : { rejected: 'unreadable manifest' };
	}
	const keyMismatch = (Object.keys(key) as Array<keyof CacheKey>).find((field) => manifest[field] !== key[field]);
	if (keyMismatch) return { rejected: `manifest for another ${keyMismatch}` };
	if (typeof manifest.file !== 'string' || basename(manifest.file) !== manifest.file) return { rejected: 'manifest names no file' };
	const path = join(dir, manifest.file);
	const size = (await stat(path).catch(() => undefined))?.size;
	if (size !== manifest.bytes) return { rejected: size === undefined ? 'cache file missing' : `cache file has ${size} bytes, not ${manifest.bytes}` };

	const digest = sha256OfFileOffThread(path);
	const opened = await source.open({ path }).then(
		(session) => ({ session }),
		(error: Error) => ({ error }),
	);
	const matches = (await digest.catch(() => undefined)) === manifest.sha256;
	if ('session' in opened && matches) return opened;
	if ('session' in opened) await source.release(opened.session);
	return { rejected: matches ? `ONNX Runtime could not load it: ${'error' in opened ? opened.error.message : ''}` : 'cache file SHA-256 differs from its manifest' };
}

async function writeCache(dir: string, keyName: string, manifestPath: string, key: CacheKey, graph: Uint8Array): Promise<Buffer> {
	await mkdir(dir, { recursive: true });
	const unique = `${process.pid}-${randomBytes(4).toString('hex')}`;
	const partial = join(dir, `${keyName}-${unique}.onnx${PARTIAL_SUFFIX}`);
	try {
		await writeOptimizedGraph(graph, partial, OPTIMIZATION_LEVEL);
		const bytes = await readFile(partial);
		const digest = sha256(bytes);
		// Named by content: writers racing on one key each rename their own file; the manifest renamed last wins.
		const file = `${keyName}-${digest.slice(0, 16)}.onnx`;
		await rename(partial, join(dir, file));
		const manifest: Manifest = { ...key, file, bytes: bytes.length, sha256: digest };
		const manifestPartial = `${manifestPath}-${unique}${PARTIAL_SUFFIX}`;
		await writeFile(manifestPartial, JSON.stringify(manifest, null, '\t'));
		await rename(manifestPartial, manifestPath);
		await removeStale(dir, `${keyName}.json`, file, key);
		return bytes;
	} finally {
		await rm(partial, { force: true });
	}
}

/**
 * Files of other keys (an older ORT or source) and partial files of writers that died: 170 MB each. The
 * graph of another CPU layout, same in all else, stays for the machine that shares this folder and uses it.
 */
async function removeStale(dir: string, manifestName: string, current: string, key: CacheKey): Promise<void> {
	const names = await readdir(dir);
	const kept = new Set([manifestName, current]);
	for (const name of names.filter((name) => name.endsWith('.json') && !kept.has(name))) {
		const other = await readFile(join(dir, name), 'utf8').then((text) => JSON.parse(text) as Manifest, () => undefined);
		const otherLayoutOnly = other && (Object.keys(key) as Array<keyof CacheKey>).every((field) => field === 'layout' || other[field] === key[field]);
		if (otherLayoutOnly && typeof other.file === 'string') kept.add(name).add(other.file);
	}
	for (const name of names) {
		const path = join(dir, name);
		if (name.endsWith(PARTIAL_SUFFIX)) {
			const stats = await stat(path).catch(() => undefined);
			if (stats && Date.now() - stats.mtimeMs > STALE_PARTIAL_MS) await rm(path, { force: true });
		} else if (!kept.has(name)) {
			await rm(path, { force: true });
		}
	}
}

/**
 * A worker thread reads the file through SHA-256, so the hash runs on the second core. One reused 1 MB
 * buffer: a read stream's fresh chunks wait for the worker's garbage collector and held +35 MB while the
 * 170 MB graph went through.
 */
function sha256OfFileOffThread(path: string): Promise<string> {
	const script = `
		const { createHash } = require('node:crypto');
		const { closeSync, openSync, readSync } = require('node:fs');
		const { parentPort, workerData } = require('node:worker_threads');
		const hash = createHash('sha256');
		const chunk = Buffer.allocUnsafe(1 << 20);
		const file = openSync(workerData, 'r');
		try {
			for (let read; (read = readSync(file, chunk, 0, chunk.length, null)) > 0; ) hash.update(chunk.subarray(0, read));
		} finally {
			closeSync(file);
		}
		parentPort.postMessage(hash.digest('hex'));`;
	return new Promise((resolve, reject) => {
		const worker = new Worker(script, { eval: true, workerData: path });
		worker.once('message', resolve);
		worker.once('error', reject);
		worker.once('exit', (code) => reject(new Error(`hash worker exited with code ${code}`)));
	});
}

function sha256(bytes: Uint8Array): string {
	return createHash('sha256').update(bytes).digest('hex');
}
