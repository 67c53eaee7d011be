import { readOption } from './options';
import { binaryResult, multipart } from '../http/session';
import type { ProviderParameter, RemoteProvider, UploadFile } from '../types';

/**
 * Clipdrop: remove-background/v1 (multipart `image_file`, the Accept header picks PNG) and cleanup/v1
 * (`image_file` + `mask_file`, same size, 0 = keep, 255 = remove, no grey values).
 */
const NAME = 'Clipdrop';
const META_HEADERS = ['x-remaining-credits', 'x-credits-consumed'];

const MODE = {
	name: 'mode',
	displayName: 'Clipdrop Cleanup Mode',
	type: 'options',
	values: [
		{ name: 'Fast', value: 'fast' },
		{ name: 'Quality', value: 'quality' },
	],
	default: 'fast',
} as const satisfies ProviderParameter;

export const clipdrop: RemoteProvider = {
	id: 'clipdrop',
	displayName: NAME,
	credentialType: 'clipdropApi',
	auth: { header: 'x-api-key' },
	defaultBaseUrl: 'https://clipdrop-api.co',
	limits: { maxBytes: 30 * 1024 * 1024, maxPixels: 25_000_000, formats: ['jpeg', 'png', 'webp'] },
	operations: {
		removeBackground: {
			async run(request, session) {
				const response = await session.image({
					method: 'POST',
					url: session.url('/remove-background/v1'),
					headers: { accept: 'image/png' },
					body: multipart({ image_file: request.image }),
				});
				return binaryResult(response, 'image', META_HEADERS);
			},
		},
		inpaint: {
			takesBox: false,
			findsSubject: false,
			dilates: false,
			parameters: [MODE],
			limits: { maxPixels: 16_000_000, formats: ['jpeg', 'png'] },
			async run(request, session) {
				// Without takesBox or findsSubject, remote.ts always sends a mask (a box is drawn into one), already grown.
				const body = multipart({
					image_file: request.image,
					mask_file: request.mask as UploadFile,
					mode: readOption(NAME, request.options, MODE),
				});
				const response = await session.image({ method: 'POST', url: session.url('/cleanup/v1'), body });
				return binaryResult(response, 'image', META_HEADERS);
			},
		},
	},
};
