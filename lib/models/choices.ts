import { DEFAULT_INPAINT_ENGINE } from '../inpaint/engines';
import { defaultModel, loadCatalog } from './catalog';

export interface ModelChoice {
	id: string;
	displayName: string;
	description: string;
	/** The catalog's default for its task. */
	isDefault: boolean;
}

/** Segmentation models a front end can offer (see isDefault for the one used when none is chosen). */
export function segmentationModels(): ModelChoice[] {
	const fallback = defaultModel('segmentation').id;
	return loadCatalog()
		.filter((model) => model.task === 'segmentation')
		.map(({ id, displayName, description }) => ({ id, displayName, description, isDefault: id === fallback }));
}

/** What can fill Inpaint's region: the embedded fills, then the catalog's inpainting models. */
export function inpaintingModels(): ModelChoice[] {
	const embedded: ModelChoice[] = [
		{
			id: 'patch',
			displayName: 'Patch Fill (Embedded)',
			description: 'Works offline: continues the surrounding textures into the hole (PatchMatch)',
			isDefault: DEFAULT_INPAINT_ENGINE === 'patch',
		},
		{
			id: 'smooth',
			displayName: 'Smooth Fill (Embedded, Fast)',
			description: 'Works offline: blends the surrounding colors; best for thin strokes and small blemishes',
			isDefault: DEFAULT_INPAINT_ENGINE === 'smooth',
		},
	];
	const downloaded = loadCatalog().filter((model) => model.task === 'inpainting');
	return [...embedded, ...downloaded.map(({ id, displayName, description }) => ({ id, displayName, description, isDefault: false }))];
}
