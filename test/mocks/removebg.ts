import sharp from 'sharp';

import { formFile, formText, MockProviderServer, type MockRequest, type MockResponse, pngResponse } from './server';
import { toyCutoutPng, toyMaskPng } from './toyModels';

const PREVIEW_PIXELS = 250_000;

/**
 * remove.bg: X-Api-Key (403 when wrong), multipart `image_file`, `{"errors": [{title, code}]}` errors,
 * credit and size headers; size=preview answers at 0.25 MP, channels=alpha with the greyscale matte.
 */
export function removeBgMock(apiKey: string): MockProviderServer {
	const removeBg = async (request: MockRequest): Promise<MockResponse> => {
		const file = await formFile(request.form, 'image_file');
		if (!file) return { status: 400, body: { errors: [{ title: 'No image given', code: 'missing_source' }] } };
		const size = formText(request.form, 'size') ?? 'preview';
		if (!['preview', 'full', 'auto', '4k', 'medium', 'hd', 'small', 'regular'].includes(size)) {
			return { status: 400, body: { errors: [{ title: 'Invalid size parameter', code: 'invalid_size' }] } };
		}
		let image = file;
		const { width = 0, height = 0 } = await sharp(file).metadata();
		if (size === 'preview' && width * height > PREVIEW_PIXELS) {
			const scale = Math.sqrt(PREVIEW_PIXELS / (width * height));
			image = await sharp(file).resize(Math.floor(width * scale), Math.floor(height * scale), { fit: 'fill' }).png().toBuffer();
		}
		const alpha = formText(request.form, 'channels') === 'alpha';
		const result = alpha ? await toyMaskPng(image) : await toyCutoutPng(image);
		const out = await sharp(result).metadata();
		return pngResponse(result, {
			'X-Credits-Charged': size === 'preview' ? '0.25' : '1',
			'X-Width': String(out.width),
			'X-Height': String(out.height),
			'X-Type': formText(request.form, 'type') ?? 'auto',
			'X-RateLimit-Remaining': '499',
		});
	};
	return new MockProviderServer(
		{
			header: 'x-api-key',
			expected: apiKey,
			reject: () => ({ status: 403, body: { errors: [{ title: 'API Key invalid', code: 'auth_failed' }] } }),
		},
		[
			{ method: 'POST', path: /^\/v1\.0\/removebg$/, handle: removeBg },
			{
				method: 'GET',
				path: /^\/v1\.0\/account$/,
				handle: () => ({ body: { data: { attributes: { credits: { total: 200, subscription: 150, payg: 50 }, api: { free_calls: 50 } } } } }),
			},
		],
	);
}
