import type { ICredentialTestRequest, ICredentialType } from 'n8n-workflow';

import { FAL_PLATFORM_URL_EXPRESSION } from '../lib/providers/clients/falPlatform';
import { fal } from '../lib/providers/clients/fal';
import { providerAuthentication, providerCredentialProperties } from './providerCredential';

/** fal.ai: `Authorization: Key <key>`; the queue host in Base URL, the synchronous host next to it. */
export class FalApi implements ICredentialType {
	name = 'falApi';

	displayName = 'fal.ai API';

	icon = 'file:fal.svg' as const;

	documentationUrl = 'https://docs.fal.ai/model-endpoints/queue';

	properties = providerCredentialProperties('https://queue.fal.run', [
		{
			displayName: 'Sync Base URL',
			name: 'syncBaseUrl',
			type: 'string',
			default: 'https://fal.run',
			description: 'Host for synchronous calls; the queue host is the Base URL',
		},
	]);

	authenticate = providerAuthentication(fal);

	// fal has no account endpoint on its queue host. The Platform API's pricing lookup needs the key, runs no
	// model and costs nothing: on api.fal.ai for the default Base URL, on the Base URL itself otherwise (a
	// proxy or gateway that serves fal's API under one host).
	test: ICredentialTestRequest = {
		request: {
			baseURL: FAL_PLATFORM_URL_EXPRESSION,
			url: '/v1/models/pricing',
			qs: { endpoint_id: 'fal-ai/birefnet/v2' },
			method: 'GET',
		},
	};
}
