import type { IAuthenticateGeneric, INodeProperties } from 'n8n-workflow';

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

/** The key sent in one header; `template` is an n8n expression such as '=Bearer {{$credentials.apiKey}}'. */
export function headerAuthentication(header: string, template: string): IAuthenticateGeneric {
	return { type: 'generic', properties: { headers: { [header]: template } } };
}
