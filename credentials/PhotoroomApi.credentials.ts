import type { ICredentialTestRequest, ICredentialType } from 'n8n-workflow';

import { photoroom } from '../lib/providers/clients/photoroom';
import { providerAuthentication, providerCredentialProperties } from './providerCredential';

/** Photoroom: `x-api-key`; the test reads the account's remaining images, which costs nothing. */
export class PhotoroomApi implements ICredentialType {
	name = 'photoroomApi';

	displayName = 'Photoroom API';

	icon = 'file:photoroom.svg' as const;

	documentationUrl = 'https://docs.photoroom.com';

	properties = providerCredentialProperties('https://sdk.photoroom.com');

	authenticate = providerAuthentication(photoroom);

	test: ICredentialTestRequest = {
		request: { baseURL: '={{$credentials.baseUrl}}', url: '/v1/account', method: 'GET' },
	};
}
