import { getSession, type InferenceSession } from '../inference/sessions';
import { type CatalogModel, findInpaintingModel, type InpaintingContract, loadCatalog } from './catalog';
import { resolveModelsDir } from './modelsDir';
import type { ModelLoadOptions } from './segmentationModels';
import { locateWeights } from './weights';

export interface InpaintingModel {
	id: string;
	contract: InpaintingContract;
	session: InferenceSession;
}

export interface InpaintingModelLoadOptions extends ModelLoadOptions {
	/** Tests only: a catalog of toy models (loadCatalog(path)) instead of the packaged one. */
	catalog?: CatalogModel[];
}

/**
 * Loads a catalog inpainting model: downloaded once into the models folder (verified, cached, single
 * flight) or read from there when the file is already present. One session per model and pinned file.
 */
export async function loadInpaintingModel(id: string, options: InpaintingModelLoadOptions = {}): Promise<InpaintingModel> {
	const { catalog = loadCatalog(), ...loadOptions } = options;
	const model = findInpaintingModel(id, catalog);
	const modelsDir = loadOptions.modelsDir ?? resolveModelsDir();
	// Keyed by the pinned hash too, so a test catalog's toy model never shares a session with the real one.
	const key = `${model.id}:${model.sources.map((source) => source.sha256 ?? 'unpinned').join(',')}`;
	const session = await getSession(key, () => locateWeights(model, { ...loadOptions, modelsDir }));
	return { id: model.id, contract: model.inpainting, session };
}
