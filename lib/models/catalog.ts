import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import { CutoutError } from '../errors';

export type ModelTask = 'segmentation' | 'inpainting';

/** Where a model's weights come from; a catalog entry lists several, tried in order. */
export type WeightsSource =
	| { type: 'npm-file'; package: string; path: string; bytes: number; sha256: string }
	| { type: 'npm-chunks'; package: string; resource: string; bytes: number; sha256: string }
	| { type: 'url'; url: string; bytes: number | null; sha256: string | null };

/** How an RGB image becomes the model's NCHW float input: value = (pixel * scale - mean) / std. */
export interface SegmentationInputContract {
	name?: string;
	size: number;
	/** Square sizes the graph accepts; a static export accepts only its native size. */
	sizes: number[];
	scale: number;
	mean: [number, number, number];
	std: [number, number, number];
}

export interface SegmentationOutputContract {
	/** Output tensor by name, or by position when the export's names are not stable. */
	name?: string;
	index?: number;
	/** 'sigmoid' for logits (BiRefNet); 'none' when the graph already outputs a probability (ISNet, U²-Net). */
	activation: 'sigmoid' | 'none';
	/** Stretch the prediction to [0, 1] (rembg's convention for U²-Net). */
	minMax: boolean;
}

export interface SegmentationContract {
	input: SegmentationInputContract;
	output: SegmentationOutputContract;
}

export interface CatalogModel extends SegmentationContract {
	id: string;
	task: ModelTask;
	displayName: string;
	description: string;
	default?: boolean;
	sources: WeightsSource[];
	licence: string;
}

interface CatalogFile {
	version: number;
	models: CatalogModel[];
}

/** The catalog sits in models/ beside lib/ in the source tree and beside dist/lib after the build copies it. */
const CATALOG_PATH = resolve(__dirname, '..', '..', 'models', 'catalog.json');

let cached: CatalogModel[] | undefined;

export function loadCatalog(path = CATALOG_PATH): CatalogModel[] {
	if (path === CATALOG_PATH && cached) return cached;
	const parsed = JSON.parse(readFileSync(path, 'utf8')) as CatalogFile;
	if (parsed.version !== 1 || !Array.isArray(parsed.models)) {
		throw new Error(`Model catalog ${path} has an unsupported layout (version ${parsed.version})`);
	}
	parsed.models.forEach(validateEntry);
	if (path === CATALOG_PATH) cached = parsed.models;
	return parsed.models;
}

export function findModel(id: string, task: ModelTask, catalog = loadCatalog()): CatalogModel {
	const model = catalog.find((entry) => entry.id === id);
	if (!model) {
		const known = catalog.filter((entry) => entry.task === task).map((entry) => entry.id);
		throw new CutoutError('model_unknown', `Unknown model "${id}"`, `Known ${task} models: ${known.join(', ')}`);
	}
	if (model.task !== task) {
		throw new CutoutError('model_unknown', `Model "${id}" is a ${model.task} model, not a ${task} model`);
	}
	return model;
}

export function defaultModel(task: ModelTask, catalog = loadCatalog()): CatalogModel {
	const model = catalog.find((entry) => entry.task === task && entry.default);
	if (!model) throw new Error(`The model catalog has no default ${task} model`);
	return model;
}

/** A source with a known size and hash; anything else must not be downloaded or run. */
export function isPinned(source: WeightsSource): source is WeightsSource & { bytes: number; sha256: string } {
	return typeof source.bytes === 'number' && typeof source.sha256 === 'string' && /^[0-9a-f]{64}$/.test(source.sha256);
}

function validateEntry(entry: CatalogModel): void {
	const where = `model catalog entry "${entry.id}"`;
	if (!entry.id || !/^[a-z0-9-]+$/.test(entry.id)) throw new Error(`Invalid id in ${where}`);
	if (entry.task !== 'segmentation' && entry.task !== 'inpainting') throw new Error(`Invalid task in ${where}`);
	if (!Array.isArray(entry.sources) || entry.sources.length === 0) throw new Error(`No sources in ${where}`);
	if (entry.task === 'segmentation') validateSegmentationContract(entry, where);
}

export function validateSegmentationContract(contract: SegmentationContract, where: string): void {
	const { input, output } = contract;
	if (!Number.isInteger(input.size) || input.size < 32 || input.size > 4096) {
		throw new Error(`Invalid input size ${input.size} in ${where}`);
	}
	if (!Array.isArray(input.sizes) || !input.sizes.includes(input.size)) {
		throw new Error(`input.sizes must include the native size ${input.size} in ${where}`);
	}
	for (const key of ['mean', 'std'] as const) {
		if (!Array.isArray(input[key]) || input[key].length !== 3 || input[key].some((v) => !Number.isFinite(v))) {
			throw new Error(`input.${key} must be three numbers in ${where}`);
		}
	}
	if (input.std.some((v) => v === 0)) throw new Error(`input.std must not contain 0 in ${where}`);
	if (!(input.scale > 0)) throw new Error(`input.scale must be positive in ${where}`);
	if (output.activation !== 'sigmoid' && output.activation !== 'none') {
		throw new Error(`output.activation must be "sigmoid" or "none" in ${where}`);
	}
	if (output.name === undefined && output.index === undefined) {
		throw new Error(`output needs a name or an index in ${where}`);
	}
}
