import {
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeProperties,
	type INodeType,
	type INodeTypeDescription,
	NodeConnectionTypes,
} from 'n8n-workflow';

import { encodeMask, encodeRgb, type EncodedImage } from '../../lib/image/encode';
import { DEFAULT_INPAINT_ENGINE, loadInpaintEngine } from '../../lib/inpaint/engines';
import { holeFraction, MAX_DILATION } from '../../lib/inpaint/mask';
import type { Box } from '../../lib/matte/stats';
import { loadCatalog } from '../../lib/models/catalog';
import { loadSegmentationModel } from '../../lib/models/segmentationModels';
import { DEFAULT_DILATION, inpaint, type InpaintOutputFormat } from '../../lib/pipeline/inpaint';
import { stopwatch } from '../../lib/stopwatch';
import { inpaintRemotely, type InpaintTarget } from '../../lib/providers/engine/remote';
import { readInputBinary, writeOutputBinary } from '../shared/binary';
import {
	decodeLimits,
	engineProperty,
	inputBinaryProperty,
	maxMegapixelsOption,
	readLocalSegmentationSettings,
	readSegmentationModelChoice,
	segmentationModelProperties,
} from '../shared/modelParameters';
import { outputFieldOption, qualityOption } from '../shared/outputOptions';
import { LOCAL_ENGINE, mapItemsOnEngine, type RemoteEngine, remoteFields } from '../shared/remoteEngine';
import { remoteCredentials, remoteProperties } from '../shared/remoteParameters';

interface InpaintNodeOptions {
	imageField?: string;
	maskField?: string;
	quality?: number;
	maxMegapixels?: number;
}

const inpaintingModels = loadCatalog().filter((model) => model.task === 'inpainting');

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
				options: [
					{
						name: 'Patch Fill (Embedded)',
						value: 'patch',
						description: 'Works offline: continues the surrounding textures into the hole (PatchMatch)',
					},
					{
						name: 'Smooth Fill (Embedded, Fast)',
						value: 'smooth',
						description: 'Works offline: blends the surrounding colors; best for thin strokes and small blemishes',
					},
					...inpaintingModels.map((model) => ({ name: model.displayName, value: model.id, description: model.description })),
				],
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
			{
				displayName: 'Output Format',
				name: 'outputFormat',
				type: 'options',
				options: [
					{ name: 'JPEG', value: 'jpeg' },
					{ name: 'PNG', value: 'png' },
					{ name: 'WebP', value: 'webp' },
				],
				default: 'png',
			},
			{
				displayName: 'Options',
				name: 'options',
				type: 'collection',
				placeholder: 'Add option',
				default: {},
				options: [
					outputFieldOption('image'),
					outputFieldOption('mask', 'Receives the region actually filled (after dilation)'),
					maxMegapixelsOption,
					qualityOption(['jpeg', 'webp']),
				],
			},
		],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return mapItemsOnEngine(this, 'inpaint', async (itemIndex, item, remote) => {
			const field = this.getNodeParameter('binaryPropertyName', itemIndex) as string;
			const options = this.getNodeParameter('options', itemIndex, {}) as InpaintNodeOptions;
			// 'auto' is also what workflows saved before Region to Fill existed mean.
			const region = this.getNodeParameter('region', itemIndex, 'auto') as InpaintRegion;
			const { buffer, meta } = await readInputBinary(this, itemIndex, field);
			const target: InpaintTarget = {
				mask: await readMask(this, itemIndex, item, region),
				box: REGIONS_SHOWING.box.includes(region) ? readBoundingBox(this, itemIndex, region === 'box') : undefined,
				// Expressions may give strings; anything that is not a whole number 0–32 is refused by the core.
				dilation: Number(this.getNodeParameter('dilation', itemIndex)),
			};
			const settings: InpaintSettings = {
				format: this.getNodeParameter('outputFormat', itemIndex) as InpaintOutputFormat,
				quality: options.quality,
				limits: decodeLimits(options.maxMegapixels ?? 64),
			};

			const result = remote
				? await inpaintViaProvider(remote, itemIndex, buffer, target, settings)
				: await inpaintLocally(this, itemIndex, buffer, target, settings);
			const binaries = { [options.imageField || 'image']: await writeOutputBinary(this, result.image, meta) };
			if (result.mask) binaries[options.maskField || 'mask'] = await writeOutputBinary(this, result.mask, meta, '-mask');
			return { fields: result.fields, binaries };
		});
	}
}

interface InpaintSettings {
	format: InpaintOutputFormat;
	quality?: number;
	limits: ReturnType<typeof decodeLimits>;
}

interface NodeInpaint {
	image: EncodedImage;
	/** The region filled; absent when a provider picked the subject itself. */
	mask?: EncodedImage;
	fields: IDataObject;
}

async function inpaintLocally(
	ctx: IExecuteFunctions,
	itemIndex: number,
	input: Buffer,
	target: InpaintTarget,
	settings: InpaintSettings,
): Promise<NodeInpaint> {
	const log = (message: string) => ctx.logger.info(`Cutout: ${message}`);
	// No cancel signal: sessions and downloads are shared with other items and executions.
	const engine = await loadInpaintEngine(ctx.getNodeParameter('inpaintModel', itemIndex) as string, { log });
	const { resolution, matteQuality } = readLocalSegmentationSettings(ctx, itemIndex);
	const subject =
		target.mask || target.box
			? undefined
			: { model: await loadSegmentationModel(readSegmentationModelChoice(ctx, itemIndex), { log }), resolution, quality: matteQuality };
	const result = await inpaint(input, { ...settings, engine, mask: target.mask, bbox: target.box, segmentation: subject, dilation: target.dilation });
	return {
		image: result.image,
		mask: result.mask,
		fields: {
			width: result.width,
			height: result.height,
			mode: result.mode,
			model: result.model,
			engine: 'local',
			...(subject ? { subjectModel: subject.model.id } : {}),
			holeFraction: Number(result.holeFraction.toFixed(4)),
			timings: { ...result.timings },
			...(result.warning ? { warning: result.warning } : {}),
		},
	};
}

/** The provider's fill laid onto the full-resolution input, encoded here as the local result is. */
async function inpaintViaProvider(
	remote: RemoteEngine,
	itemIndex: number,
	input: Buffer,
	target: InpaintTarget,
	settings: InpaintSettings,
): Promise<NodeInpaint> {
	const lap = stopwatch();
	const result = await inpaintRemotely(remote.provider, input, target, remote.context(itemIndex), {
		...remote.runOptions(itemIndex),
		decodeLimits: settings.limits,
	});
	const providerMs = lap();
	const { width, height, holes } = result;
	const image = await encodeRgb(result.rgb, width, height, settings.format, { quality: settings.quality });
	const mask = holes ? await encodeMask(holes, width, height) : undefined;
	return {
		image,
		mask,
		fields: {
			...remoteFields(remote, result),
			mode: result.mode,
			...(holes ? { holeFraction: Number(holeFraction(holes).toFixed(4)) } : {}),
			timings: { providerMs, encodeMs: lap() },
		},
	};
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
