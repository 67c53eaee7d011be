import type { IAuthenticateGeneric, ICredentialDataDecryptedObject, ICredentialType } from 'n8n-workflow';

/**
 * The package's credential classes as n8n would apply them: `authenticate` headers resolved against the
 * credential's values, the way n8n's credentials helper injects them before a request leaves.
 */
export function loadCredentialType(name: string): ICredentialType {
	const className = name[0].toUpperCase() + name.slice(1);
	// eslint-disable-next-line @typescript-eslint/no-require-imports
	const module = require(`../../credentials/${className}.credentials`) as Record<string, new () => ICredentialType>;
	return new module[className]();
}

export function authHeaders(credentialType: string, credentials: ICredentialDataDecryptedObject): Record<string, string> {
	const authenticate = loadCredentialType(credentialType).authenticate as IAuthenticateGeneric;
	const headers = authenticate.properties.headers ?? {};
	return Object.fromEntries(Object.entries(headers).map(([name, template]) => [name, resolveExpression(String(template), credentials)]));
}

/** Only the `={{$credentials.x}}` form the credentials here use. */
function resolveExpression(template: string, credentials: ICredentialDataDecryptedObject): string {
	const body = template.startsWith('=') ? template.slice(1) : template;
	return body.replace(/\{\{\s*\$credentials\??\.(\w+)\s*\}\}/g, (_, field: string) => String(credentials[field] ?? ''));
}

/** Default values of the credential's fields (baseUrl and friends), with the given values on top. */
export function credentialValues(credentialType: string, values: ICredentialDataDecryptedObject): ICredentialDataDecryptedObject {
	const defaults = Object.fromEntries(loadCredentialType(credentialType).properties.map((property) => [property.name, property.default]));
	return { ...defaults, ...values } as ICredentialDataDecryptedObject;
}
