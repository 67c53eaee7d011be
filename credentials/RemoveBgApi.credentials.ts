import type { ICredentialTestRequest, ICredentialType } from 'n8n-workflow';

import { removebg } from '../lib/providers/clients/removebg';
import { providerAuthentication, providerCredentialProperties } from './providerCredential';

/** remove.bg: `X-Api-Key`; the test reads the account, which costs nothing. */
export class RemoveBgApi implements ICredentialType {
	name = 'removeBgApi';

	displayName = 'remove.bg API';

	icon = 'file:removeBg.svg' as const;

	documentationUrl = 'https://www.remove.bg/api';

	properties = providerCredentialProperties('https://api.remove.bg');

	authenticate = providerAuthentication(removebg);

	test: ICredentialTestRequest = {
		request: { baseURL: '={{$credentials.baseUrl}}', url: '/v1.0/account', method: 'GET' },
	};
}
