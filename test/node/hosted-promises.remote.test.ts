import sharp from 'sharp';

import { remoteProvider } from '../../lib/providers/clients';
import type { RemoteProvider } from '../../lib/providers/types';
import { AlphaMatte } from '../../nodes/AlphaMatte/AlphaMatte.node';
import { Inpaint } from '../../nodes/Inpaint/Inpaint.node';
import { RemoveBackground } from '../../nodes/RemoveBackground/RemoveBackground.node';
import { binaryBytes, binaryItem } from '../helpers/executeFunctions';
import { runOnProviderMock } from '../helpers/remoteNode';
import { makeScene, maskIoU, rawPixels, sceneAsJpeg } from '../helpers/scene';
import type { FalMockState } from '../mocks/fal';
import { faults, type MockProviderServer } from '../mocks/server';

/**
 * What the hosted engines promise beyond a successful call: fal's inline (data: URI) results, the local
 * engine's error codes for the same conditions, and Inpaint's byte-identity outside the region.
 */
const scene = makeScene(320, 200);
const [fal, knockout, clipdrop, withoutbg] = ['fal', 'knockout', 'clipdrop', 'withoutbg'].map((id) => remoteProvider(id) as RemoteProvider);
let jpeg: Buffer;
beforeAll(async () => {
	jpeg = await sceneAsJpeg(scene);
});

const item = () => binaryItem(jpeg, 'photo.jpg', 'image/jpeg', { id: 3 });
const falState = (mock: MockProviderServer) => (mock as MockProviderServer & { fal: FalMockState }).fal;

