import type { IAuthenticateGeneric, INodeProperties } from 'n8n-workflow';

import type { RemoteProvider } from '../lib/providers/types';

/**
 * What every hosted-provider credential holds: the API key and the base URL (the real host by default; a
 * proxy, a self-hosted server or a test's 127.0.0.1 otherwise).
 */
export function providerCredentialProperties(defaultBaseUrl: string, extra: INodeProperties[] = []): INodeProperties[] {
	return [
		{
			displayName: 'API Key',
			name: 'apiKey',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
		},
		{
			displayName: 'Base URL',
			name: 'baseUrl',
			type: 'string',
			default: defaultBaseUrl,
			description: 'Change only to go through a proxy or to a self-hosted server',
		},
		...extra,
	];
}

/** The key in the header the provider's client declares (the same one front ends outside n8n send). */
export function providerAuthentication(provider: RemoteProvider): IAuthenticateGeneric {
	const scheme = provider.auth.scheme ? `${provider.auth.scheme} ` : '';
	return { type: 'generic', properties: { headers: { [provider.auth.header]: `=${scheme}{{$credentials.apiKey}}` } } };
}
