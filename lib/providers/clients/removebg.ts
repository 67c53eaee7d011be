import { readOption } from './options';
import { binaryResult, multipart, pickAccount } from '../http/session';
import type { MatteRequest, ProviderOperation, ProviderParameter, RemoteProvider } from '../types';

/**
 * remove.bg: multipart `image_file`, always PNG so the matte survives. Background colour and cropping are
 * done by the node on the full-resolution result, so bg_color and crop are never sent.
 */
const NAME = 'remove.bg';
const META_HEADERS = ['x-credits-charged', 'x-width', 'x-height', 'x-type', 'x-ratelimit-remaining'];

const SIZE = {
	name: 'size',
	displayName: 'remove.bg Size',
	description: 'Resolution remove.bg works at (and charges for); a smaller matte is upsampled to the input size',
	type: 'options',
	values: [
		{ name: 'Auto (Highest the Credits Allow)', value: 'auto' },
		{ name: 'Full (up to 10 MP as PNG, 1 Credit)', value: 'full' },
		{ name: 'Preview (0.25 MP, 0.25 Credit)', value: 'preview' },
	],
	default: 'auto',
} as const satisfies ProviderParameter;

const TYPE = {
	name: 'type',
	displayName: 'remove.bg Subject Type',
	type: 'options',
	values: [
		{ name: 'Auto', value: 'auto' },
		{ name: 'Car', value: 'car' },
		{ name: 'Person', value: 'person' },
		{ name: 'Product', value: 'product' },
	],
	default: 'auto',
} as const satisfies ProviderParameter;

function endpoint(channels: 'rgba' | 'alpha'): ProviderOperation<MatteRequest> {
	return {
		parameters: [SIZE, TYPE],
		async run(request, session) {
			const body = multipart({
				image_file: request.image,
				size: readOption(NAME, request.options, SIZE),
				type: readOption(NAME, request.options, TYPE),
				format: 'png',
				channels,
			});
			const response = await session.image({ method: 'POST', url: session.url('/v1.0/removebg'), body });
			return binaryResult(response, channels === 'alpha' ? 'mask' : 'image', META_HEADERS);
		},
	};
}

export const removebg: RemoteProvider = {
	id: 'removebg',
	displayName: NAME,
	credentialType: 'removeBgApi',
	auth: { header: 'X-Api-Key' },
	defaultBaseUrl: 'https://api.remove.bg',
	limits: { maxBytes: 12 * 1024 * 1024, maxPixels: 50_000_000, formats: ['jpeg', 'png', 'webp'] },
	// remove.bg answers a bad key with 403.
	statusMeanings: { 403: 'invalid_key' },
	async readAccount(session) {
		const { body } = await session.json({ method: 'GET', url: session.url('/v1.0/account') });
		return pickAccount(body, { credits: 'data.attributes.credits.total', freeCalls: 'data.attributes.api.free_calls' });
	},
	operations: {
		removeBackground: endpoint('rgba'),
		alphaMatte: endpoint('alpha'),
	},
};
