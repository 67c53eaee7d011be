import sharp from 'sharp';

import { CutoutError } from '../../lib/errors';
import { remoteProviders } from '../../lib/providers/clients';
import { clipdrop } from '../../lib/providers/clients/clipdrop';
import { ProviderError } from '../../lib/providers/http/errors';
import { fal } from '../../lib/providers/clients/fal';
import { knockout } from '../../lib/providers/clients/knockout';
import { photoroom } from '../../lib/providers/clients/photoroom';
import { alphaMatteRemotely, inpaintRemotely, removeBackgroundRemotely } from '../../lib/providers/engine/remote';
import { removebg } from '../../lib/providers/clients/removebg';
import type { RemoteProvider } from '../../lib/providers/types';
import { withoutbg } from '../../lib/providers/clients/withoutbg';
import { dilate } from '../../lib/matte/morphology';
import { mockContext, SENTINEL_KEY } from '../helpers/providers';
import { makeScene, maskIoU, sceneAsJpeg, sceneAsPng } from '../helpers/scene';
import { providerMocks } from '../mocks';
import { falMock } from '../mocks/fal';
import { knockoutMock } from '../mocks/knockout';
import { faults, formFile, formText, type MockProviderServer } from '../mocks/server';
import { readPlane } from '../mocks/toyModels';

const scene = makeScene(320, 200);
let jpeg: Buffer;
beforeAll(async () => {
	jpeg = await sceneAsJpeg(scene);
});

/** Starts the provider's mock for one test and stops it afterwards. */
async function withMock<T>(provider: RemoteProvider, run: (mock: MockProviderServer) => Promise<T>): Promise<T> {
	const mock = await providerMocks[provider.id](SENTINEL_KEY).start();
	try {
		return await run(mock);
	} finally {
		await mock.stop();
	}
}

describe.each(remoteProviders.map((provider) => [provider.displayName, provider] as const))('%s', (_name, provider) => {
	if (provider.operations.removeBackground) {
		it('removes the background at the input resolution', async () => {
			const cutout = await withMock(provider, (mock) => removeBackgroundRemotely(provider, jpeg, mockContext(provider, mock)));
			expect(cutout).toMatchObject({ width: 320, height: 200, provider: provider.displayName });
			expect(cutout.foreground).toHaveLength(320 * 200 * 3);
			expect(maskIoU(cutout.alpha, scene.mask)).toBeGreaterThan(0.9);
		});
	}

	it('produces an alpha matte at the input resolution', async () => {
		const matte = await withMock(provider, (mock) => alphaMatteRemotely(provider, jpeg, mockContext(provider, mock)));
		expect(matte).toMatchObject({ width: 320, height: 200 });
		expect(maskIoU(matte.alpha, scene.mask)).toBeGreaterThan(0.9);
	});

	if (provider.operations.inpaint) {
		it('inpaints a box at the input resolution, leaving the rest untouched', async () => {
			const box = { x: 110, y: 20, width: 100, height: 170 };
			const result = await withMock(provider, (mock) => inpaintRemotely(provider, jpeg, { box, dilation: 8 }, mockContext(provider, mock)));
			expect(result).toMatchObject({ width: 320, height: 200 });
			const { data: original } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
			// The toy fill is uniform inside the box; outside it the pixels are the input's.
			const at = (x: number, y: number) => [...result.rgb.subarray((y * 320 + x) * 3, (y * 320 + x) * 3 + 3)];
			expect(at(150, 100)).toEqual(at(170, 60));
			expect(Math.abs(at(5, 5)[0] - original[(5 * 320 + 5) * 3])).toBeLessThanOrEqual(2);
		});
	}
});

