import { binaryResult, multipart } from '../http/session';
import type { MatteRequest, ProviderOperation, RemoteProvider } from '../types';

/**
 * knockout (useknockout.com, open source and self-hostable): multipart `file`. PNG is always asked for, as
 * a query parameter and a form field, since the hosted and open-source servers read it from different places.
 */
const NAME = 'knockout';
const META_HEADERS = ['x-knockout-latency', 'x-knockout-model', 'x-knockout-mode', 'x-knockout-warning', 'x-ratelimit-remaining'];

function matteEndpoint(path: string, returns: 'image' | 'mask'): ProviderOperation<MatteRequest> {
	return {
		async run(request, session) {
			const response = await session.image({
				method: 'POST',
				url: `${session.url(path)}?format=png`,
				body: multipart({ file: request.image, format: 'png' }),
			});
			return binaryResult(response, returns, META_HEADERS);
		},
	};
}

export const knockout: RemoteProvider = {
	id: 'knockout',
	displayName: NAME,
	credentialType: 'knockoutApi',
	auth: { header: 'Authorization', scheme: 'Bearer' },
	defaultBaseUrl: 'https://useknockout--api.modal.run',
	limits: { maxBytes: 10 * 1024 * 1024, maxSide: 4096, formats: ['jpeg', 'png', 'webp'] },
	operations: {
		removeBackground: matteEndpoint('/remove', 'image'),
		alphaMatte: matteEndpoint('/mask', 'mask'),
		inpaint: {
			// Precedence on the server: mask > box > the subject it detects itself.
			takesBox: true,
			findsSubject: true,
			dilates: true,
			async run(request, session) {
				const { box } = request;
				const body = multipart({
					file: request.image,
					mask: request.mask,
					x: box?.x,
					y: box?.y,
					w: box?.width,
					h: box?.height,
					dilation: request.dilation,
					format: 'png',
				});
				const response = await session.image({ method: 'POST', url: session.url('/inpaint'), body });
				return binaryResult(response, 'image', META_HEADERS);
			},
		},
	},
};
