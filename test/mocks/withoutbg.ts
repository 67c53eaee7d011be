import { formFile, MockProviderServer, type MockRequest, type MockResponse, pngResponse } from './server';
import { toyCutoutPng, toyMaskPng } from './toyModels';

/** withoutBG: X-API-Key, multipart `file`, FastAPI `{"detail": …}` errors (a list for validation). */
export function withoutBgMock(apiKey: string): MockProviderServer {
	const withFile = (produce: (image: Buffer) => Promise<Buffer>) => async (request: MockRequest): Promise<MockResponse> => {
		const file = await formFile(request.form, 'file');
		if (!file) {
			return { status: 422, body: { detail: [{ loc: ['body', 'file'], msg: 'Field required', type: 'missing' }] } };
		}
		return pngResponse(await produce(file));
	};
	return new MockProviderServer(
		{
			header: 'x-api-key',
			expected: apiKey,
			reject: () => ({ status: 401, body: { detail: 'Invalid API key' } }),
		},
		[
			{ method: 'POST', path: /^\/v1\.0\/image-without-background$/, handle: withFile(toyCutoutPng) },
			{ method: 'POST', path: /^\/v1\.0\/alpha-channel$/, handle: withFile(toyMaskPng) },
			{ method: 'GET', path: /^\/available-credit$/, handle: () => ({ body: { credit: 138, expiration_date: '2026-09-05 23:59:59' } }) },
		],
	);
}