describe("fal's inline results", () => {
	const removeBackground = new RemoveBackground();
	const parameters = { binaryPropertyName: 'data', refineForeground: true, outputFormat: 'png', background: 'transparent', includeMask: true, options: {} };

	it.each([
		['queue', false],
		['fal.run', true],
	])('sends sync_mode and decodes the data: URIs it gets back (%s)', async (_name, sync) => {
		const { output, error, mock } = await runOnProviderMock(removeBackground, fal, {
			items: [item()],
			parameters: { ...parameters, falSync: sync, falSyncMode: true },
		});
		expect(error).toBeUndefined();
		const submitted = mock.requests.find((request) => request.method === 'POST');
		expect(submitted?.json).toMatchObject({ sync_mode: true, output_mask: true });
		// Nothing was fetched from a file host: both files came inline.
		expect(mock.requestsTo(/^\/files\//)).toEqual([]);
		const cutout = await rawPixels(binaryBytes(output?.[0].binary?.image));
		expect(cutout).toMatchObject({ width: 320, height: 200, channels: 4 });
		const mask = await rawPixels(binaryBytes(output?.[0].binary?.mask));
		expect(maskIoU(mask.data, scene.mask)).toBeGreaterThan(0.9);
	});

	it("decodes File.file_data instead of fetching the file's URL", async () => {
		const { output, error, mock } = await runOnProviderMock(new AlphaMatte(), fal, {
			items: [item()],
			parameters: { binaryPropertyName: 'data', outputType: 'soft', outputFormat: 'png', options: {} },
			before: (server) => {
				falState(server).inlineFileData = true;
			},
		});
		expect(error).toBeUndefined();
		expect(mock.requestsTo(/^\/files\//)).toEqual([]);
		const matte = await rawPixels(binaryBytes(output?.[0].binary?.mask));
		expect(maskIoU(matte.data, scene.mask)).toBeGreaterThan(0.9);
	});

	it('sniffs the inline type instead of trusting it, and refuses data that is no image', async () => {
		const { output } = await runOnProviderMock(removeBackground, fal, {
			items: [item()],
			continueOnFail: true,
			parameters: { ...parameters, falSyncMode: true },
			before: (server) => {
				// The claimed type is wrong, the bytes are PNG: accepted.
				falState(server).inlineContentType = 'image/webp';
			},
		});
		expect(output?.[0].json.error).toBeUndefined();

		const { output: refused } = await runOnProviderMock(removeBackground, fal, {
			items: [item()],
			continueOnFail: true,
			parameters: { ...parameters, falSync: true },
			before: (server) =>
				server.failNext(/^\/sync\//, faults.status(200, { image: { url: `data:image/png;base64,${Buffer.from('<html>nope</html>').toString('base64')}` } })),
		});
		expect(refused?.[0].json).toMatchObject({ errorCode: 'bad_response', error: 'photo.jpg: fal.ai: unexpected response: the cutout (data: URI) is not an image' });
	});
});

describe('one error vocabulary', () => {
	const inpaint = new Inpaint();
	const parameters = { binaryPropertyName: 'data', maskBinaryPropertyName: 'mask', boundingBox: {}, dilation: 8, outputFormat: 'png', options: {} };

	it("gives knockout's 422 no_subject_detected the local engine's code, with its nested request id, under Continue On Fail", async () => {
		const { output, mock } = await runOnProviderMock(inpaint, knockout, {
			items: [item(), item()],
			continueOnFail: true,
			parameters: { ...parameters, remoteOptions: { itemsInFlight: 1 } },
			before: (server) =>
				server.failNext(
					/^\/inpaint$/,
					faults.status(422, { error: { code: 'no_subject_detected', message: 'No subject detected. Send mask or bbox.', request_id: 'req_k42' } }),
				),
		});
		expect(output?.[0].json).toMatchObject({
			errorCode: 'no_subject_detected',
			providerRequestId: 'req_k42',
			error: 'photo.jpg: knockout: no subject detected (HTTP 422): No subject detected. Send mask or bbox. (request req_k42)',
		});
		expect(output?.[1].json.error).toBeUndefined();
		expect(mock.requestsTo(/^\/inpaint$/)).toHaveLength(2);
	});

	it('does not retry a failure knockout calls final (500 inpaint_failed)', async () => {
		const { error, mock } = await runOnProviderMock(inpaint, knockout, {
			items: [item()],
			parameters: { ...parameters, boundingBox: { box: { x: 10, y: 10, width: 40, height: 40 } }, remoteOptions: { attempts: 3 } },
			before: (server) =>
				server.failNext(/^\/inpaint$/, faults.status(500, { detail: { code: 'inpaint_failed', message: 'The fill model failed', request_id: 'req_k7' } })),
		});
		expect(error?.message).toBe('photo.jpg: knockout: provider error (HTTP 500): The fill model failed (request req_k7)');
		expect(mock.requestsTo(/^\/inpaint$/)).toHaveLength(1);
	});

	it.each([
		[415, 'unsupported_format', { detail: 'Unsupported media type' }],
		[413, 'too_many_bytes', { detail: 'File larger than 10 MB' }],
		[422, 'invalid_option', { detail: [{ loc: ['body', 'file'], msg: 'Could not decode image', type: 'value_error' }] }],
	])("names withoutBG's %i as %s", async (status, code, body) => {
		const { output } = await runOnProviderMock(new RemoveBackground(), withoutbg, {
			items: [item()],
			continueOnFail: true,
			parameters: { binaryPropertyName: 'data', refineForeground: true, outputFormat: 'png', background: 'transparent', includeMask: false, options: {} },
			before: (server) => server.failNext(/image-without-background/, faults.status(status, body, { 'x-request-id': 'wbg-9' })),
		});
		expect(output?.[0].json).toMatchObject({ errorCode: code, providerRequestId: 'wbg-9', error: expect.stringContaining('(request wbg-9)') });
	});
});

describe('Inpaint keeps every pixel outside the region byte-identical, whatever the provider returns there', () => {
	const inpaint = new Inpaint();
	const box = { x: 110, y: 20, width: 100, height: 170 };
	const parameters = { binaryPropertyName: 'data', maskBinaryPropertyName: 'mask', boundingBox: { box }, dilation: 8, outputFormat: 'png', options: {} };

	async function itemWithMask() {
		const input = item();
		const mask = await sharp(scene.mask, { raw: { width: 320, height: 200, channels: 1 } }).png().toBuffer();
		input.binary!.mask = { data: mask.toString('base64'), mimeType: 'image/png', fileName: 'mask.png' };
		return input;
	}

	const cases: Array<[string, 'mask' | 'bbox' | 'subject', RemoteProvider]> = [
		['fal.ai', 'mask', fal],
		['fal.ai', 'bbox', fal],
		['knockout', 'mask', knockout],
		['knockout', 'bbox', knockout],
		['knockout', 'subject', knockout],
		['Clipdrop', 'bbox', clipdrop],
	];

	it.each(cases)('%s, %s mode', async (_name, mode, provider) => {
		const input = mode === 'mask' ? await itemWithMask() : item();
		const { output, error } = await runOnProviderMock(inpaint, provider, {
			items: [input],
			parameters: { ...parameters, boundingBox: mode === 'subject' ? {} : parameters.boundingBox },
			before: (server) => {
				server.alterOutsideRegion = true;
			},
		});
		expect(error).toBeUndefined();
		expect(output?.[0].json.mode).toBe(mode);
		const original = await rawPixels(jpeg);
		const result = await rawPixels(binaryBytes(output?.[0].binary?.image));
		expect(result.channels).toBe(3);
		const region = await rawPixels(binaryBytes(output?.[0].binary?.mask));
		let outside = 0;
		let differing = 0;
		let filled = 0;
		for (let i = 0; i < region.data.length; i++) {
			const same = [0, 1, 2].every((c) => result.data[i * 3 + c] === original.data[i * 3 + c]);
			if (region.data[i] === 0) {
				outside++;
				if (!same) differing++;
			} else if (!same) filled++;
		}
		expect(outside).toBeGreaterThan(region.data.length / 3);
		expect(differing).toBe(0);
		// The region itself did come from the provider.
		expect(filled).toBeGreaterThan(1000);
	});
});

describe('Inpaint auto-subject on a knockout server without /mask', () => {
	it('keeps only the pixels the result changed beyond re-encoding noise, and outputs them as the mask', async () => {
		const { output, error, mock } = await runOnProviderMock(new Inpaint(), knockout, {
			items: [item()],
			parameters: { binaryPropertyName: 'data', maskBinaryPropertyName: 'mask', boundingBox: {}, dilation: 8, outputFormat: 'png', options: {} },
			before: (server) => server.failNext(/^\/mask$/, faults.status(404, { detail: 'Not Found' })),
		});
		expect(error).toBeUndefined();
		expect(mock.requestsTo(/^\/mask$/)).toHaveLength(1);
		const region = await rawPixels(binaryBytes(output?.[0].binary?.mask));
		expect(maskIoU(region.data, scene.mask)).toBeGreaterThan(0.8);
		const original = await rawPixels(jpeg);
		const result = await rawPixels(binaryBytes(output?.[0].binary?.image));
		let differing = 0;
		for (let i = 0; i < region.data.length; i++) {
			if (region.data[i] === 0 && !result.data.subarray(i * 3, i * 3 + 3).equals(original.data.subarray(i * 3, i * 3 + 3))) differing++;
		}
		expect(differing).toBe(0);
	});
});

describe('Report Account Credits', () => {
	const removeBackground = new RemoveBackground();
	const parameters = { binaryPropertyName: 'data', refineForeground: true, outputFormat: 'png', background: 'transparent', includeMask: false, options: {} };
	const removebg = remoteProvider('removebg') as RemoteProvider;

	it.each([
		['withoutBG', withoutbg, /^\/available-credit$/, { credits: 138, creditsExpire: '2026-09-05 23:59:59' }],
		['remove.bg', removebg, /^\/v1\.0\/account$/, { credits: 200, freeCalls: 50 }],
		['fal.ai', fal, /^\/v1\/models\/pricing$/, { unitPrice: 0, priceUnit: 'image', currency: 'USD' }],
	])('reads the %s account once per execution and puts it on every item', async (_name, provider, path, account) => {
		const { output, error, mock } = await runOnProviderMock(removeBackground, provider, {
			items: [item(), item(), item()],
			parameters: { ...parameters, remoteOptions: { reportAccount: true } },
		});
		expect(error).toBeUndefined();
		expect(mock.requestsTo(path)).toHaveLength(1);
		expect(output?.map((result) => result.json.providerAccount)).toEqual([account, account, account]);
	});

	it("gives fal's price for the model the operation runs", async () => {
		const { output, mock } = await runOnProviderMock(new Inpaint(), fal, {
			items: [item()],
			parameters: {
				binaryPropertyName: 'data',
				maskBinaryPropertyName: 'mask',
				boundingBox: { box: { x: 10, y: 10, width: 40, height: 40 } },
				dilation: 8,
				outputFormat: 'png',
				options: {},
				remoteOptions: { reportAccount: true },
			},
		});
		expect(mock.requestsTo(/pricing/)[0].query.get('endpoint_id')).toBe('fal-ai/bria/eraser');
		expect(output?.[0].json.providerAccount).toEqual({ unitPrice: 0.04, priceUnit: 'image', currency: 'USD' });
	});

	it('costs no request when off, and a failed lookup costs no item its result', async () => {
		const off = await runOnProviderMock(removeBackground, withoutbg, { items: [item()], parameters });
		expect(off.mock.requestsTo(/available-credit/)).toEqual([]);
		expect(off.output?.[0].json).not.toHaveProperty('providerAccount');

		const failing = await runOnProviderMock(removeBackground, withoutbg, {
			items: [item()],
			parameters: { ...parameters, remoteOptions: { reportAccount: true, attempts: 1 } },
			before: (server) => server.failNext(/available-credit/, faults.serverError()),
		});
		expect(failing.error).toBeUndefined();
		expect(failing.output?.[0].json).not.toHaveProperty('providerAccount');
		expect(failing.output?.[0].binary?.image).toBeDefined();
	});
});
