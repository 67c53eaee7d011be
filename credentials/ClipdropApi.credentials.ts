import type { ICredentialTestRequest, ICredentialType } from 'n8n-workflow';

import { headerAuthentication, providerCredentialProperties } from './providerCredential';

/** Clipdrop: `x-api-key`. */
export class ClipdropApi implements ICredentialType {
	name = 'clipdropApi';

	displayName = 'Clipdrop API';

	icon = 'file:clipdrop.svg' as const;

	documentationUrl = 'https://clipdrop.co/apis/docs';

	properties = providerCredentialProperties('https://clipdrop-api.co');

	authenticate = headerAuthentication('x-api-key', '={{$credentials.apiKey}}');

	// Clipdrop has no endpoint that checks a key without spending a credit, so this only proves the Base URL
	// answers (any HTTP status counts); a wrong key shows as "invalid API key" on first use.
	test: ICredentialTestRequest = {
		request: { baseURL: '={{$credentials.baseUrl}}', url: '/', method: 'GET', ignoreHttpStatusErrors: true },
	};
}
