import type { ICredentialTestRequest, ICredentialType } from 'n8n-workflow';

import { headerAuthentication, providerCredentialProperties } from './providerCredential';

/** knockout: `Authorization: Bearer <token>`; open source, so Base URL may point at a self-hosted server. */
export class KnockoutApi implements ICredentialType {
	name = 'knockoutApi';

	displayName = 'Knockout API';

	icon = 'file:knockout.svg' as const;

	documentationUrl = 'https://github.com/useknockout/api/blob/main/APIREFERENCE.md';

	properties = providerCredentialProperties('https://useknockout--api.modal.run');

	authenticate = headerAuthentication('Authorization', '=Bearer {{$credentials.apiKey}}');

	// knockout has no endpoint that checks a token without running a model; /health (no auth) at least proves
	// the Base URL reaches a knockout server. A wrong token shows as "invalid API key" on first use.
	test: ICredentialTestRequest = {
		request: { baseURL: '={{$credentials.baseUrl}}', url: '/health', method: 'GET' },
	};
}
