import type { ICredentialTestRequest, ICredentialType } from 'n8n-workflow';

import { headerAuthentication, providerCredentialProperties } from './providerCredential';

/** withoutBG: `X-API-Key`; the test reads the remaining credit, which costs nothing. */
export class WithoutBgApi implements ICredentialType {
	name = 'withoutBgApi';

	displayName = 'withoutBG API';

	icon = 'file:withoutBg.svg' as const;

	documentationUrl = 'https://withoutbg.com/documentation';

	properties = providerCredentialProperties('https://api.withoutbg.com');

	authenticate = headerAuthentication('X-API-Key', '={{$credentials.apiKey}}');

	test: ICredentialTestRequest = {
		request: { baseURL: '={{$credentials.baseUrl}}', url: '/available-credit', method: 'GET' },
	};
}
