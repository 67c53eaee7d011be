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

/** One tensor of an inpainting model, and how pixel values map to it: value = pixel × scale. */
export interface InpaintingImageTensor {
	name: string;
	type: 'uint8' | 'float32';
	/** 1 for 0..255 tensors, 1/255 for 0..1 tensors. */
	scale: number;
}

export interface InpaintingMaskTensor {
	name: string;
	type: 'uint8' | 'float32';
	/** The value that marks a pixel to fill (MI-GAN: 0, LaMa: 1). */
	fill: number;
	/** The value that marks a pixel to keep (MI-GAN: 255, LaMa: 0). */
	keep: number;
}

/**
 * How an inpainting graph is fed. 'graph' cropping: the graph takes any H×W and crops around the holes
 * itself (MI-GAN pipeline v2); 'pipeline': the graph has a fixed square input and we feed it crops around
 * each hole, resized to `size` (LaMa).
 */
export interface InpaintingContract {
	cropping: 'graph' | 'pipeline';
	/** Fixed square input size for 'pipeline' cropping; null when H and W are dynamic. */
	size: number | null;
	input: { image: InpaintingImageTensor; mask: InpaintingMaskTensor };
	/** RGB [1,3,H,W]; pixel = value × scale (LaMa outputs 0..255, so 1). Named, or by position. */
	output: { name?: string; index?: number; type: 'uint8' | 'float32'; scale: number };
}

interface CatalogEntryBase {
	id: string;
	displayName: string;
	description: string;
	default?: boolean;
	/** Run an fp16 export in fp32 (see fp16ToFp32.ts): faster on ONNX Runtime's CPU provider. */
	widenFp16?: boolean;
	/**
	 * Calibration table (a file beside the catalog) from which an int8 graph of this model is built for
	 * Matte Quality "Speed" (quantize.ts); models without one offer only float.
	 */
	int8Calibration?: string;
	sources: WeightsSource[];
	licence: string;
}

/** A segmentation entry (the shape every entry had before inpainting models joined the catalog). */
export interface CatalogModel extends CatalogEntryBase, SegmentationContract {
	task: ModelTask;
}

export interface InpaintingCatalogModel extends CatalogEntryBase {
	task: 'inpainting';
	inpainting: InpaintingContract;
}

interface CatalogFile {
	version: number;
	models: CatalogModel[];
}

/** The catalog sits in models/ beside lib/ in the source tree and beside dist/lib after the build copies it. */
export const CATALOG_DIR = resolve(__dirname, '..', '..', 'models');
const CATALOG_PATH = resolve(CATALOG_DIR, 'catalog.json');

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
	if (entry.int8Calibration !== undefined && !/^[a-z0-9.-]+\.json$/.test(entry.int8Calibration)) throw new Error(`Invalid int8Calibration in ${where}`);
	if (entry.task === 'segmentation') validateSegmentationContract(entry, where);
	else validateInpaintingContract((entry as unknown as InpaintingCatalogModel).inpainting, where);
}

/** An inpainting model by id, its contract checked; `catalog` lets tests pin toy models instead. */
export function findInpaintingModel(id: string, catalog = loadCatalog()): InpaintingCatalogModel {
	return findModel(id, 'inpainting', catalog) as unknown as InpaintingCatalogModel;
}

export function validateInpaintingContract(contract: InpaintingContract | undefined, where: string): void {
	if (!contract || (contract.cropping !== 'graph' && contract.cropping !== 'pipeline')) {
		throw new Error(`inpainting.cropping must be "graph" or "pipeline" in ${where}`);
	}
	if (contract.cropping === 'pipeline' && !(Number.isInteger(contract.size) && contract.size! >= 32 && contract.size! <= 4096)) {
		throw new Error(`inpainting.size must be a whole number from 32 to 4096 for pipeline cropping in ${where}`);
	}
	const { image, mask } = contract.input ?? {};
	const types = ['uint8', 'float32'];
	if (!image?.name || !types.includes(image.type) || !(image.scale > 0)) {
		throw new Error(`inpainting.input.image needs a name, a type (uint8 or float32) and a positive scale in ${where}`);
	}
	if (!mask?.name || !types.includes(mask.type) || !Number.isFinite(mask.fill) || !Number.isFinite(mask.keep) || mask.fill === mask.keep) {
		throw new Error(`inpainting.input.mask needs a name, a type and distinct fill and keep values in ${where}`);
	}
	const { output } = contract;
	if (!output || !types.includes(output.type) || !(output.scale > 0) || (output.name === undefined && output.index === undefined)) {
		throw new Error(`inpainting.output needs a name or an index, a type and a positive scale in ${where}`);
	}
}

export function validateSegmentationContract(contract: SegmentationContract, where: string): void {
	const { input, output } = contract;
	if (!Number.isInteger(input.size) || input.size < 32 || input.size > 4096) {
		throw new CutoutError('invalid_option', `Invalid input size ${input.size} in ${where}`);
	}
	if (!Array.isArray(input.sizes) || !input.sizes.includes(input.size)) {
		throw new CutoutError('invalid_option', `input.sizes must include the native size ${input.size} in ${where}`);
	}
	for (const key of ['mean', 'std'] as const) {
		if (!Array.isArray(input[key]) || input[key].length !== 3 || input[key].some((v) => !Number.isFinite(v))) {
			throw new CutoutError('invalid_option', `input.${key} must be three numbers in ${where}`);
		}
	}
	if (input.std.some((v) => v === 0)) throw new CutoutError('invalid_option', `input.std must not contain 0 in ${where}`);
	if (!(input.scale > 0)) throw new CutoutError('invalid_option', `input.scale must be positive in ${where}`);
	if (output.activation !== 'sigmoid' && output.activation !== 'none') {
		throw new CutoutError('invalid_option', `output.activation must be "sigmoid" or "none" in ${where}`);
	}
	if (output.name === undefined && output.index === undefined) {
		throw new CutoutError('invalid_option', `output needs a name or an index in ${where}`);
	}
}
