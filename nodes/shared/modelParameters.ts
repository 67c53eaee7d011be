import type { IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import type { DecodeLimits } from '../../lib/image/decode';
import { type CatalogModel, loadCatalog, type SegmentationContract } from '../../lib/models/catalog';
import type { SegmentationModelChoice } from '../../lib/models/segmentationModels';
import type { MatteQuality, OperatingResolution } from '../../lib/segmentation/segmentImage';
import type { OperationName } from '../../lib/providers/types';
import { LOCAL_ENGINE } from './engine';
import { remoteEngineOptions } from './remoteParameters';

const CUSTOM = 'custom';

const NORMALIZATIONS: Record<string, Pick<SegmentationContract['input'], 'scale' | 'mean' | 'std'>> = {
	imagenet: { scale: 1 / 255, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
	centered: { scale: 1, mean: [128, 128, 128], std: [256, 256, 256] },
	unit: { scale: 1 / 255, mean: [0, 0, 0], std: [1, 1, 1] },
};

const segmentationModels = loadCatalog().filter((model) => model.task === 'segmentation');
const defaultSegmentationModel = segmentationModels.find((model) => model.default)?.id ?? segmentationModels[0].id;

/** Local first (the default), then every hosted provider that offers the operation. */
export function engineProperty(operation: OperationName): INodeProperties {
	return {
		displayName: 'Engine',
		name: 'engine',
		type: 'options',
		noDataExpression: true,
		options: [
			{
				name: 'Local (ONNX on This Machine)',
				value: LOCAL_ENGINE,
				description: 'Runs the model inside n8n; nothing is uploaded',
			},
			...remoteEngineOptions(operation),
		],
		default: LOCAL_ENGINE,
	};
}

export const inputBinaryProperty: INodeProperties = {
	displayName: 'Input Binary Field',
	name: 'binaryPropertyName',
	type: 'string',
	default: 'data',
	required: true,
	hint: 'The name of the input binary field holding the image',
};

const local = { show: { engine: [LOCAL_ENGINE] } };
const custom = { show: { engine: [LOCAL_ENGINE], model: [CUSTOM] } };

/**
 * Operating Resolution offers only the square sizes the chosen model's contract accepts (catalog
 * `input.sizes`), so no choice fails at run time: one copy of the property per distinct set of sizes, each
 * shown for the models that have it. A custom model runs at its own Input Size, so it gets none.
 */
export function operatingResolutionProperties(models: ReadonlyArray<Pick<CatalogModel, 'id' | 'input'>>): INodeProperties[] {
	const groups = new Map<string, { native: number; others: number[]; ids: string[] }>();
	for (const { id, input } of models) {
		const others = input.sizes.filter((size) => size !== input.size).sort((a, b) => a - b);
		const key = [input.size, ...others].join(',');
		const group = groups.get(key) ?? { native: input.size, others, ids: [] };
		group.ids.push(id);
		groups.set(key, group);
	}
	return [...groups.values()].map(({ native, others, ids }) => ({
		displayName: 'Operating Resolution',
		name: 'operatingResolution',
		type: 'options',
		displayOptions: { show: { engine: [LOCAL_ENGINE], model: ids } },
		options: [
			{ name: `Model Native (${native} × ${native})`, value: 'native' },
			...others.map((size) => ({ name: `${size} × ${size}`, value: String(size) })),
		],
		// The rule cannot see options built at load time; 'native' is always the first of them.
		// eslint-disable-next-line n8n-nodes-base/node-param-default-wrong-for-options
		default: 'native',
		description: 'Square size the model sees (only the sizes this model accepts); the output always has the input’s full resolution',
	}));
}

export const segmentationModelProperties: INodeProperties[] = [
	{
		displayName: 'Model',
		name: 'model',
		type: 'options',
		displayOptions: local,
		options: [
			...segmentationModels.map((model) => ({ name: model.displayName, value: model.id, description: model.description })),
			{ name: 'Custom Model', value: CUSTOM, description: 'Your own ONNX segmentation model' },
		],
		default: defaultSegmentationModel,
		description: 'Larger models download once on first use into the models folder (see README)',
	},
	...operatingResolutionProperties(segmentationModels),
	{
		displayName: 'Matte Quality',
		name: 'matteQuality',
		type: 'options',
		displayOptions: local,
		options: [
			{ name: 'Standard', value: 'standard', description: 'One pass of the model' },
			{
				name: 'High (2× Slower)',
				value: 'high',
				description:
					'Runs an 8-bit integer version of the model (as Speed; built and cached in the models folder on first use) on four views: the image; the image and its mirror image extended by reflection (more where the subject is cut by the frame); the mirror image. Joins the four mattes: fewer missed or faded parts, about 1.8× the inference time. Models without an integer version (all but ISNet General) run twice instead, on the image and on the reflected mirror image.',
			},
			{
				name: 'Speed (Int8)',
				value: 'speed',
				description:
					'ISNet General only: one pass of an 8-bit integer version of the model, built and cached in the models folder on first use; faster, with slightly different edges',
			},
		],
		default: 'standard',
	},
	{
		displayName: 'Custom Model Path',
		name: 'customModelPath',
		type: 'string',
		displayOptions: custom,
		default: '',
		required: true,
		placeholder: '/home/node/.n8n/cutout-models/my-model.onnx',
		description: 'Absolute path to an .onnx file inside the models folder or CUTOUT_CUSTOM_MODEL_DIRS',
	},
	{
		displayName: 'Input Size',
		name: 'customInputSize',
		type: 'number',
		displayOptions: custom,
		typeOptions: { minValue: 32, maxValue: 4096 },
		default: 1024,
		description: 'Square input size the model expects (pixels)',
	},
	{
		displayName: 'Input Normalization',
		name: 'customNormalization',
		type: 'options',
		displayOptions: custom,
		options: [
			{ name: 'ImageNet Mean/Std on 0–1 (BiRefNet, U²-Net)', value: 'imagenet' },
			{ name: 'Centered: (Pixel − 128) / 256 (ISNet)', value: 'centered' },
			{ name: 'Unit: Pixel / 255', value: 'unit' },
		],
		default: 'imagenet',
	},
	{
		displayName: 'Output Is Logits (Apply Sigmoid)',
		name: 'customSigmoid',
		type: 'boolean',
		displayOptions: custom,
		default: true,
		description: 'Whether the first output holds logits (BiRefNet) rather than probabilities',
	},
	{
		displayName: 'Stretch Output to 0–1',
		name: 'customMinMax',
		type: 'boolean',
		displayOptions: custom,
		default: false,
		description: 'Whether to min-max normalize the prediction (rembg does this for U²-Net)',
	},
];

export const maxMegapixelsOption: INodeProperties = {
	displayName: 'Max Input Megapixels',
	name: 'maxMegapixels',
	type: 'number',
	typeOptions: { minValue: 0.01, maxValue: 1000, numberPrecision: 2 },
	default: 64,
	description: 'Larger images are refused before their pixels are decoded (protects memory)',
};

export function readSegmentationModelChoice(ctx: IExecuteFunctions, itemIndex: number): SegmentationModelChoice {
	const model = ctx.getNodeParameter('model', itemIndex) as string;
	if (model !== CUSTOM) return { id: model };
	const size = ctx.getNodeParameter('customInputSize', itemIndex) as number;
	const normalization = NORMALIZATIONS[ctx.getNodeParameter('customNormalization', itemIndex) as string] ?? NORMALIZATIONS.imagenet;
	return {
		customPath: ctx.getNodeParameter('customModelPath', itemIndex) as string,
		contract: {
			input: { size, sizes: [size], ...normalization },
			output: {
				index: 0,
				activation: (ctx.getNodeParameter('customSigmoid', itemIndex) as boolean) ? 'sigmoid' : 'none',
				minMax: ctx.getNodeParameter('customMinMax', itemIndex) as boolean,
			},
		},
	};
}

export interface LocalSegmentationSettings {
	resolution: OperatingResolution;
	matteQuality: MatteQuality;
}

export function readLocalSegmentationSettings(ctx: IExecuteFunctions, itemIndex: number): LocalSegmentationSettings {
	const resolution = ctx.getNodeParameter('operatingResolution', itemIndex, 'native') as string;
	return {
		resolution: resolution === 'native' ? 'native' : Number(resolution),
		matteQuality: ctx.getNodeParameter('matteQuality', itemIndex, 'standard') as MatteQuality,
	};
}

/** Byte cap on inputs; an instance-wide setting rather than a node option (a 100 MB image is already huge). */
const MAX_INPUT_BYTES = Number(process.env.CUTOUT_MAX_INPUT_MB ?? 100) * 1024 * 1024;

export function decodeLimits(maxMegapixels: number): DecodeLimits {
	return { maxPixels: Math.round(maxMegapixels * 1_000_000), maxInputBytes: MAX_INPUT_BYTES };
}
