import {
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
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

/** The segmentation parameters, relabelled: here they only serve auto-subject mode. */
const subjectModelProperties = segmentationModelProperties.map((property) =>
	property.name === 'model'
		? {
				...property,
				displayName: 'Subject Model',
				description: 'Finds the subject to erase when the item has no mask and no bounding box is set',
			}
		: property,
);

export class Inpaint implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Inpaint',
		name: 'inpaint',
		icon: 'file:inpaint.svg',
		group: ['transform'],
		version: 1,
		subtitle: '={{$parameter["engine"] === "local" ? $parameter["inpaintModel"] : $parameter["engine"]}}',
		description: 'Erase a region (a mask, a box, or the subject) and fill it with plausible background',
		defaults: { name: 'Inpaint' },
		usableAsTool: true,
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
				displayName: 'Mask Binary Field',
				name: 'maskBinaryPropertyName',
				type: 'string',
				default: 'mask',
				hint: 'When the item has this binary field, it is the mask: white = fill, black = keep',
			},
			{
				displayName: 'Bounding Box',
				name: 'boundingBox',
				type: 'fixedCollection',
				placeholder: 'Add bounding box',
				default: {},
				description: 'The region to fill in image pixels, used when the item has no mask; with neither, the subject is erased',
				options: [
					{
						displayName: 'Box',
						name: 'box',
						values: [
							{ displayName: 'X', name: 'x', type: 'number', default: 0, description: 'Left edge, in pixels' },
							{ displayName: 'Y', name: 'y', type: 'number', default: 0, description: 'Top edge, in pixels' },
							{ displayName: 'Width', name: 'width', type: 'number', default: 100 },
							{ displayName: 'Height', name: 'height', type: 'number', default: 100 },
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
					qualityOption('JPEG and WebP'),
				],
			},
		],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return mapItemsOnEngine(this, 'inpaint', async (itemIndex, item, remote) => {
			const field = this.getNodeParameter('binaryPropertyName', itemIndex) as string;
			const options = this.getNodeParameter('options', itemIndex, {}) as InpaintNodeOptions;
			const maskField = this.getNodeParameter('maskBinaryPropertyName', itemIndex, 'mask') as string;
			const { buffer, meta } = await readInputBinary(this, itemIndex, field);
			const target: InpaintTarget = {
				mask: maskField && item.binary?.[maskField] ? (await readInputBinary(this, itemIndex, maskField)).buffer : undefined,
				box: readBoundingBox(this.getNodeParameter('boundingBox', itemIndex, {}) as IDataObject),
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

/** The fixedCollection's box, or undefined when none is set; numbers are checked by the core (invalid_bbox). */
function readBoundingBox(parameter: IDataObject): Box | undefined {
	const box = parameter.box as IDataObject | undefined;
	if (!box) return undefined;
	return { x: Number(box.x), y: Number(box.y), width: Number(box.width), height: Number(box.height) };
}
