import { readFile } from 'node:fs/promises';

import { getSession, type InferenceSession, openSession, sharedSession } from '../inference/sessions';
import { type CatalogModel, type SegmentationContract, findModel, isPinned, validateSegmentationContract } from './catalog';
import { allowedCustomModelDirs, checkCustomModelPath } from './customModel';
import type { DownloadOptions } from './download';
import { convertFp16ModelToFp32 } from './fp16ToFp32';
import { resolveModelsDir } from './modelsDir';
import { openOptimizedGraph } from './optimizedGraphCache';
import { pruneToOutput } from './pruneOutputs';
import { locateWeights, type ModelWeights } from './weights';

/** A catalog model by id, or a user's own ONNX file with the contract they describe. */
export type SegmentationModelChoice = { id: string } | { customPath: string; contract: SegmentationContract };

export interface SegmentationModel {
	/** Catalog id, or "custom:<file>" for a custom model. */
	id: string;
	contract: SegmentationContract;
	session: InferenceSession;
}

export interface ModelLoadOptions extends DownloadOptions {
	/** Defaults to CUTOUT_MODELS_DIR or <N8N_USER_FOLDER>/.n8n/cutout-models. */
	modelsDir?: string;
}

export async function loadSegmentationModel(
	choice: SegmentationModelChoice,
	options: ModelLoadOptions = {},
): Promise<SegmentationModel> {
	const modelsDir = options.modelsDir ?? resolveModelsDir();
	if ('customPath' in choice) {
		validateSegmentationContract(choice.contract, `custom model ${choice.customPath}`);
		const path = await checkCustomModelPath(choice.customPath, allowedCustomModelDirs(modelsDir));
		const session = await getSession(`custom:${path}`, async () => ({ path }));
		return { id: `custom:${path}`, contract: choice.contract, session };
	}
	const model = findModel(choice.id, 'segmentation');
	const locate = () => locateWeights(model, { ...options, modelsDir });
	const session = await (model.widenFp16
		? sharedSession(model.id, () => openWidened(model, modelsDir, locate))
		: getSession(model.id, locate));
	return { id: model.id, contract: model, session };
}

/**
 * An fp16 model widened to fp32 and cut down to the one output the contract reads, from the optimised graph
 * cached in the models folder when it is there and sound, otherwise built from the source (and cached for
 * the next process).
 */
async function openWidened(model: CatalogModel, modelsDir: string, locate: () => Promise<ModelWeights>): Promise<InferenceSession> {
	const { session } = await openOptimizedGraph(modelsDir, {
		modelId: model.id,
		sourceSha256: pinnedSha256(model),
		build: async () => {
			const weights = await locate();
			const widened = convertFp16ModelToFp32('bytes' in weights ? weights.bytes : await readFile(weights.path));
			return model.output.name ? pruneToOutput(widened, model.output.name) : widened;
		},
		open: (weights) => openSession(model.id, weights),
		release: (session) => session.release(),
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
