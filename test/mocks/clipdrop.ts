import sharp from 'sharp';

import { formFile, formText, MockProviderServer, type MockRequest, type MockResponse, pngResponse } from './server';
import { readPlane, toyCutoutPng, toyInpaintPng } from './toyModels';

const CREDIT_HEADERS = { 'x-remaining-credits': '97', 'x-credits-consumed': '1' };

/**
 * Clipdrop: x-api-key, `{"error": …}` errors; remove-background/v1 answers in the Accept header's format,
 * cleanup/v1 takes `image_file` and a same-size, strictly black/white `mask_file`.
 */
export function clipdropMock(apiKey: string): MockProviderServer {
	const removeBackground = async (request: MockRequest): Promise<MockResponse> => {
		const file = await formFile(request.form, 'image_file');
		if (!file) return { status: 400, body: { error: 'image_file is missing' } };
		if (request.headers.accept !== 'image/png') return { status: 400, body: { error: 'this mock serves only Accept: image/png' } };
		return pngResponse(await toyCutoutPng(file), CREDIT_HEADERS);
	};
	const cleanup = async (request: MockRequest): Promise<MockResponse> => {
		const file = await formFile(request.form, 'image_file');
		const maskFile = await formFile(request.form, 'mask_file');
		if (!file || !maskFile) return { status: 400, body: { error: 'image_file and mask_file are required' } };
		const image = await sharp(file).metadata();
		const mask = await readPlane(maskFile);
		if (mask.width !== image.width || mask.height !== image.height) {
			return { status: 400, body: { error: 'mask_file must have the same size as image_file' } };
		}
		if (mask.plane.some((value) => value !== 0 && value !== 255)) return { status: 400, body: { error: 'mask_file must be black and white' } };
		if (!['fast', 'quality', undefined].includes(formText(request.form, 'mode'))) return { status: 400, body: { error: 'mode is invalid' } };
		return pngResponse(await toyInpaintPng(file, mask.plane, server.alterOutsideRegion), CREDIT_HEADERS);
	};
	const server = new MockProviderServer(
		{
			header: 'x-api-key',
			expected: apiKey,
			// Clipdrop's documented wording for the two cases.
			reject: (presented) =>
				presented ? { status: 403, body: { error: 'Invalid or revoked api key' } } : { status: 401, body: { error: 'Missing api key' } },
		},
		[
			{ method: 'POST', path: /^\/remove-background\/v1$/, handle: removeBackground },
			{ method: 'POST', path: /^\/cleanup\/v1$/, handle: cleanup },
		],
	);
	return server;
}
