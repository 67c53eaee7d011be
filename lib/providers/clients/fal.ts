import { CutoutError } from '../../errors';
import { type FalRunOptions, record, runFalModel } from './falQueue';
import { readOption } from './options';
import { falPlatformUrl } from './falPlatform';
import { readResultFile } from '../http/resultDownload';
import { pickAccount, type ProviderSession } from '../http/session';
import type { MatteRequest, ProviderOperation, ProviderOptions, ProviderParameter, RemoteProvider, UploadFile } from '../types';

/** fal.ai: BiRefNet v2 for cutouts and mattes, Bria Eraser for inpainting. Images go up as data: URIs. */
const NAME = 'fal.ai';
const BIREFNET = 'fal-ai/birefnet/v2';
const ERASER = 'fal-ai/bria/eraser';
const DYNAMIC = 'General Use (Dynamic)';

const MODEL = {
	name: 'model',
	displayName: 'fal Model',
	description: 'BiRefNet weights fal runs; only Dynamic works at 2304 × 2304',
	type: 'options',
	values: [
		{ name: 'General Use (Light)', value: 'General Use (Light)' },
		{ name: 'General Use (Light 2K)', value: 'General Use (Light 2K)' },
		{ name: 'General Use (Heavy)', value: 'General Use (Heavy)' },
		{ name: 'Matting', value: 'Matting' },
		{ name: 'Portrait', value: 'Portrait' },
		{ name: 'General Use (Dynamic)', value: DYNAMIC },
	],
	default: 'General Use (Light)',
} as const satisfies ProviderParameter;

const RESOLUTION = {
	name: 'operatingResolution',
	displayName: 'fal Operating Resolution',
	type: 'options',
	values: [
		{ name: '1024 × 1024', value: '1024x1024' },
		{ name: '2048 × 2048', value: '2048x2048' },
		{ name: '2304 × 2304 (Dynamic Model Only)', value: '2304x2304' },
	],
	default: '1024x1024',
} as const satisfies ProviderParameter;

const SYNC = {
	name: 'sync',
	displayName: 'fal Call Without Queue (fal.run)',
	description: 'Whether to call fal.run and wait on one connection instead of the queue (no polling, no queue retries)',
	type: 'boolean',
	default: false,
} as const satisfies ProviderParameter;

const SYNC_MODE = {
	name: 'syncMode',
	displayName: 'fal Keep Out of Request History',
	description:
		"Whether fal returns the result inline (its sync_mode) instead of as a stored file, so the output is not kept in fal's request history",
	type: 'boolean',
	default: false,
} as const satisfies ProviderParameter;

const JOB_TIMEOUT = {
	name: 'jobTimeoutSeconds',
	displayName: 'fal Job Timeout (Seconds)',
	description: 'How long a queued job may take, waiting included, before it is cancelled',
	type: 'number',
	default: 300,
	min: 10,
	max: 3600,
} as const satisfies ProviderParameter;

const BIREFNET_PARAMETERS = [MODEL, RESOLUTION, SYNC, SYNC_MODE, JOB_TIMEOUT];

function runOptions(options: ProviderOptions): FalRunOptions {
	return { sync: readOption(NAME, options, SYNC), jobTimeoutMs: readOption(NAME, options, JOB_TIMEOUT) * 1000 };
}

/** fal takes files inline, so nothing has to be hosted publicly. */
function dataUri(file: UploadFile): string {
	return `data:${file.mimeType};base64,${file.data.toString('base64')}`;
}

/**
 * The node's Refine Foreground Colours and Include Mask map to refine_foreground and output_mask; the
 * result always travels as lossless PNG, since the node re-encodes to its own Output Format.
 */
function birefnetInput(request: MatteRequest, outputMask: boolean, refineForeground: boolean): object {
	const model = readOption(NAME, request.options, MODEL);
	const resolution = readOption(NAME, request.options, RESOLUTION);
	if (resolution === '2304x2304' && model !== DYNAMIC) {
		throw new CutoutError(
			'invalid_option',
			`${NAME}: operating resolution 2304x2304 needs the model "${DYNAMIC}", not "${model}"`,
			'Choose "General Use (Dynamic)" or a lower operating resolution.',
		);
	}
	return {
		image_url: dataUri(request.image),
		model,
		operating_resolution: resolution,
		output_mask: outputMask,
		refine_foreground: refineForeground,
		output_format: 'png',
		sync_mode: readOption(NAME, request.options, SYNC_MODE),
	};
}

/** An output file such as `image` or `mask_image`: inline data or a link, read either way. */
function outputFile(session: ProviderSession, output: Record<string, unknown>, field: string, what: string): Promise<Buffer> {
	const file = output[field];
	if (typeof file !== 'object' || file === null) throw session.badResponse(undefined, `fal's output has no "${field}"`);
	return readResultFile(session, record(session, file, field), what);
}

const removeBackground: ProviderOperation<MatteRequest> = {
	parameters: BIREFNET_PARAMETERS,
	async run(request, session) {
		const input = birefnetInput(request, request.includeMask, request.refineForeground);
		const { output, requestId, meta } = await runFalModel(session, BIREFNET, input, runOptions(request.options));
		const image = await outputFile(session, output, 'image', 'cutout');
		const mask = request.includeMask ? await outputFile(session, output, 'mask_image', 'mask') : undefined;
		return { image, mask, requestId, meta };
	},
};

const alphaMatte: ProviderOperation<MatteRequest> = {
	parameters: BIREFNET_PARAMETERS,
	async run(request, session) {
		// Only the mask is used, so fal need not estimate foreground colours.
		const { output, requestId, meta } = await runFalModel(session, BIREFNET, birefnetInput(request, true, false), runOptions(request.options));
		return { mask: await outputFile(session, output, 'mask_image', 'mask'), requestId, meta };
	},
};

export const fal: RemoteProvider = {
	id: 'fal',
	displayName: NAME,
	credentialType: 'falApi',
	auth: { header: 'Authorization', scheme: 'Key' },
	defaultBaseUrl: 'https://queue.fal.run',
	limits: { maxBytes: 10 * 1024 * 1024, maxSide: 4096 },
	// fal reports no balance through its API; the price per call of the model the operation runs is what it has.
	async readAccount(session, operation) {
		const endpoint = operation === 'inpaint' ? ERASER : BIREFNET;
		const url = `${session.url('/v1/models/pricing', falPlatformUrl(session.context.baseUrl))}?endpoint_id=${encodeURIComponent(endpoint)}`;
		const { body } = await session.json({ method: 'GET', url });
		return pickAccount(body, { unitPrice: 'prices.0.unit_price', priceUnit: 'prices.0.unit', currency: 'prices.0.currency' });
	},
	operations: {
		removeBackground,
		alphaMatte,
		inpaint: {
			takesBox: false,
			findsSubject: false,
			dilates: false,
			parameters: [SYNC, SYNC_MODE, JOB_TIMEOUT],
			async run(request, session) {
				// Without takesBox or findsSubject, remote.ts always sends a mask (a box is drawn into one), already grown.
				const input = {
					image_url: dataUri(request.image),
					mask_url: dataUri(request.mask as UploadFile),
					mask_type: 'manual',
					sync_mode: readOption(NAME, request.options, SYNC_MODE),
				};
				const { output, requestId, meta } = await runFalModel(session, ERASER, input, runOptions(request.options));
				return { image: await outputFile(session, output, 'image', 'inpainted image'), requestId, meta };
			},
		},
	},
};
