import { readOption } from './options';
import { binaryResult, multipart, pickAccount } from '../http/session';
import type { MatteRequest, ProviderOperation, ProviderParameter, RemoteProvider } from '../types';

/** Photoroom (sdk.photoroom.com /v1/segment): multipart `image_file`; PNG cutout or alpha channel back. */
const NAME = 'Photoroom';

const SIZE = {
	name: 'size',
	displayName: 'Photoroom Size',
	type: 'options',
	values: [
		{ name: 'Full', value: 'full' },
		{ name: 'HD', value: 'hd' },
		{ name: 'Medium', value: 'medium' },
		{ name: 'Preview', value: 'preview' },
	],
	default: 'full',
} as const satisfies ProviderParameter;

function endpoint(channels: 'rgba' | 'alpha'): ProviderOperation<MatteRequest> {
	return {
		parameters: [SIZE],
		async run(request, session) {
			const body = multipart({ image_file: request.image, size: readOption(NAME, request.options, SIZE), format: 'png', channels });
			const response = await session.image({ method: 'POST', url: session.url('/v1/segment'), body });
			return binaryResult(response, channels === 'alpha' ? 'mask' : 'image');
		},
	};
}

export const photoroom: RemoteProvider = {
	id: 'photoroom',
	displayName: NAME,
	credentialType: 'photoroomApi',
	auth: { header: 'x-api-key' },
	defaultBaseUrl: 'https://sdk.photoroom.com',
	// Not in the material we have; 30 MB and 25 MP are assumed, the same as Clipdrop's documented ones.
	limits: { maxBytes: 30 * 1024 * 1024, maxPixels: 25_000_000, formats: ['jpeg', 'png', 'webp'] },
	async readAccount(session) {
		const { body } = await session.json({ method: 'GET', url: session.url('/v1/account') });
		return pickAccount(body, { credits: 'credits.available' });
	},
	operations: {
		removeBackground: endpoint('rgba'),
		alphaMatte: endpoint('alpha'),
	},
};
