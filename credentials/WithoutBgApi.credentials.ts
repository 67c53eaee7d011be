import type { ICredentialTestRequest, ICredentialType } from 'n8n-workflow';

import { withoutbg } from '../lib/providers/clients/withoutbg';
import { providerAuthentication, providerCredentialProperties } from './providerCredential';

/** withoutBG: `X-API-Key`; the test reads the remaining credit, which costs nothing. */
export class WithoutBgApi implements ICredentialType {
	name = 'withoutBgApi';

	displayName = 'withoutBG API';

	icon = 'file:withoutBg.svg' as const;

	documentationUrl = 'https://withoutbg.com/documentation';

	properties = providerCredentialProperties('https://api.withoutbg.com');

	authenticate = providerAuthentication(withoutbg);

	test: ICredentialTestRequest = {
		request: { baseURL: '={{$credentials.baseUrl}}', url: '/available-credit', method: 'GET' },
	};
}
