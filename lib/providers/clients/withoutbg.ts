import { binaryResult, multipart, pickAccount } from '../http/session';
import type { MatteRequest, ProviderOperation, RemoteProvider } from '../types';

/** withoutBG (api.withoutbg.com): multipart field `file`; a PNG cutout or a greyscale alpha comes back. */
function endpoint(path: string, returns: 'image' | 'mask'): ProviderOperation<MatteRequest> {
	return {
		async run(request, session) {
			const response = await session.image({ method: 'POST', url: session.url(path), body: multipart({ file: request.image }) });
			return binaryResult(response, returns);
		},
	};
}

export const withoutbg: RemoteProvider = {
	id: 'withoutbg',
	displayName: 'withoutBG',
	credentialType: 'withoutBgApi',
	auth: { header: 'X-API-Key' },
	defaultBaseUrl: 'https://api.withoutbg.com',
	// The service infers at 1024 px on the long side at most, so a larger upload buys nothing.
	limits: { maxBytes: 10 * 1024 * 1024, maxSide: 4096, formats: ['jpeg', 'png', 'webp', 'tiff', 'bmp', 'gif'], workingSide: 1024 },
	fitToLimitsByDefault: true,
	// Documented limit; its official client assumes 20.
	defaultRequestsPerMinute: 7,
	statusMeanings: { 403: 'credits_expired' },
	async readAccount(session) {
		const { body } = await session.json({ method: 'GET', url: session.url('/available-credit') });
		return pickAccount(body, { credits: 'credit', creditsExpire: 'expiration_date' });
	},
	operations: {
		removeBackground: endpoint('/v1.0/image-without-background', 'image'),
		alphaMatte: endpoint('/v1.0/alpha-channel', 'mask'),
	},
};
