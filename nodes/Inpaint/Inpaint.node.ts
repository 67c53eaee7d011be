import {
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeProperties,
	type INodeType,
	type INodeTypeDescription,
	NodeConnectionTypes,
} from 'n8n-workflow';

import type { PngEffort } from '../../lib/image/encode';
import { DEFAULT_INPAINT_ENGINE } from '../../lib/inpaint/engines';
import { MAX_DILATION } from '../../lib/inpaint/mask';
import type { Box } from '../../lib/matte/stats';
import { inpaintingModels } from '../../lib/models/choices';
import { DEFAULT_DILATION, inpaint, type InpaintOutputFormat } from '../../lib/pipeline';
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
import { LOCAL_ENGINE, mapItemsOnEngine } from '../shared/engine';
import { remoteCredentials, remoteProperties } from '../shared/remoteParameters';

interface InpaintNodeOptions {
	imageField?: string;
	maskField?: string;
	quality?: number;
	pngEffort?: PngEffort;
	maxMegapixels?: number;
}

/** Which parameters each choice of Region to Fill shows; Automatic keeps the precedence mask > box > subject. */
const REGIONS_SHOWING = { mask: ['auto', 'mask'], box: ['auto', 'box'], subject: ['auto', 'subject'] };

/** The segmentation parameters, relabelled and shown only when the subject may be the region to fill. */
const subjectModelProperties: INodeProperties[] = segmentationModelProperties.map((property) => ({
	...property,
	...(property.name === 'model' ? { displayName: 'Subject Model', description: 'Finds the subject to erase' } : {}),
	displayOptions: { show: { ...property.displayOptions?.show, region: REGIONS_SHOWING.subject } },
}));

