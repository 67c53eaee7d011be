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
import { stopwatch } from '../../lib/pipeline/stopwatch';
import { inpaintRemotely, type InpaintTarget } from '../../lib/providers/remote';
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

/** The segmentation parameters, relabelled and shown only when the subject is the region to fill. */
const subjectModelProperties: INodeProperties[] = segmentationModelProperties.map((property) => ({
	...property,
	...(property.name === 'model' ? { displayName: 'Subject Model', description: 'Finds the subject to erase' } : {}),
	displayOptions: { show: { ...property.displayOptions?.show, region: ['subject'] } },
}));

/** The box's edges; Width and Height start empty (0) so that no arbitrary box is filled by default. */
const boxProperties: INodeProperties[] = [
	{ name: 'boxX', displayName: 'Box Left (Px)', description: 'Distance from the image’s left edge', default: 0, required: false },
	{ name: 'boxY', displayName: 'Box Top (Px)', description: 'Distance from the image’s top edge', default: 0, required: false },
	{ name: 'boxWidth', displayName: 'Box Width (Px)', default: 0, required: true },
	{ name: 'boxHeight', displayName: 'Box Height (Px)', default: 0, required: true },
].map((field) => ({ ...field, type: 'number', typeOptions: { minValue: 0 }, displayOptions: { show: { region: ['box'] } } }));

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
						name: 'Mask From a Binary Field',
						value: 'mask',
						description: 'An image of the same size: white = fill, black = keep (e.g. the mask from Remove Background or Alpha Matte)',
					},
					{ name: 'Bounding Box', value: 'box', description: 'A rectangle in image pixels' },
					{ name: 'Subject (Found Automatically)', value: 'subject', description: 'A segmentation model finds the main subject, which is erased' },
				],
				default: 'mask',
			},
			{
				displayName: 'Mask Binary Field',
				name: 'maskBinaryPropertyName',
				type: 'string',
				default: 'mask',
				required: true,
				displayOptions: { show: { region: ['mask'] } },
				hint: 'The name of the input binary field holding the mask',
			},
			...boxProperties,
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
		return mapItemsOnEngine(this, 'inpaint', async (itemIndex, _item, remote) => {
			const field = this.getNodeParameter('binaryPropertyName', itemIndex) as string;
			const options = this.getNodeParameter('options', itemIndex, {}) as InpaintNodeOptions;
			const region = this.getNodeParameter('region', itemIndex) as InpaintRegion;
			const { buffer, meta } = await readInputBinary(this, itemIndex, field);
			const target: InpaintTarget = {
				mask: region === 'mask' ? (await readInputBinary(this, itemIndex, this.getNodeParameter('maskBinaryPropertyName', itemIndex) as string)).buffer : undefined,
				box: region === 'box' ? readBoundingBox(this, itemIndex) : undefined,
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

type InpaintRegion = 'mask' | 'box' | 'subject';

/** The box parameters; the core checks them against the image (invalid_bbox, also for a box with no area). */
function readBoundingBox(ctx: IExecuteFunctions, itemIndex: number): Box {
	// Expressions may give strings.
	const [x, y, width, height] = ['boxX', 'boxY', 'boxWidth', 'boxHeight'].map((name) => Number(ctx.getNodeParameter(name, itemIndex)));
	return { x, y, width, height };
}
