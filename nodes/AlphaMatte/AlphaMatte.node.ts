import {
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
	NodeConnectionTypes,
} from 'n8n-workflow';

import type { MaskOutputFormat } from '../../lib/image/encode';
import { alphaMatte } from '../../lib/pipeline';
import { readInputBinary, writeOutputBinary } from '../shared/binary';
import { optionsCollection, outputFormatProperty } from '../shared/description';
import {
	decodeLimits,
	engineProperty,
	inputBinaryProperty,
	maxMegapixelsOption,
	readSegmentationModelChoice,
	segmentationModelProperties,
} from '../shared/modelParameters';
import { outputFieldOption } from '../shared/outputOptions';
import { mapItemsOnEngine } from '../shared/engine';
import { remoteCredentials, remoteProperties } from '../shared/remoteParameters';

interface AlphaMatteNodeOptions {
	guidedUpsampling?: boolean;
	grow?: number;
	feather?: number;
	invert?: boolean;
	maskField?: string;
	maxMegapixels?: number;
}

export class AlphaMatte implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Alpha Matte',
		name: 'alphaMatte',
		icon: { light: 'file:alphaMatte.svg', dark: 'file:alphaMatte.dark.svg' },
		group: ['transform'],
		version: [1],
		subtitle: '={{$parameter["engine"] === "local" ? $parameter["model"] : $parameter["engine"]}}',
		description: 'Find the subject and return just its matte: an 8-bit grayscale image at the input’s full resolution',
		defaults: { name: 'Alpha Matte' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: remoteCredentials('alphaMatte'),
		properties: [
			engineProperty('alphaMatte'),
			inputBinaryProperty,
			...segmentationModelProperties,
			...remoteProperties('alphaMatte'),
			{
				displayName: 'Output',
				name: 'outputType',
				type: 'options',
				options: [
					{ name: 'Soft Matte', value: 'soft', description: 'Partial transparency kept at hair, fur and soft edges' },
					{ name: 'Binary Mask', value: 'binary', description: 'Only black and white, cut at the threshold' },
				],
				default: 'soft',
			},
			{
				displayName: 'Threshold',
				name: 'threshold',
				type: 'number',
				typeOptions: { minValue: 0, maxValue: 1, numberPrecision: 2 },
				default: 0.5,
				displayOptions: { show: { outputType: ['binary'] } },
				description: 'Pixels at least this opaque (0–1) become white, the rest black',
			},
			outputFormatProperty([
				{ name: 'PNG (8-Bit)', value: 'png' },
				{ name: 'PNG (16-Bit)', value: 'png16' },
				{ name: 'WebP (Lossless)', value: 'webp' },
			]),
			optionsCollection([
					{
						displayName: 'Feather (Px)',
						name: 'feather',
						type: 'number',
						typeOptions: { minValue: 0, maxValue: 500 },
						default: 0,
						description: 'Soften the edge over about this many pixels',
					},
					{
						displayName: 'Grow / Shrink (Px)',
						name: 'grow',
						type: 'number',
						default: 0,
						description: 'Move the edge outwards (positive) or inwards (negative) by this many pixels',
					},
					{
						displayName: 'Guided Upsampling',
						name: 'guidedUpsampling',
						type: 'boolean',
						default: true,
						description:
							'Whether to bring the model’s matte to full resolution with a guided filter, so edges follow the image rather than a blurred low-resolution matte (local engine; a hosted matte smaller than the input is upsampled linearly)',
					},
					{
						displayName: 'Invert',
						name: 'invert',
						type: 'boolean',
						default: false,
						description: 'Whether to make the subject black and the background white',
					},
					outputFieldOption('mask'),
					maxMegapixelsOption,
			]),
		],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return mapItemsOnEngine(this, 'alphaMatte', async (itemIndex, _item, engineFor) => {
			const field = this.getNodeParameter('binaryPropertyName', itemIndex) as string;
			const options = this.getNodeParameter('options', itemIndex, {}) as AlphaMatteNodeOptions;
			const binary = (this.getNodeParameter('outputType', itemIndex) as string) === 'binary';
			const { buffer, meta } = await readInputBinary(this, itemIndex, field);
			const engine = engineFor(() => ({ segmentationModel: readSegmentationModelChoice(this, itemIndex) }));
			const result = await alphaMatte(buffer, engine, {
				guidedUpsampling: options.guidedUpsampling ?? true,
				binary,
				threshold: binary ? (this.getNodeParameter('threshold', itemIndex, 0.5) as number) : undefined,
				grow: options.grow,
				feather: options.feather,
				invert: options.invert,
				format: this.getNodeParameter('outputFormat', itemIndex) as MaskOutputFormat,
				limits: decodeLimits(options.maxMegapixels ?? 64),
			});
			return {
				fields: result.fields,
				binaries: { [options.maskField || 'mask']: await writeOutputBinary(this, result.mask, meta, '-mask') },
			};
		});
	}
}