export class Inpaint implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Inpaint',
		name: 'inpaint',
		icon: { light: 'file:inpaint.svg', dark: 'file:inpaint.dark.svg' },
		group: ['transform'],
		version: [1],
		subtitle: '={{$parameter["engine"] === "local" ? $parameter["inpaintModel"] : $parameter["engine"]}}',
		description: 'Erase a region (a mask, a box, or the subject) and fill it with plausible background',
		defaults: { name: 'Inpaint' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: remoteCredentials('inpaint'),
		properties: [
			engineProperty('inpaint'),
			inputBinaryProperty,
			...remoteProperties('inpaint'),
			{
				displayName: 'Inpainting Model',
				name: 'inpaintModel',
				type: 'options',
				displayOptions: { show: { engine: [LOCAL_ENGINE] } },
				options: inpaintingModels().map((model) => ({ name: model.displayName, value: model.id, description: model.description })),
				default: DEFAULT_INPAINT_ENGINE,
			},
			{
				displayName: 'Region to Fill',
				name: 'region',
				type: 'options',
				options: [
					{
						name: 'Automatic (Mask, Else Box, Else Subject)',
						value: 'auto',
						description: "The item's mask when it has one, otherwise the bounding box when one is set, otherwise the subject",
					},
					{
						name: 'Mask From a Binary Field',
						value: 'mask',
						description: 'An image of the same size: white = fill, black = keep (e.g. the mask from Remove Background or Alpha Matte)',
					},
					{ name: 'Bounding Box', value: 'box', description: 'A rectangle in image pixels' },
					{ name: 'Subject (Found Automatically)', value: 'subject', description: 'A segmentation model finds the main subject, which is erased' },
				],
				default: 'auto',
			},
			{
				displayName: 'Mask Binary Field',
				name: 'maskBinaryPropertyName',
				type: 'string',
				default: 'mask',
				displayOptions: { show: { region: REGIONS_SHOWING.mask } },
				hint: 'The input binary field holding the mask: white = fill, black = keep',
			},
			{
				displayName: 'Bounding Box',
				name: 'boundingBox',
				type: 'fixedCollection',
				placeholder: 'Add bounding box',
				default: {},
				displayOptions: { show: { region: REGIONS_SHOWING.box } },
				description: 'The region to fill, in image pixels',
				options: [
					{
						displayName: 'Box',
						name: 'box',
						// Width and Height start at 0, so an added box fills nothing until it is sized (a box with no area is invalid_bbox).
						values: [
							{ displayName: 'Left (Px)', name: 'x', type: 'number', typeOptions: { minValue: 0 }, default: 0, description: "Distance from the image's left edge" },
							{ displayName: 'Top (Px)', name: 'y', type: 'number', typeOptions: { minValue: 0 }, default: 0, description: "Distance from the image's top edge" },
							{ displayName: 'Width (Px)', name: 'width', type: 'number', typeOptions: { minValue: 0 }, default: 0 },
							{ displayName: 'Height (Px)', name: 'height', type: 'number', typeOptions: { minValue: 0 }, default: 0 },
						],
					},
				],
			},
			...subjectModelProperties,
			{
				displayName: 'Dilation (Px)',
				name: 'dilation',
				type: 'number',
				typeOptions: { minValue: 0, maxValue: MAX_DILATION },
				default: DEFAULT_DILATION,
				description: 'Grow the region by this many pixels before filling, so edges and halos go too',
			},
			outputFormatProperty([
				{ name: 'JPEG', value: 'jpeg' },
				{ name: 'PNG', value: 'png' },
				{ name: 'WebP', value: 'webp' },
			]),
			optionsCollection([
					outputFieldOption('image'),
					outputFieldOption('mask', 'Receives the region actually filled (after dilation)'),
					maxMegapixelsOption,
					qualityOption(['jpeg', 'webp']),
					pngEffortOption,
			]),
		],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return mapItemsOnEngine(this, 'inpaint', async (itemIndex, item, engineFor) => {
			const field = this.getNodeParameter('binaryPropertyName', itemIndex) as string;
			const options = this.getNodeParameter('options', itemIndex, {}) as InpaintNodeOptions;
			// 'auto' is also what workflows saved before Region to Fill existed mean.
			const region = this.getNodeParameter('region', itemIndex, 'auto') as InpaintRegion;
			const { buffer, meta } = await readInputBinary(this, itemIndex, field);
			const mask = await readMask(this, itemIndex, item, region);
			const box = REGIONS_SHOWING.box.includes(region) ? readBoundingBox(this, itemIndex, region === 'box') : undefined;
			const engine = engineFor(() => ({
				inpaintModel: this.getNodeParameter('inpaintModel', itemIndex) as string,
				// The subject's model is a setting only when the subject is what gets erased.
				segmentationModel: mask || box ? undefined : readSegmentationModelChoice(this, itemIndex),
			}));
			const result = await inpaint(buffer, engine, {
				mask,
				box,
				// Expressions may give strings; anything that is not a whole number 0–32 is refused by the core.
				dilation: Number(this.getNodeParameter('dilation', itemIndex)),
				format: this.getNodeParameter('outputFormat', itemIndex) as InpaintOutputFormat,
				quality: options.quality,
				pngEffort: options.pngEffort,
				limits: decodeLimits(options.maxMegapixels ?? 64),
			});
			const binaries = {
				[options.imageField || 'image']: await writeOutputBinary(this, result.image, meta),
				[options.maskField || 'mask']: await writeOutputBinary(this, result.mask, meta, '-mask'),
			};
			return { fields: result.fields, binaries };
		});
	}
}

type InpaintRegion = 'auto' | 'mask' | 'box' | 'subject';

/** The mask: required when the region is 'mask'; with 'auto', used only when the item has that binary field. */
async function readMask(ctx: IExecuteFunctions, itemIndex: number, item: INodeExecutionData, region: InpaintRegion): Promise<Buffer | undefined> {
	if (!REGIONS_SHOWING.mask.includes(region)) return undefined;
	const field = ctx.getNodeParameter('maskBinaryPropertyName', itemIndex, 'mask') as string;
	if (region === 'auto' && !(field && item.binary?.[field])) return undefined;
	return (await readInputBinary(ctx, itemIndex, field)).buffer;
}

/** The box parameter; the core checks it against the image (invalid_bbox, also for a box with no area). */
function readBoundingBox(ctx: IExecuteFunctions, itemIndex: number, required: boolean): Box | undefined {
	const box = (ctx.getNodeParameter('boundingBox', itemIndex, {}) as IDataObject).box as IDataObject | undefined;
	// A required box that was never added is a box with no area: the core refuses it as invalid_bbox, saying so.
	if (!box) return required ? { x: 0, y: 0, width: 0, height: 0 } : undefined;
	// Expressions may give strings.
	return { x: Number(box.x), y: Number(box.y), width: Number(box.width), height: Number(box.height) };
}
