import {
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
	NodeConnectionTypes,
} from 'n8n-workflow';

import { type CutoutOutputFormat, type PngEffort, parseColor } from '../../lib/image/encode';
import { loadSegmentationModel } from '../../lib/models/segmentationModels';
import { type CutoutEncodeOptions, type EncodedCutout, encodeCutout } from '../../lib/image/encodeCutout';
import { removeBackground } from '../../lib/pipeline/removeBackground';
import { stopwatch } from '../../lib/stopwatch';
import { removeBackgroundRemotely } from '../../lib/providers/engine/remote';
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
import { outputFieldOption, pngEffortOption, qualityOption } from '../shared/outputOptions';
import { mapItemsOnEngine, type RemoteEngine, remoteFields } from '../shared/remoteEngine';
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
			{
				displayName: 'Output Format',
				name: 'outputFormat',
				type: 'options',
				options: [
					{ name: 'AVIF', value: 'avif' },
					{ name: 'GIF', value: 'gif' },
					{ name: 'JPEG (Flattened)', value: 'jpeg' },
					{ name: 'PNG', value: 'png' },
					{ name: 'WebP', value: 'webp' },
				],
				default: 'png',
			},
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
			{
				displayName: 'Options',
				name: 'options',
				type: 'collection',
				placeholder: 'Add option',
				default: {},
				options: [
					outputFieldOption('image'),
					outputFieldOption('mask'),
					maxMegapixelsOption,
					pngEffortOption,
					qualityOption(['avif', 'jpeg', 'webp']),
				],
			},
		],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return mapItemsOnEngine(this, 'removeBackground', async (itemIndex, _item, remote) => {
			const field = this.getNodeParameter('binaryPropertyName', itemIndex) as string;
			const options = this.getNodeParameter('options', itemIndex, {}) as RemoveBackgroundNodeOptions;
			const background = this.getNodeParameter('background', itemIndex) as string;
			const { buffer, meta } = await readInputBinary(this, itemIndex, field);
			const refineForeground = this.getNodeParameter('refineForeground', itemIndex) as boolean;
			const limits = decodeLimits(options.maxMegapixels ?? 64);
			const encoding: CutoutEncodeOptions = {
				format: this.getNodeParameter('outputFormat', itemIndex) as CutoutOutputFormat,
				background:
					background === 'color' ? parseColor(this.getNodeParameter('backgroundColor', itemIndex) as string) : undefined,
				quality: options.quality,
				pngEffort: options.pngEffort,
				includeMask: this.getNodeParameter('includeMask', itemIndex) as boolean,
				cropMargin: (this.getNodeParameter('cropToSubject', itemIndex, false) as boolean)
					? (this.getNodeParameter('cropMargin', itemIndex, 16) as number)
					: undefined,
			};

			const result = remote
				? await cutOutRemotely(remote, itemIndex, buffer, { ...encoding, refineForeground, limits })
				: await cutOutLocally(this, itemIndex, buffer, { ...encoding, refineForeground, limits });

			const binaries = { [options.imageField || 'image']: await writeOutputBinary(this, result.image, meta) };
			if (result.mask) binaries[options.maskField || 'mask'] = await writeOutputBinary(this, result.mask, meta, '-mask');
			return {
				fields: {
					...result.fields,
					foregroundFraction: Number(result.foregroundFraction.toFixed(4)),
					subjectBox: result.subjectBox ? { ...result.subjectBox } : null,
					...(result.crop ? { crop: { ...result.crop } } : {}),
				},
				binaries,
			};
		});
	}
}

type CutoutSettings = CutoutEncodeOptions & { refineForeground: boolean; limits: ReturnType<typeof decodeLimits> };
type NodeCutout = EncodedCutout & { fields: IDataObject };

async function cutOutLocally(ctx: IExecuteFunctions, itemIndex: number, input: Buffer, settings: CutoutSettings): Promise<NodeCutout> {
	const model = await loadSegmentationModel(readSegmentationModelChoice(ctx, itemIndex), {
		// No cancel signal: the session and its download are shared with other items and executions.
		log: (message) => ctx.logger.info(`Cutout: ${message}`),
	});
	const result = await removeBackground(input, model, { ...settings, ...readLocalSegmentationSettings(ctx, itemIndex) });
	return {
		...result,
		fields: { width: result.width, height: result.height, model: result.model, engine: 'local', timings: { ...result.timings } },
	};
}

/** The hosted engines return the same outputs: the provider's matte at full resolution, encoded here. */
async function cutOutRemotely(remote: RemoteEngine, itemIndex: number, input: Buffer, settings: CutoutSettings): Promise<NodeCutout> {
	const lap = stopwatch();
	const cutout = await removeBackgroundRemotely(remote.provider, input, remote.context(itemIndex), {
		...remote.runOptions(itemIndex),
		refineForeground: settings.refineForeground,
		decodeLimits: settings.limits,
	});
	const providerMs = lap();
	const encoded = await encodeCutout(cutout.foreground, cutout.alpha, cutout.width, cutout.height, settings);
	return { ...encoded, fields: { ...remoteFields(remote, cutout), timings: { providerMs, encodeMs: lap() } } };
}