describe('withoutBG', () => {
	it('sends multipart `file`, uses the alpha-channel endpoint for mattes and downscales to 1024 px by default', async () => {
		const big = makeScene(1200, 750);
		const png = await sceneAsPng(big);
		await withMock(withoutbg, async (mock) => {
			const cutout = await removeBackgroundRemotely(withoutbg, png, mockContext(withoutbg, mock));
			expect(cutout.upload).toMatchObject({ width: 1024, height: 640, scaled: true });
			expect(cutout).toMatchObject({ width: 1200, height: 750 });
			expect(maskIoU(cutout.alpha, big.mask)).toBeGreaterThan(0.97);
			await alphaMatteRemotely(withoutbg, jpeg, mockContext(withoutbg, mock));
			expect(mock.requests.map((request) => request.path)).toEqual(['/v1.0/image-without-background', '/v1.0/alpha-channel']);
			expect(await formFile(mock.requests[0].form, 'file')).toBeDefined();
		});
	});

	it.each([
		[401, { detail: 'Invalid API key' }, 'withoutBG: invalid API key (HTTP 401): Invalid API key'],
		[402, { detail: 'Insufficient credit' }, 'withoutBG: out of credits (HTTP 402): Insufficient credit'],
		[403, { detail: 'Credits expired' }, 'withoutBG: credits expired (HTTP 403): Credits expired'],
		[422, { detail: [{ loc: ['body', 'file'], msg: 'Field required', type: 'missing' }] }, 'withoutBG: invalid request (HTTP 422): body.file: Field required'],
	])('maps HTTP %i to a plain message', async (status, body, message) => {
		await withMock(withoutbg, async (mock) => {
			mock.failNext(/alpha-channel/, faults.status(status, body));
			await expect(alphaMatteRemotely(withoutbg, jpeg, mockContext(withoutbg, mock))).rejects.toThrow(message);
			expect(mock.requests).toHaveLength(1);
		});
	});
});

describe('remove.bg', () => {
	it('sends size, type, PNG and channels, reports credits, and upsamples a preview-size matte', async () => {
		const big = makeScene(1000, 700);
		await withMock(removebg, async (mock) => {
			const context = mockContext(removebg, mock);
			const matte = await alphaMatteRemotely(removebg, await sceneAsJpeg(big), context, { providerOptions: { size: 'preview', type: 'product' } });
			const form = mock.requests[0].form;
			expect(['size', 'type', 'format', 'channels'].map((name) => formText(form, name))).toEqual(['preview', 'product', 'png', 'alpha']);
			expect(matte.meta).toMatchObject({ 'x-credits-charged': 0.25, 'x-type': 'product' });
			expect((matte.meta['x-width'] as number) * (matte.meta['x-height'] as number)).toBeLessThanOrEqual(250_000);
			expect(matte).toMatchObject({ width: 1000, height: 700 });
			expect(maskIoU(matte.alpha, big.mask)).toBeGreaterThan(0.95);

			await removeBackgroundRemotely(removebg, jpeg, context);
			expect(formText(mock.requests[1].form, 'channels')).toBe('rgba');
			expect(formText(mock.requests[1].form, 'size')).toBe('auto');
		});
	});

	it('reads its errors list, and says "invalid API key" for its 403', async () => {
		await withMock(removebg, async (mock) => {
			mock.failNext(/removebg/, faults.status(403, { errors: [{ title: 'API Key invalid', code: 'auth_failed' }] }));
			const error = await removeBackgroundRemotely(removebg, jpeg, mockContext(removebg, mock)).catch((caught: ProviderError) => caught);
			expect(error).toMatchObject({ code: 'invalid_key', status: 403, providerCode: 'auth_failed' });
			expect((error as Error).message).toBe('remove.bg: invalid API key (HTTP 403): API Key invalid');
		});
	});

	it('waits for X-RateLimit-Reset after a 429, then succeeds', async () => {
		await withMock(removebg, async (mock) => {
			const context = mockContext(removebg, mock);
			const reset = String(Math.floor(context.clock!.now() / 1000) + 7);
			mock.failNext(/removebg/, faults.status(429, { errors: [{ title: 'Rate limit exceeded', code: 'rate_limit_exceeded' }] }, { 'X-RateLimit-Reset': reset }));
			await alphaMatteRemotely(removebg, jpeg, context);
			expect((context.clock as unknown as { slept: number[] }).slept).toEqual([7000]);
			expect(mock.requests).toHaveLength(2);
		});
	});

	it('refuses option values it does not know, naming them', async () => {
		await withMock(removebg, async (mock) => {
			await expect(alphaMatteRemotely(removebg, jpeg, mockContext(removebg, mock), { providerOptions: { size: 'huge' } })).rejects.toThrow(
				'remove.bg: remove.bg Size must be one of "auto", "full", "preview", got "huge"',
			);
			expect(mock.requests).toHaveLength(0);
		});
	});
});

