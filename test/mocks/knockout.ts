import sharp from 'sharp';

import { formFile, formText, MockProviderServer, type MockRequest, type MockResponse, pngResponse } from './server';
import { readPlane, toyCutoutPng, toyInpaintPng, toyMaskPng, toySegment } from './toyModels';

/**
 * knockout: Bearer token (401 when missing, 403 when wrong, FastAPI `{"detail": …}`), multipart `file`,
 * `format` as a query parameter. /inpaint follows the hosted docs: mask > x,y,w,h > auto-subject, dilation
 * 0–32, coded errors with a request id nested in the body, and the x-knockout-* headers. /estimate (the
 * cost estimator) needs the token but runs nothing; /health needs no token.
 */
export function knockoutMock(apiKey: string): MockProviderServer {
	let served = 0;
	const codedError = (status: number, code: string, message: string): MockResponse => ({
		status,
		body: { error: { code, message, request_id: `req_${++served}` } },
	});
	const matte = (produce: (image: Buffer) => Promise<Buffer>) => async (request: MockRequest): Promise<MockResponse> => {
		const file = await formFile(request.form, 'file');
		if (!file) return { status: 422, body: { detail: [{ loc: ['body', 'file'], msg: 'Field required', type: 'missing' }] } };
		if (request.query.get('format') !== 'png') return { status: 400, body: { detail: "format must be one of ['png', 'webp']" } };
		return pngResponse(await produce(file), { 'x-knockout-latency': '412', 'x-ratelimit-remaining': '19' });
	};
	const inpaint = async (request: MockRequest): Promise<MockResponse> => {
		const file = await formFile(request.form, 'file');
		if (!file) return codedError(400, 'missing_file', 'file is required');
		const dilation = Number(formText(request.form, 'dilation') ?? 8);
		if (!Number.isInteger(dilation) || dilation < 0 || dilation > 32) return codedError(400, 'invalid_dilation', 'dilation must be 0..32');
		const { width = 0, height = 0 } = await sharp(file).metadata();
		const maskFile = await formFile(request.form, 'mask');
		const [x, y, w, h] = ['x', 'y', 'w', 'h'].map((name) => formText(request.form, name));
		let region: Buffer;
		let mode: string;
		if (maskFile) {
			mode = 'mask';
			region = (await readPlane(await sharp(maskFile).resize(width, height, { fit: 'fill', kernel: 'nearest' }).png().toBuffer())).plane;
		} else if (x !== undefined && y !== undefined && w !== undefined && h !== undefined) {
			mode = 'bbox';
			const box = [x, y, w, h].map(Number);
			if (box[0] < 0 || box[1] < 0 || box[0] + box[2] > width || box[1] + box[3] > height) {
				return codedError(400, 'invalid_bbox', 'bbox extends outside the image');
			}
			region = Buffer.alloc(width * height);
			for (let row = box[1]; row < box[1] + box[3]; row++) region.fill(255, row * width + box[0], row * width + box[0] + box[2]);
		} else {
			mode = 'auto-subject';
			region = (await toySegment(file)).matte;
			if (!region.includes(255)) return codedError(422, 'no_subject_detected', 'No subject detected. Send mask or bbox.');
		}
		if (!region.some((value) => value >= 128)) return codedError(400, 'empty_mask', 'Mask has no pixels to inpaint.');
		return pngResponse(await toyInpaintPng(file, region, server.alterOutsideRegion), {
			'x-knockout-latency': '1830',
			'x-knockout-model': 'big-lama',
			'x-knockout-mode': mode,
		});
	};
	const server = new MockProviderServer(
		{
			header: 'authorization',
			expected: `Bearer ${apiKey}`,
			reject: (presented) =>
				presented?.startsWith('Bearer ') ? { status: 403, body: { detail: 'Invalid token' } } : { status: 401, body: { detail: 'Missing bearer token' } },
		},
		[
			{ method: 'POST', path: /^\/remove$/, handle: matte(toyCutoutPng) },
			{ method: 'POST', path: /^\/mask$/, handle: matte(toyMaskPng) },
			{ method: 'POST', path: /^\/inpaint$/, handle: inpaint },
			{
				method: 'POST',
				path: /^\/estimate$/,
				handle: (request) => {
					const endpoint = (request.json as { endpoint?: unknown } | undefined)?.endpoint;
					if (typeof endpoint !== 'string' || !endpoint.startsWith('/')) return codedError(400, 'invalid_endpoint', 'Endpoint not recognized.');
					return { body: { endpoint, credits: 1, usd: 0.002 } };
				},
			},
			{ method: 'GET', path: /^\/health$/, auth: false, handle: () => ({ body: { status: 'ok', model: 'ZhengPeng7/BiRefNet' } }) },
		],
	);
	return server;
}
