import type { ICredentialTestRequest, ICredentialType } from 'n8n-workflow';

import { clipdrop } from '../lib/providers/clients/clipdrop';
import { providerAuthentication, providerCredentialProperties } from './providerCredential';

/** Clipdrop: `x-api-key`. */
export class ClipdropApi implements ICredentialType {
	name = 'clipdropApi';

	displayName = 'Clipdrop API';

	icon = 'file:clipdrop.svg' as const;

	documentationUrl = 'https://clipdrop.co/apis/docs';

	properties = providerCredentialProperties('https://clipdrop-api.co');

	authenticate = providerAuthentication(clipdrop);

	// Clipdrop has no endpoint that checks a key for free. A request without an image spends nothing: with a
	// good key it is refused as incomplete (400), with a missing or wrong key Clipdrop says so (401/403, its
	// documented wording), which the rules turn into a failed test.
	test: ICredentialTestRequest = {
		request: { baseURL: '={{$credentials.baseUrl}}', url: '/remove-background/v1', method: 'POST', ignoreHttpStatusErrors: true },
		rules: [
			{ type: 'responseSuccessBody', properties: { key: 'error', value: 'Invalid or revoked api key', message: 'Clipdrop refused the API key' } },
			{ type: 'responseSuccessBody', properties: { key: 'error', value: 'Missing api key', message: 'The API key is missing' } },
		],
	};
}