describe('knockout', () => {
	it('asks for PNG in the query and the form, and reports its latency header', async () => {
		await withMock(knockout, async (mock) => {
			const matte = await alphaMatteRemotely(knockout, jpeg, mockContext(knockout, mock));
			expect(mock.requests[0].path).toBe('/mask');
			expect(mock.requests[0].query.get('format')).toBe('png');
			expect(formText(mock.requests[0].form, 'format')).toBe('png');
			expect(matte.meta).toEqual({ 'x-knockout-latency': 412, 'x-ratelimit-remaining': 19 });
		});
	});

	it('inpaints from a mask, a box (x,y,w,h fields) or the subject it finds, reporting the mode', async () => {
		const mask = await sharp(scene.mask, { raw: { width: 320, height: 200, channels: 1 } }).png().toBuffer();
		await withMock(knockout, async (mock) => {
			const context = mockContext(knockout, mock);
			const fromMask = await inpaintRemotely(knockout, jpeg, { mask, dilation: 12 }, context);
			const fromBox = await inpaintRemotely(knockout, jpeg, { box: { x: 10, y: 20, width: 30, height: 40 }, dilation: 8 }, context);
			const auto = await inpaintRemotely(knockout, jpeg, { dilation: 8 }, context);
			expect([fromMask, fromBox, auto].map((result) => result.meta['x-knockout-mode'])).toEqual(['mask', 'bbox', 'auto-subject']);
			expect([fromMask, fromBox, auto].map((result) => result.mode)).toEqual(['mask', 'bbox', 'subject']);
			// The region as filled: the box grown by 8 px here too; knockout's own matte, grown, for the subject.
			expect(fromBox.holes[(20 + 20) * 320 + 10 - 8]).toBe(255);
			expect(fromBox.holes[(20 + 20) * 320 + 10 - 10]).toBe(0);
			expect(maskIoU(auto.holes, dilate(scene.mask, { width: 320, height: 200 }, 8))).toBeGreaterThan(0.9);
			expect(fromMask.meta['x-knockout-model']).toBe('big-lama');
			const [maskForm, boxForm] = mock.requests.map((request) => request.form);
			expect(formText(maskForm, 'dilation')).toBe('12');
			expect(await formFile(maskForm, 'mask')).toBeDefined();
			expect(['x', 'y', 'w', 'h', 'dilation'].map((name) => formText(boxForm, name))).toEqual(['10', '20', '30', '40', '8']);
		});
	});

	it('refuses an empty mask, a box outside the image and a bad dilation before uploading', async () => {
		const empty = await sharp(Buffer.alloc(320 * 200), { raw: { width: 320, height: 200, channels: 1 } }).png().toBuffer();
		await withMock(knockout, async (mock) => {
			const context = mockContext(knockout, mock);
			await expect(inpaintRemotely(knockout, jpeg, { mask: empty, dilation: 8 }, context)).rejects.toMatchObject({ code: 'empty_mask' });
			await expect(inpaintRemotely(knockout, jpeg, { box: { x: 300, y: 0, width: 40, height: 10 }, dilation: 8 }, context)).rejects.toMatchObject({
				code: 'invalid_bbox',
				message: expect.stringContaining('x=300, y=0, width=40, height=10 is not inside the 320×200 image'),
			});
			await expect(inpaintRemotely(knockout, jpeg, { dilation: 40 }, context)).rejects.toMatchObject({
				code: 'invalid_dilation',
				message: 'Dilation must be a whole number of pixels from 0 to 32, got 40',
			});
			expect(mock.requests).toHaveLength(0);
		});
	});

	it("passes on the server's coded errors with their request id", async () => {
		await withMock(knockout, async (mock) => {
			mock.failNext(/inpaint/, faults.status(422, { error: { code: 'no_subject_detected', message: 'No subject detected. Send mask or bbox.' }, request_id: 'req_77' }));
			await expect(inpaintRemotely(knockout, jpeg, { dilation: 8 }, mockContext(knockout, mock))).rejects.toMatchObject({
				message: 'knockout: no subject detected (HTTP 422): No subject detected. Send mask or bbox. (request req_77)',
				code: 'no_subject_detected',
				providerCode: 'no_subject_detected',
				requestId: 'req_77',
			});
		});
	});

	it('tells a missing token (401) from a wrong one (403) as "invalid API key"', async () => {
		const mock = await knockoutMock('another-token-value').start();
		try {
			await expect(alphaMatteRemotely(knockout, jpeg, mockContext(knockout, mock))).rejects.toThrow('knockout: invalid API key (HTTP 403): Invalid token');
		} finally {
			await mock.stop();
		}
	});
});

