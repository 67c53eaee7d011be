import type { ICredentialTestRequest, ICredentialType } from 'n8n-workflow';

import { knockout } from '../lib/providers/clients/knockout';
import { providerAuthentication, providerCredentialProperties } from './providerCredential';

/** knockout: `Authorization: Bearer <token>`; open source, so Base URL may point at a self-hosted server. */
export class KnockoutApi implements ICredentialType {
	name = 'knockoutApi';

	displayName = 'Knockout API';

	icon = 'file:knockout.svg' as const;

	documentationUrl = 'https://github.com/useknockout/api/blob/main/APIREFERENCE.md';

	properties = providerCredentialProperties('https://useknockout--api.modal.run');

	authenticate = providerAuthentication(knockout);

	// The cost estimator needs the token but runs no model and spends no credit; a wrong token is a 401/403.
	test: ICredentialTestRequest = {
		request: { baseURL: '={{$credentials.baseUrl}}', url: '/estimate', method: 'POST', body: { endpoint: '/remove' }, json: true },
	};
}
