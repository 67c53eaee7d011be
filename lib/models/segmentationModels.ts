import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { CutoutError } from '../errors';

import { getSession, type InferenceSession, openSession, sharedSession } from '../inference/sessions';
import { CATALOG_DIR, type CatalogModel, type SegmentationContract, findModel, isPinned, validateSegmentationContract } from './catalog';
import { allowedCustomModelDirs, checkCustomModelPath } from './customModel';
import type { DownloadOptions } from './download';
import { convertFp16ModelToFp32 } from './fp16ToFp32';
import { resolveModelsDir } from './modelsDir';
import { openOptimizedGraph } from './optimizedGraphCache';
import { pruneToOutput } from './pruneOutputs';
import { type CalibrationTable, QUANTIZE_VERSION, quantizeModel } from './quantize';
import { locateWeights, type ModelWeights } from './weights';

/** A catalog model by id, or a user's own ONNX file with the contract they describe. */
export type SegmentationModelChoice = { id: string } | { customPath: string; contract: SegmentationContract };

export interface SegmentationModel {
	/** Catalog id, or "custom:<file>" for a custom model. */
	id: string;
	/** The graph the session runs when it is not the model's own (int8: "int8-v<rewrite>-<table hash>"). */
	graph?: string;
	contract: SegmentationContract;
	session: InferenceSession;
}

export interface ModelLoadOptions extends DownloadOptions {
	/** Defaults to CUTOUT_MODELS_DIR or <N8N_USER_FOLDER>/.n8n/cutout-models. */
	modelsDir?: string;
	/** 'int8': the statically quantised graph (Matte Quality "Speed"), for catalog models calibrated for it. */
	precision?: 'float' | 'int8';
}

export async function loadSegmentationModel(
	choice: SegmentationModelChoice,
	options: ModelLoadOptions = {},
): Promise<SegmentationModel> {
	const modelsDir = options.modelsDir ?? resolveModelsDir();
	if ('customPath' in choice) {
		validateSegmentationContract(choice.contract, `custom model ${choice.customPath}`);
		if (options.precision === 'int8') throw noInt8Graph(`custom:${choice.customPath}`);
		const path = await checkCustomModelPath(choice.customPath, allowedCustomModelDirs(modelsDir));
		const session = await getSession(`custom:${path}`, async () => ({ path }));
		return { id: `custom:${path}`, contract: choice.contract, session };
	}
	const model = findModel(choice.id, 'segmentation');
	const locate = () => locateWeights(model, { ...options, modelsDir });
	if (options.precision === 'int8') {
		const table = await int8Table(model);
		const session = await sharedSession(`${model.id}:${table.graph}`, () => openInt8(model, modelsDir, locate, table));
		return { id: model.id, graph: table.graph, contract: model, session };
	}
	const session = await (model.widenFp16
		? sharedSession(model.id, () => openCachedGraph(model, modelsDir, async () => floatGraph(model, await locate())))
		: getSession(model.id, locate));
	return { id: model.id, contract: model, session };
}

/**
 * The graph the float session runs: the source, widened to fp32 when it is an fp16 export, and cut down to the
 * one output the contract reads when it names one.
 */
export async function floatGraph(model: CatalogModel, weights: ModelWeights): Promise<Uint8Array> {
	const bytes = 'bytes' in weights ? weights.bytes : await readFile(weights.path);
	const widened = model.widenFp16 ? convertFp16ModelToFp32(bytes) : bytes;
	return model.output.name ? pruneToOutput(widened, model.output.name) : widened;
}

/** Whether the model has an int8 graph: a catalog model shipped with a calibration table. */
export function hasInt8Graph(choice: SegmentationModelChoice): boolean {
	return 'id' in choice && findModel(choice.id, 'segmentation').int8Calibration !== undefined;
}

interface Int8Table {
	calibration: CalibrationTable;
	/** Names the int8 graph: the rewrite's version and the table's hash, which the cache is keyed by. */
	graph: string;
}

const int8Tables = new Map<string, Promise<Int8Table>>();

/** A calibrated model's table, shipped beside the catalog; read once per process. */
function int8Table(model: CatalogModel): Promise<Int8Table> {
	if (!model.int8Calibration) return Promise.reject(noInt8Graph(model.id));
	const path = join(CATALOG_DIR, model.int8Calibration);
	let table = int8Tables.get(path);
	if (!table) {
		table = readFile(path).then((bytes) => ({
			calibration: JSON.parse(bytes.toString('utf8')) as CalibrationTable,
			graph: `int8-v${QUANTIZE_VERSION}-${createHash('sha256').update(bytes).digest('hex').slice(0, 16)}`,
		}));
		int8Tables.set(path, table);
	}
	return table;
}

/**
 * The int8 graph of a calibrated catalog model, built from its float graph and calibration table, and cached
 * in the models folder like the float graph (in a folder of its own, keyed also by the table's hash).
 */
async function openInt8(model: CatalogModel, modelsDir: string, locate: () => Promise<ModelWeights>, table: Int8Table): Promise<InferenceSession> {
	const build = async () => quantizeModel(await floatGraph(model, await locate()), table.calibration);
	return openCachedGraph(model, modelsDir, build, { name: 'int8', key: table.graph });
}

function noInt8Graph(id: string): CutoutError {
	return new CutoutError(
		'invalid_option',
		`Matte quality "Speed" runs an int8 graph calibrated for its model, and model "${id}" has none`,
		'Choose ISNet General (embedded), or Matte Quality "Standard".',
	);
}

/**
 * A session on the model's graph as `build` makes it, from the optimised graph cached in the models folder
 * when it is there and sound, otherwise built (and cached for the next process).
 */
async function openCachedGraph(
	model: CatalogModel,
	modelsDir: string,
	build: () => Promise<Uint8Array>,
	derived?: { name: string; key: string },
): Promise<InferenceSession> {
	const { session } = await openOptimizedGraph(modelsDir, {
		modelId: model.id,
		sourceSha256: pinnedSha256(model),
		derived,
		build,
		open: (weights) => openSession(model.id, weights),
	});
	return session;
}

/**
 * What the cached graph of a catalog model is built from: its sources are one model in several places, so
 * their pinned hashes together name it.
 */
function pinnedSha256(model: CatalogModel): string {
	return model.sources.map((source) => (isPinned(source) ? source.sha256 : 'unpinned')).join('+');
}
