import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';

import { mockDeep } from 'jest-mock-extended';
import {
	type IBinaryData,
	type ICredentialDataDecryptedObject,
	type IDataObject,
	type IExecuteFunctions,
	type IHttpRequestOptions,
	type INode,
	type INodeExecutionData,
	type JsonObject,
	NodeApiError,
} from 'n8n-workflow';

import { authHeaders, credentialValues } from './credentials';

/**
 * An IExecuteFunctions double for node-level tests: parameters come from a plain object, binaries live
 * in memory as n8n's default mode stores them (base64 in `data`), and prepareBinaryData behaves like n8n's.
 */
export interface FakeContextOptions {
	items: INodeExecutionData[];
	parameters: Record<string, unknown>;
	continueOnFail?: boolean;
	cancelSignal?: AbortSignal;
	/** Credential values by credential type; the defaults of the credential class fill the rest. */
	credentials?: Record<string, ICredentialDataDecryptedObject>;
}

export const TEST_NODE: INode = {
	id: 'node-under-test',
	name: 'Cutout',
	type: 'n8n-nodes-cutout.test',
	typeVersion: 1,
	position: [0, 0],
	parameters: {},
};

export function fakeExecuteFunctions(options: FakeContextOptions) {
	const ctx = mockDeep<IExecuteFunctions>();
	ctx.getInputData.mockReturnValue(options.items);
	ctx.getNode.mockReturnValue(TEST_NODE);
	ctx.continueOnFail.mockReturnValue(options.continueOnFail ?? false);
	ctx.getExecutionCancelSignal.mockReturnValue(options.cancelSignal);
	ctx.getNodeParameter.mockImplementation(((name: string, _itemIndex: number, fallback?: unknown) => {
		if (name in options.parameters) return options.parameters[name];
		if (fallback !== undefined) return fallback;
		throw new Error(`Test did not set parameter "${name}"`);
	}) as IExecuteFunctions['getNodeParameter']);
	ctx.helpers.assertBinaryData.mockImplementation((itemIndex: number, field: string | IBinaryData) => {
		const binary = options.items[itemIndex].binary?.[field as string];
		if (!binary) throw new Error(`The item has no binary field '${String(field)}' [item ${itemIndex}]`);
		return binary;
	});
	ctx.helpers.getBinaryDataBuffer.mockImplementation(async (itemIndex: number, field: string | IBinaryData) => {
		const binary = options.items[itemIndex].binary?.[field as string];
		if (!binary) throw new Error(`The item has no binary field '${String(field)}' [item ${itemIndex}]`);
		return Buffer.from(binary.data, 'base64');
	});
	ctx.helpers.prepareBinaryData.mockImplementation(async (data: Buffer | NodeJS.ReadableStream, fileName?: string, mimeType?: string) => {
		const buffer = data as Buffer;
		return {
			data: buffer.toString('base64'),
			fileName,
			mimeType: mimeType ?? 'application/octet-stream',
			fileExtension: fileName?.split('.').pop(),
			fileSize: `${buffer.length} B`,
		} as IBinaryData;
	});
	const credentialsOf = (type: string) => {
		const values = options.credentials?.[type];
		if (!values) throw new Error(`Node does not have any credentials of type "${type}" set`);
		return credentialValues(type, values);
	};
	ctx.getCredentials.mockImplementation((async (type: string) => credentialsOf(type)) as IExecuteFunctions['getCredentials']);
	// As n8n: the credential's authenticate headers are added, and the execution's cancel signal replaces the caller's.
	ctx.helpers.httpRequestWithAuthentication.mockImplementation(async (type: string, request: IHttpRequestOptions) =>
		realHttpRequest({ ...request, abortSignal: options.cancelSignal }, authHeaders(type, credentialsOf(type))),
	);
	ctx.helpers.httpRequest.mockImplementation(async (request: IHttpRequestOptions) => realHttpRequest(request, {}));
	return ctx;
}

/**
 * n8n's request helper, as far as the provider transport uses it, over a real connection: full responses,
 * arraybuffer or stream bodies, statuses as responses when asked, timeouts. Failures arrive as n8n delivers
 * them: an axios-style error (code, and the request config with its headers) wrapped in a NodeApiError.
 */
async function realHttpRequest(request: IHttpRequestOptions, authentication: Record<string, string>) {
	const headers = { ...(request.headers as Record<string, string>), ...authentication };
	const timeout = request.timeout ? AbortSignal.timeout(request.timeout) : undefined;
	const signals = [request.abortSignal as AbortSignal | undefined, timeout].filter((signal): signal is AbortSignal => signal !== undefined);
	try {
		const response = await fetch(request.url, {
			method: request.method ?? 'GET',
			headers,
			body: request.body as RequestInit['body'],
			signal: signals.length ? AbortSignal.any(signals) : undefined,
			redirect: request.disableFollowRedirect ? 'manual' : 'follow',
		});
		if (!request.ignoreHttpStatusErrors && response.status >= 400) throw Object.assign(new Error(`Request failed with status code ${response.status}`), { code: 'ERR_BAD_RESPONSE' });
		const body =
			request.encoding === 'stream' && response.body
				? Readable.fromWeb(response.body as WebReadableStream<Uint8Array>)
				: Buffer.from(await response.arrayBuffer());
		return { body, headers: Object.fromEntries(response.headers), statusCode: response.status, statusMessage: response.statusText };
	} catch (error) {
		const cause = (error as { cause?: { code?: string } }).cause;
		const code = timeout?.aborted ? 'ECONNABORTED' : request.abortSignal?.aborted ? 'ERR_CANCELED' : (cause?.code ?? 'ECONNRESET');
		const message = timeout?.aborted ? `timeout of ${request.timeout}ms exceeded` : `${code}: ${(error as Error).message}`;
		const axiosLike = Object.assign(new Error(message), { code, isAxiosError: true, config: { url: request.url, headers } });
		throw new NodeApiError(TEST_NODE, axiosLike as unknown as JsonObject);
	}
}

export function binaryItem(buffer: Buffer, fileName: string, mimeType: string, json: IDataObject = {}): INodeExecutionData {
	return { json, binary: { data: { data: buffer.toString('base64'), fileName, mimeType } } };
}

export function binaryBytes(binary: IBinaryData | undefined): Buffer {
	if (!binary) throw new Error('Missing binary');
	return Buffer.from(binary.data, 'base64');
}