describe('fal.ai', () => {
	it('runs the queue protocol: submit, poll with backoff until COMPLETED, fetch the result and the files', async () => {
		await withMock(fal, async (mock) => {
			const context = mockContext(fal, mock);
			const cutout = await removeBackgroundRemotely(fal, jpeg, context, { includeMask: true, providerOptions: { model: 'Portrait' } });
			expect(mock.requests.map((request) => `${request.method} ${request.path}`)).toEqual([
				'POST /fal-ai/birefnet/v2',
				'GET /fal-ai/birefnet/requests/req-1/status',
				'GET /fal-ai/birefnet/requests/req-1/status',
				'GET /fal-ai/birefnet/requests/req-1/status',
				'GET /fal-ai/birefnet/requests/req-1',
				'GET /files/req-1/cutout.png',
				'GET /files/req-1/mask.png',
			]);
			const input = mock.requests[0].json as Record<string, unknown>;
			expect(input).toMatchObject({
				model: 'Portrait',
				operating_resolution: '1024x1024',
				output_mask: true,
				refine_foreground: true,
				output_format: 'png',
				sync_mode: false,
			});
			expect(String(input.image_url)).toMatch(/^data:image\/jpeg;base64,\/9j\//);
			// The file host gets no key.
			expect(mock.requests[5].headers.authorization).toBeUndefined();
			expect((context.clock as unknown as { slept: number[] }).slept).toEqual([250, 375]);
			expect(cutout).toMatchObject({ requestId: 'req-1', meta: { inferenceSeconds: 0.42 }, width: 320, height: 200 });
			expect(maskIoU(cutout.alpha, scene.mask)).toBeGreaterThan(0.9);
		});
	});

	it('takes a 2304 operating resolution only with the Dynamic model', async () => {
		await withMock(fal, async (mock) => {
			const context = mockContext(fal, mock);
			await expect(alphaMatteRemotely(fal, jpeg, context, { providerOptions: { operatingResolution: '2304x2304' } })).rejects.toThrow(
				'fal.ai: operating resolution 2304x2304 needs the model "General Use (Dynamic)", not "General Use (Light)"',
			);
			expect(mock.requests).toHaveLength(0);
			await alphaMatteRemotely(fal, jpeg, context, { providerOptions: { operatingResolution: '2304x2304', model: 'General Use (Dynamic)' } });
			expect(mock.requests[0].json).toMatchObject({ operating_resolution: '2304x2304', output_mask: true });
		});
	});

	it('calls fal.run synchronously when asked', async () => {
		await withMock(fal, async (mock) => {
			const matte = await alphaMatteRemotely(fal, jpeg, mockContext(fal, mock), { providerOptions: { sync: true } });
			expect(mock.requests.map((request) => request.path)).toEqual(['/sync/fal-ai/birefnet/v2', '/files/sync-1/mask.png']);
			expect(matte.requestId).toBe('sync-1');
		});
	});

	it('inpaints with Bria Eraser, sending a box as a mask data URI', async () => {
		await withMock(fal, async (mock) => {
			await inpaintRemotely(fal, jpeg, { box: { x: 110, y: 20, width: 100, height: 170 }, dilation: 8 }, mockContext(fal, mock));
			const input = mock.requests[0].json as Record<string, string>;
			expect(mock.requests[0].path).toBe('/fal-ai/bria/eraser');
			expect(input.mask_url).toMatch(/^data:image\/png;base64,/);
			const mask = await readPlane(Buffer.from(input.mask_url.split(',')[1], 'base64'));
			expect(mask.plane[100 * 320 + 150]).toBe(255);
			// fal does not dilate, so the mask it gets is already grown by 8 px.
			expect(mask.plane[100 * 320 + 103]).toBe(255);
			expect(mask.plane[100 * 320 + 100]).toBe(0);
			expect(input).not.toHaveProperty('dilation');
		});
	});

	it('cancels a job that never completes once the job timeout passes', async () => {
		const mock = await falMock(SENTINEL_KEY).start();
		try {
			mock.fal.neverComplete = true;
			const error = await alphaMatteRemotely(fal, jpeg, mockContext(fal, mock), { providerOptions: { jobTimeoutSeconds: 30 } }).catch((caught) => caught);
			expect(error).toBeInstanceOf(ProviderError);
			expect(error.message).toBe('fal.ai: timed out: the job was still IN_PROGRESS after 30 s and was cancelled (request req-1)');
			expect(mock.fal.cancelled).toEqual(['req-1']);
		} finally {
			await mock.stop();
		}
	});

	it('refuses result files on a plain-http, non-loopback host without contacting it', async () => {
		const mock = await falMock(SENTINEL_KEY).start();
		try {
			mock.fal.fileBase = 'http://files.example.com';
			await expect(alphaMatteRemotely(fal, jpeg, mockContext(fal, mock))).rejects.toThrow(
				'fal.ai: unexpected response: refused to fetch the mask from http://files.example.com: only https is allowed',
			);
		} finally {
			await mock.stop();
		}
	});

	it('caps result downloads', async () => {
		await withMock(fal, async (mock) => {
			await expect(alphaMatteRemotely(fal, jpeg, mockContext(fal, mock, { maxDownloadBytes: 100 }))).rejects.toThrow(
				/fal\.ai: unexpected response: http:\/\/127\.0\.0\.1:\d+\/files\/req-1\/mask\.png sent more than 100 bytes/,
			);
		});
	});

	it('caps inline results (data: URIs and file_data) as downloads are capped, before decoding them', async () => {
		await withMock(fal, async (mock) => {
			const context = mockContext(fal, mock, { maxDownloadBytes: 100 });
			await expect(alphaMatteRemotely(fal, jpeg, context, { providerOptions: { syncMode: true } })).rejects.toThrow(
				'fal.ai: unexpected response: the mask (data: URI) is more than 100 bytes, the limit for a result file',
			);
			(mock as MockProviderServer & { fal: { inlineFileData: boolean } }).fal.inlineFileData = true;
			await expect(alphaMatteRemotely(fal, jpeg, context)).rejects.toThrow(
				'fal.ai: unexpected response: the mask (file_data) is more than 100 bytes, the limit for a result file',
			);
			expect(mock.requestsTo(/^\/files\//)).toEqual([]);
		});
	});

	it('follows status URLs on another host as paths under the configured base URL', async () => {
		await withMock(fal, async (mock) => {
			mock.failNext(/^\/fal-ai\/birefnet\/v2$/, {
				status: 200,
				body: {
					request_id: 'req-x',
					status_url: 'https://queue.fal.run/fal-ai/birefnet/requests/req-x/status',
					response_url: 'https://queue.fal.run/fal-ai/birefnet/requests/req-x',
				},
			});
			await expect(alphaMatteRemotely(fal, jpeg, mockContext(fal, mock))).rejects.toThrow('Request not found');
			expect(mock.requests[1].path).toBe('/fal-ai/birefnet/requests/req-x/status');
		});
	});
});

describe('Photoroom and Clipdrop', () => {
	it('Photoroom sends `image_file` and channels=alpha for mattes', async () => {
		await withMock(photoroom, async (mock) => {
			await alphaMatteRemotely(photoroom, jpeg, mockContext(photoroom, mock), { providerOptions: { size: 'hd' } });
			const form = mock.requests[0].form;
			expect(await formFile(form, 'image_file')).toBeDefined();
			expect(['channels', 'size', 'format'].map((name) => formText(form, name))).toEqual(['alpha', 'hd', 'png']);
		});
	});

	it('Clipdrop gets its matte from the cutout, and cleans up with a strictly black/white mask', async () => {
		const soft = await sharp(Buffer.alloc(320 * 200, 200), { raw: { width: 320, height: 200, channels: 1 } }).png().toBuffer();
		await withMock(clipdrop, async (mock) => {
			const context = mockContext(clipdrop, mock);
			const matte = await alphaMatteRemotely(clipdrop, jpeg, context);
			expect(mock.requests[0].path).toBe('/remove-background/v1');
			expect(mock.requests[0].headers.accept).toBe('image/png');
			expect(matte.meta).toEqual({ 'x-remaining-credits': 97, 'x-credits-consumed': 1 });
			await inpaintRemotely(clipdrop, jpeg, { mask: soft, dilation: 8 }, context, { providerOptions: { mode: 'quality' } });
			expect(formText(mock.requests[1].form, 'mode')).toBe('quality');
			const sent = await readPlane((await formFile(mock.requests[1].form, 'mask_file')) as Buffer);
			expect(new Set(sent.plane)).toEqual(new Set([255]));
		});
	});

	it('says which operations a provider lacks', async () => {
		await expect(inpaintRemotely(photoroom, jpeg, { dilation: 8 }, { transport: undefined as never, baseUrl: 'https://x.test' })).rejects.toThrow(
			new CutoutError('invalid_option', 'Photoroom does not offer Inpaint'),
		);
	});
});

describe('faults', () => {
	it('retries 429 with Retry-After, 500, an HTML error page and a reset connection, then succeeds', async () => {
		await withMock(withoutbg, async (mock) => {
			mock.failNext(/alpha-channel/, faults.rateLimited('1'), faults.serverError(), faults.htmlError(), faults.reset());
			const context = mockContext(withoutbg, mock, { retry: { attempts: 5, baseDelayMs: 1 } });
			const matte = await alphaMatteRemotely(withoutbg, jpeg, context);
			expect(matte.width).toBe(320);
			expect(mock.requests).toHaveLength(5);
			expect((context.clock as unknown as { slept: number[] }).slept[0]).toBe(1000);
		});
	});

	it('reports the last failure once the attempts run out', async () => {
		await withMock(withoutbg, async (mock) => {
			mock.failNext(/alpha-channel/, faults.htmlError(), faults.htmlError());
			await expect(alphaMatteRemotely(withoutbg, jpeg, mockContext(withoutbg, mock, { retry: { attempts: 2 } }))).rejects.toThrow(
				'withoutBG: provider error (HTTP 502): an HTML error page ("502 Bad Gateway")',
			);
			expect(mock.requests).toHaveLength(2);
		});
	});

	it('times out a slow response', async () => {
		await withMock(withoutbg, async (mock) => {
			mock.failNext(/alpha-channel/, faults.slow(400));
			const context = mockContext(withoutbg, mock, { retry: { attempts: 1, timeoutMs: 100 } });
			await expect(alphaMatteRemotely(withoutbg, jpeg, context)).rejects.toMatchObject({ code: 'timeout' });
		});
	});

	it('names a wrong content type and malformed JSON instead of failing to decode', async () => {
		await withMock(withoutbg, async (mock) => {
			mock.failNext(/alpha-channel/, faults.wrongContentType());
			await expect(alphaMatteRemotely(withoutbg, jpeg, mockContext(withoutbg, mock))).rejects.toThrow(
				/withoutBG: unexpected response: text\/html instead of an image from http:\/\/127\.0\.0\.1:\d+\/v1\.0\/alpha-channel/,
			);
		});
		await withMock(fal, async (mock) => {
			mock.failNext(/status$/, faults.malformedJson());
			await expect(alphaMatteRemotely(fal, jpeg, mockContext(fal, mock))).rejects.toThrow(/fal\.ai: unexpected response: malformed JSON from .*\/status \(application\/json\)/);
		});
	});

	it('reports an unreachable base URL', async () => {
		const mock = await providerMocks.withoutbg(SENTINEL_KEY).start();
		const context = mockContext(withoutbg, mock, { retry: { attempts: 2, baseDelayMs: 1 } });
		await mock.stop();
		await expect(alphaMatteRemotely(withoutbg, jpeg, context)).rejects.toMatchObject({ code: 'unreachable', message: expect.stringMatching(/ECONNREFUSED/) });
	});

	it('stops when the caller cancels', async () => {
		await withMock(withoutbg, async (mock) => {
			const controller = new AbortController();
			mock.failNext(/alpha-channel/, faults.slow(2000));
			setTimeout(() => controller.abort(), 50);
			await expect(alphaMatteRemotely(withoutbg, jpeg, mockContext(withoutbg, mock, { signal: controller.signal }))).rejects.toMatchObject({
				code: 'aborted',
			});
		});
	});
});
