import {
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
	NodeConnectionTypes,
} from 'n8n-workflow';

import { type CutoutOutputFormat, type PngEffort, parseColor } from '../../lib/image/encode';
import { removeBackground } from '../../lib/pipeline';
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
import { outputFieldOption, pngEffortOption, qualityOption } from '../shared/outputOptions';
import { mapItemsOnEngine } from '../shared/engine';
import { remoteCredentials, remoteProperties } from '../shared/remoteParameters';

interface RemoveBackgroundNodeOptions {
	imageField?: string;
	maskField?: string;
	quality?: number;
	pngEffort?: PngEffort;
	maxMegapixels?: number;
}

export class RemoveBackground implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Remove Background',
		name: 'removeBackground',
		icon: { light: 'file:removeBackground.svg', dark: 'file:removeBackground.dark.svg' },
		group: ['transform'],
		version: [1],
		subtitle: '={{$parameter["engine"] === "local" ? $parameter["model"] : $parameter["engine"]}}',
		description: 'Cut the subject out of an image: a transparent cutout and its mask, at full resolution',
		defaults: { name: 'Remove Background' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: remoteCredentials('removeBackground'),
		properties: [
			engineProperty('removeBackground'),
			inputBinaryProperty,
			...segmentationModelProperties,
			...remoteProperties('removeBackground'),
			{
				displayName: 'Refine Foreground Colors',
				name: 'refineForeground',
				type: 'boolean',
				default: true,
				description:
					'Whether to remove the old background’s color from soft edges (hair, fur) by blur-fusion foreground estimation; hosted engines use it when their matte comes back smaller than the input',
			},
			outputFormatProperty([
				{ name: 'AVIF', value: 'avif' },
				{ name: 'GIF', value: 'gif' },
				{ name: 'JPEG (Flattened)', value: 'jpeg' },
				{ name: 'PNG', value: 'png' },
				{ name: 'WebP', value: 'webp' },
			]),
			{
				displayName: 'Background',
				name: 'background',
				type: 'options',
				options: [
					{ name: 'Transparent', value: 'transparent' },
					{ name: 'Color', value: 'color' },
				],
				default: 'transparent',
				description: 'JPEG has no transparency and is always flattened onto the color (white unless set)',
			},
			{
				displayName: 'Background Color',
				name: 'backgroundColor',
				type: 'color',
				default: '#ffffff',
				displayOptions: { show: { background: ['color'] } },
			},
			{
				displayName: 'Include Mask',
				name: 'includeMask',
				type: 'boolean',
				default: true,
				description: 'Whether to also output the 8-bit grayscale mask (PNG) for later nodes',
			},
			{
				displayName: 'Crop to Subject',
				name: 'cropToSubject',
				type: 'boolean',
				default: false,
				description: 'Whether to crop the cutout and mask to the subject’s bounding box plus a margin',
			},
			{
				displayName: 'Crop Margin (Px)',
				name: 'cropMargin',
				type: 'number',
				typeOptions: { minValue: 0 },
				default: 16,
				displayOptions: { show: { cropToSubject: [true] } },
				description: 'Space kept around the subject’s bounding box, on each side',
			},
			optionsCollection([
					outputFieldOption('image'),
					outputFieldOption('mask'),
					maxMegapixelsOption,
					pngEffortOption,
					qualityOption(['avif', 'jpeg', 'webp']),
			]),
		],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return mapItemsOnEngine(this, 'removeBackground', async (itemIndex, _item, engineFor) => {
			const field = this.getNodeParameter('binaryPropertyName', itemIndex) as string;
			const options = this.getNodeParameter('options', itemIndex, {}) as RemoveBackgroundNodeOptions;
			const background = this.getNodeParameter('background', itemIndex) as string;
			const { buffer, meta } = await readInputBinary(this, itemIndex, field);
			const engine = engineFor(() => ({ segmentationModel: readSegmentationModelChoice(this, itemIndex) }));
			const result = await removeBackground(buffer, engine, {
				format: this.getNodeParameter('outputFormat', itemIndex) as CutoutOutputFormat,
				background:
					background === 'color' ? parseColor(this.getNodeParameter('backgroundColor', itemIndex) as string) : undefined,
				quality: options.quality,
				pngEffort: options.pngEffort,
				includeMask: this.getNodeParameter('includeMask', itemIndex) as boolean,
				cropMargin: (this.getNodeParameter('cropToSubject', itemIndex, false) as boolean)
					? (this.getNodeParameter('cropMargin', itemIndex, 16) as number)
					: undefined,
				refineForeground: this.getNodeParameter('refineForeground', itemIndex) as boolean,
				limits: decodeLimits(options.maxMegapixels ?? 64),
			});

			const binaries = { [options.imageField || 'image']: await writeOutputBinary(this, result.image, meta) };
			if (result.mask) binaries[options.maskField || 'mask'] = await writeOutputBinary(this, result.mask, meta, '-mask');
			return { fields: result.fields, binaries };
		});
	}
}
