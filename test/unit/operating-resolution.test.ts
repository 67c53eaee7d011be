import type { INodeProperties } from 'n8n-workflow';

import { type CatalogModel, loadCatalog } from '../../lib/models/catalog';
import type { SegmentationModel } from '../../lib/models/segmentationModels';
import { operatingSize } from '../../lib/segmentation/segmentImage';
import { operatingResolutionProperties, segmentationModelProperties } from '../../nodes/shared/modelParameters';

/** Operating Resolution offers, for each model, exactly the sizes its catalog contract accepts. */
const segmentationModels = loadCatalog().filter((model) => model.task === 'segmentation');
const copies = segmentationModelProperties.filter((property) => property.name === 'operatingResolution');

function shownFor(modelId: string): INodeProperties[] {
	return copies.filter((property) => (property.displayOptions?.show?.model as string[] | undefined)?.includes(modelId));
}

function values(property: INodeProperties): string[] {
	return (property.options ?? []).map((option) => String((option as { value: string }).value));
}

describe('Operating Resolution', () => {
	it.each(segmentationModels.map((model) => [model.id, model] as const))('offers %s only sizes it can run at', (id, model) => {
		const [property, ...more] = shownFor(id);
		expect(more).toEqual([]);
		expect(property.displayOptions?.show?.engine).toEqual(['local']);
		const asModel = { id, contract: { input: model.input, output: model.output } } as unknown as SegmentationModel;
		for (const value of values(property)) {
			expect(() => operatingSize(asModel, value === 'native' ? 'native' : Number(value))).not.toThrow();
		}
	});

	it('no longer offers 2048 × 2048 to the 1024 models, nor 1024 to u2netp', () => {
		expect(values(shownFor('isnet-general-fp16')[0])).toEqual(['native']);
		expect(values(shownFor('u2netp')[0])).toEqual(['native']);
		expect(shownFor('u2netp')[0].options?.[0]).toMatchObject({ name: 'Model Native (320 × 320)' });
		expect(shownFor('custom')).toEqual([]);
	});

	it('lists the extra sizes a model with several accepts, grouping models with the same sizes', () => {
		const input = (size: number, sizes: number[]): CatalogModel['input'] => ({ size, sizes, scale: 1, mean: [0, 0, 0], std: [1, 1, 1] });
		const properties = operatingResolutionProperties([
			{ id: 'multi-a', input: input(1024, [2048, 1024, 1536]) },
			{ id: 'fixed', input: input(320, [320]) },
			{ id: 'multi-b', input: input(1024, [1024, 1536, 2048]) },
		]);
		expect(properties.map((property) => [property.displayOptions?.show?.model, values(property)])).toEqual([
			[['multi-a', 'multi-b'], ['native', '1536', '2048']],
			[['fixed'], ['native']],
		]);
	});
});
