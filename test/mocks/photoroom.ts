import { formFile, formText, MockProviderServer, type MockRequest, type MockResponse, pngResponse } from './server';
import { toyCutoutPng, toyMaskPng } from './toyModels';

/** Photoroom: x-api-key, multipart `image_file`, channels=alpha for the matte, `{"detail": …}` errors. */
export function photoroomMock(apiKey: string): MockProviderServer {
	const segment = async (request: MockRequest): Promise<MockResponse> => {
		const file = await formFile(request.form, 'image_file');
		if (!file) return { status: 400, body: { detail: 'image_file is required', status_code: 400, type: 'missing_image' } };
		return pngResponse(formText(request.form, 'channels') === 'alpha' ? await toyMaskPng(file) : await toyCutoutPng(file));
	};
	return new MockProviderServer(
		{
			header: 'x-api-key',
			expected: apiKey,
			reject: () => ({ status: 403, body: { detail: 'Invalid API key', status_code: 403, type: 'forbidden' } }),
		},
		[
			{ method: 'POST', path: /^\/v1\/segment$/, handle: segment },
			{ method: 'GET', path: /^\/v1\/account$/, handle: () => ({ body: { credits: { available: 90, subscription: 100 } } }) },
		],
	);
}
