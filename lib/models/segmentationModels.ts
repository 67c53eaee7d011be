import { readFile } from 'node:fs/promises';

import { getSession, type InferenceSession } from '../inference/sessions';
import { type SegmentationContract, findModel, validateSegmentationContract } from './catalog';
import { allowedCustomModelDirs, checkCustomModelPath } from './customModel';
import type { DownloadOptions } from './download';
import { convertFp16ModelToFp32 } from './fp16ToFp32';
import { resolveModelsDir } from './modelsDir';
import { locateWeights } from './weights';

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
	const session = await getSession(model.id, async () => {
		const weights = await locateWeights(model, { ...options, modelsDir });
		if (!model.widenFp16) return weights;
		return { bytes: convertFp16ModelToFp32('bytes' in weights ? weights.bytes : await readFile(weights.path)) };
	});
	return { id: model.id, contract: model, session };
}
