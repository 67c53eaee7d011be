import type { IAuthenticateGeneric, ICredentialDataDecryptedObject, ICredentialTestRequest, ICredentialType, IDataObject } from 'n8n-workflow';

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

/** An n8n expression (`=…{{ code }}…`) as n8n resolves it: the code is JavaScript with `$credentials` in scope. */
export function resolveExpression(template: string, credentials: ICredentialDataDecryptedObject): string {
	if (!template.startsWith('=')) return template;
	return template
		.slice(1)
		.replace(/\{\{([\s\S]*?)\}\}/g, (_, code: string) => String(new Function('$credentials', `return (${code});`)(credentials) ?? ''));
}

export interface CredentialTestResult {
	status: 'OK' | 'Error';
	message: string;
}

/**
 * A credential's declarative `test` run the way n8n's credentials tester runs it, over real HTTP: the
 * request's expressions resolved against the credential, the `authenticate` headers added, a non-2xx status
 * a failure (its `responseCode` rule's message if one matches) unless ignoreHttpStatusErrors is set, and
 * then any `responseSuccessBody` rule that matches the body a failure too.
 */
export async function runCredentialTest(credentialType: string, values: ICredentialDataDecryptedObject): Promise<CredentialTestResult> {
	const credentials = credentialValues(credentialType, values);
	const test = loadCredentialType(credentialType).test as ICredentialTestRequest;
	const { request } = test;
	const resolve = (value: unknown) => resolveExpression(String(value ?? ''), credentials);
	const target = new URL(`${resolve(request.baseURL).replace(/\/+$/, '')}${resolve(request.url)}`);
	for (const [name, value] of Object.entries((request.qs ?? {}) as IDataObject)) target.searchParams.set(name, String(value));
	const headers: Record<string, string> = { ...(request.headers as Record<string, string>), ...authHeaders(credentialType, credentials) };
	let body: string | undefined;
	if (request.body !== undefined) {
		body = JSON.stringify(request.body);
		headers['content-type'] = 'application/json';
	}
	const response = await fetch(target, { method: request.method ?? 'GET', headers, body, redirect: 'manual' });
	const text = await response.text();
	if ((response.status < 200 || response.status > 299) && !request.ignoreHttpStatusErrors) {
		const rule = test.rules?.find((candidate) => candidate.type === 'responseCode' && candidate.properties.value === response.status);
		return { status: 'Error', message: rule ? String(rule.properties.message) : `Received HTTP status code: ${response.status}` };
	}
	let parsed: unknown;
	try {
		parsed = JSON.parse(text);
	} catch {
		parsed = text;
	}
	for (const rule of test.rules ?? []) {
		if (rule.type !== 'responseSuccessBody') continue;
		const found = String(rule.properties.key)
			.split('.')
			.reduce<unknown>((value, key) => (value && typeof value === 'object' ? (value as IDataObject)[key] : undefined), parsed);
		if (found === rule.properties.value) return { status: 'Error', message: rule.properties.message };
	}
	return { status: 'OK', message: 'Connection successful!' };
}

/** Default values of the credential's fields (baseUrl and friends), with the given values on top. */
export function credentialValues(credentialType: string, values: ICredentialDataDecryptedObject): ICredentialDataDecryptedObject {
	const defaults = Object.fromEntries(loadCredentialType(credentialType).properties.map((property) => [property.name, property.default]));
	return { ...defaults, ...values } as ICredentialDataDecryptedObject;
}
