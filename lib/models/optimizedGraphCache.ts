import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';

import { CutoutError } from '../errors';
import { type CheckedOrtFile, ORT_VERSION, writeOptimizedGraph } from '../inference/sessions';
import { layoutFingerprint } from './layoutFingerprint';
import { alignInitializerData, type AlignedOrtModel, asWritten } from './ortFormat';
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
 * It is saved in ORT's own format, laid out with every weight 64-byte aligned (ortFormat.ts), which a session
 * runs with its weights left where the file's bytes lie (ORT's use_ort_model_bytes_for_initializers): an ONNX
 * file is parsed and every weight copied out of the parse, touching twice the weights' size in fresh memory
 * (bench/RESULTS.md has the figures).
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
	/** Opens a session on a graph: the source's, or the cached file, which the session checks as it reads it. */
	open: (weights: ModelWeights | CheckedOrtFile) => Promise<Session>;
}

interface CacheKey {
	/** 2: ORT format, weights used in place (1 was ONNX, its weights copied out at every load). */
	format: 2;
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
	/** SHA-256 of the bytes in `ranges`, in order. */
	sha256: string;
	/** [start, end) of the bytes in use (lib/models/ortFormat.ts): the rest of the file is holes. */
	ranges: Array<[number, number]>;
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
		format: 2,
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
	let written: CheckedOrtFile;
	try {
		written = await writeCache(dir, keyName, manifestPath, key, graph);
	} catch {
		// A read-only or full models folder costs time on every start, not correctness: run uncached.
		return { session: await source.open({ bytes: graph }), outcome: 'unwritable', rejected: cached.rejected };
	}
	// Read back like any later process does, so the weights stay in the file's bytes instead of a copy. A
	// writer racing on the same key may have replaced ours meanwhile (and removed it): then the graph itself.
	const session = await source.open(written).catch(() => source.open({ bytes: graph }));
	return { session, outcome: 'built', rejected: cached.rejected };
}

/**
 * The cached graph's session, or why there is none. The inference thread reads the file and checks its
 * SHA-256 before ONNX Runtime sees it, so an unchecked graph is never run.
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
	if (!validRanges(manifest.ranges, size)) return { rejected: 'manifest names no valid byte ranges' };

	try {
		return { session: await source.open({ checkedOrtFile: { path, sha256: manifest.sha256, size, ranges: manifest.ranges } }) };
	} catch (error) {
		if (error instanceof CutoutError && error.code === 'model_integrity') return { rejected: 'cache file SHA-256 differs from its manifest' };
		return { rejected: `ONNX Runtime could not load it: ${(error as Error).message}` };
	}
}

async function writeCache(dir: string, keyName: string, manifestPath: string, key: CacheKey, graph: Uint8Array): Promise<CheckedOrtFile> {
	await mkdir(dir, { recursive: true });
	const unique = `${process.pid}-${randomBytes(4).toString('hex')}`;
	const saved = join(dir, `${keyName}-${unique}.ort-saved${PARTIAL_SUFFIX}`);
	const partial = join(dir, `${keyName}-${unique}.ort${PARTIAL_SUFFIX}`);
	try {
		await writeOptimizedGraph(graph, saved, OPTIMIZATION_LEVEL, 'ORT');
		const layout = laidOut(await readFile(saved));
		await writePieces(partial, layout);
		const hash = createHash('sha256');
		for (const piece of layout.pieces) hash.update(piece.bytes);
		const digest = hash.digest('hex');
		// Named by content: writers racing on one key each rename their own file; the manifest renamed last wins.
		const file = `${keyName}-${digest.slice(0, 16)}.ort`;
		await rename(partial, join(dir, file));
		const ranges = layout.pieces.map(({ at, bytes }): [number, number] => [at, at + bytes.length]);
		const manifest: Manifest = { ...key, file, bytes: layout.size, sha256: digest, ranges };
		const manifestPartial = `${manifestPath}-${unique}${PARTIAL_SUFFIX}`;
		await writeFile(manifestPartial, JSON.stringify(manifest));
		await rename(manifestPartial, manifestPath);
		await removeStale(dir, `${keyName}.json`, file, key);
		return { checkedOrtFile: { path: join(dir, file), sha256: digest, size: layout.size, ranges } };
	} finally {
		await Promise.all([rm(saved, { force: true }), rm(partial, { force: true })]);
	}
}

/** ORT's file with its weights aligned, or as ORT wrote it if a later ORT's layout is not understood. */
function laidOut(file: Buffer): AlignedOrtModel {
	try {
		return alignInitializerData(file);
	} catch {
		return asWritten(file);
	}
}

/** Writes each piece at its offset; what lies between them is never written (a hole, where the file system has them). */
async function writePieces(path: string, layout: AlignedOrtModel): Promise<void> {
	const file = await open(path, 'w');
	try {
		for (const { at, bytes } of layout.pieces) {
			for (let done = 0; done < bytes.length; ) done += (await file.write(bytes, done, bytes.length - done, at + done)).bytesWritten;
		}
	} finally {
		await file.close();
	}
}

/** Ascending, non-overlapping [start, end) pairs of integers within the file. */
function validRanges(ranges: unknown, size: number): ranges is Array<[number, number]> {
	if (!Array.isArray(ranges) || ranges.length === 0) return false;
	let previousEnd = 0;
	for (const range of ranges as unknown[]) {
		if (!Array.isArray(range) || range.length !== 2) return false;
		const [start, end] = range as unknown[];
		if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end)) return false;
		if ((start as number) < previousEnd || (end as number) <= (start as number) || (end as number) > size) return false;
		previousEnd = end as number;
	}
	return true;
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

