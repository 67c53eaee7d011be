import { inspect } from 'node:util';

import { NodeApiError, NodeOperationError, type INodeExecutionData } from 'n8n-workflow';

import { remoteProviders } from '../../lib/providers/clients';
import type { RemoteProvider } from '../../lib/providers/types';
import { RemoveBackground } from '../../nodes/RemoveBackground/RemoveBackground.node';
import { binaryBytes, binaryItem, fakeExecuteFunctions } from '../helpers/executeFunctions';
import { SENTINEL_KEY } from '../helpers/providers';
import { runOnProviderMock } from '../helpers/remoteNode';
import { makeScene, maskIoU, rawPixels, sceneAsJpeg } from '../helpers/scene';
import { providerMocks } from '../mocks';
import { faults, type MockProviderServer } from '../mocks/server';

const node = new RemoveBackground();
const scene = makeScene(320, 200);
let jpeg: Buffer;
beforeAll(async () => {
	jpeg = await sceneAsJpeg(scene);
});

const baseParameters = {
	binaryPropertyName: 'data',
	refineForeground: true,
	outputFormat: 'png',
	background: 'transparent',
	includeMask: true,
	options: {},
};

function items(count: number): INodeExecutionData[] {
	return Array.from({ length: count }, (_, index) => binaryItem(jpeg, `photo-${index}.jpg`, 'image/jpeg', { id: index }));
}

function runNode(
	provider: RemoteProvider,
	setup: { items?: INodeExecutionData[]; parameters?: Record<string, unknown>; continueOnFail?: boolean; before?: (mock: MockProviderServer) => void } = {},
) {
	return runOnProviderMock(node, provider, { ...setup, items: setup.items ?? items(2), parameters: { ...baseParameters, ...setup.parameters } });
}

const cutoutProviders = remoteProviders.filter((provider) => provider.operations.removeBackground);

describe('Remove Background node description', () => {
	const { properties, credentials } = node.description;
	const engine = properties.find((property) => property.name === 'engine');

	it('offers the local engine first and then every provider with a cutout endpoint', () => {
		expect(engine?.default).toBe('local');
		expect(engine?.options?.map((option) => (option as { value: string }).value)).toEqual(['local', ...cutoutProviders.map((provider) => provider.id)]);
	});

	it("asks for each provider's credential only on its engine", () => {
		expect(credentials).toEqual(
			cutoutProviders.map((provider) => ({ name: provider.credentialType, required: true, displayOptions: { show: { engine: [provider.id] } } })),
		);
	});

	it("shows each provider's settings on its engine, options sorted, and fitting on by default for withoutBG only", () => {
		const falModel = properties.find((property) => property.name === 'falModel');
		expect(falModel?.displayOptions).toEqual({ show: { engine: ['fal'] } });
		const names = falModel?.options?.map((option) => option.name) ?? [];
		expect(names).toEqual([...names].sort((a, b) => a.localeCompare(b)));
		expect(properties.map((property) => property.name)).toEqual(
			expect.arrayContaining(['falOperatingResolution', 'falSync', 'falSyncMode', 'removebgSize', 'removebgType', 'photoroomSize']),
		);
		const fits = properties.filter((property) => property.name === 'fitToProviderLimits');
		expect(fits.map((property) => [property.default, property.displayOptions?.show?.engine])).toEqual([
			[true, ['withoutbg']],
			[false, ['fal', 'knockout', 'removebg', 'photoroom', 'clipdrop']],
		]);
	});
});

describe.each(cutoutProviders.map((provider) => [provider.displayName, provider] as const))('Remove Background on %s', (_name, provider) => {
	it('outputs the cutout and mask at full resolution with provider details, in order', async () => {
		const { output, error } = await runNode(provider, { parameters: { remoteOptions: { itemsInFlight: 2 } } });
		expect(error).toBeUndefined();
		expect(output).toHaveLength(2);
		for (const [index, item] of (output ?? []).entries()) {
			expect(item.pairedItem).toEqual({ item: index });
			expect(item.json).toMatchObject({ id: index, width: 320, height: 200, engine: provider.id, provider: provider.displayName });
			expect(item.json).toHaveProperty('providerRequestId');
			expect(item.json).toHaveProperty('providerMeta');
			const cutout = await rawPixels(binaryBytes(item.binary?.image));
			expect(cutout).toMatchObject({ width: 320, height: 200, channels: 4 });
			const mask = await rawPixels(binaryBytes(item.binary?.mask));
			expect(mask).toMatchObject({ width: 320, height: 200, channels: 1 });
			expect(maskIoU(mask.data, scene.mask)).toBeGreaterThan(0.9);
			expect(item.binary?.image.fileName).toBe(`photo-${index}.png`);
		}
	});
});

describe('Remove Background on hosted engines', () => {
	const [fal, withoutbg] = ['fal', 'withoutbg'].map((id) => remoteProviders.find((provider) => provider.id === id) as RemoteProvider);

	it('passes provider settings through and reports request id and latency', async () => {
		const { output, mock } = await runNode(fal, { items: items(1), parameters: { falModel: 'Matting', falSync: true } });
		expect(mock.requests[0].path).toBe('/sync/fal-ai/birefnet/v2');
		expect(mock.requests[0].json).toMatchObject({ model: 'Matting' });
		expect(output?.[0].json).toMatchObject({ providerRequestId: 'sync-1', upload: { width: 320, height: 200, scaled: false } });
	});

	it('keeps item order with several items in flight', async () => {
		const { output, mock } = await runNode(fal, { items: items(5), parameters: { remoteOptions: { itemsInFlight: 3 } } });
		expect(output?.map((item) => item.json.id)).toEqual([0, 1, 2, 3, 4]);
		expect(mock.requestsTo(/^\/fal-ai\/birefnet\/v2$/)).toHaveLength(5);
	});

	it('maps a provider error to a NodeApiError with status, message, hint and item index', async () => {
		const { error } = await runNode(withoutbg, {
			parameters: { remoteOptions: { itemsInFlight: 1 } },
			before: (mock) => mock.failNext(/image-without-background/, { delayMs: 0 }, faults.status(402, { detail: 'Insufficient credit' }, { 'x-request-id': 'wbg-42' })),
		});
		expect(error).toBeInstanceOf(NodeApiError);
		expect(error).toMatchObject({
			httpCode: '402',
			message:
				"photo-1.jpg: withoutBG: out of credits (HTTP 402): Insufficient credit (request wbg-42). Buy or top up credits in the provider's dashboard, or switch Engine to Local (no credits needed).",
			description: '(provider request ID: wbg-42, code: out_of_credits)',
			context: { itemIndex: 1 },
		});
	});

	it('with Continue On Fail, a failed item carries the error and the others go on', async () => {
		const { output } = await runNode(withoutbg, {
			items: items(3),
			continueOnFail: true,
			parameters: { remoteOptions: { itemsInFlight: 1 } },
			before: (mock) => mock.failNext(/image-without-background/, { delayMs: 0 }, faults.status(403, { detail: 'Credits expired' })),
		});
		expect(output?.map((item) => item.json.error ?? 'ok')).toEqual([
			'ok',
			"photo-1.jpg: withoutBG: credits expired (HTTP 403): Credits expired. The account's credits have expired; renew them in the provider's dashboard, or switch Engine to Local.",
			'ok',
		]);
		expect(output?.[1].json.errorCode).toBe('credits_expired');
		expect(output?.[1].binary?.image).toBeUndefined();
	});

	it('honours Attempts and Timeout', async () => {
		const { error, mock } = await runNode(withoutbg, {
			items: items(1),
			parameters: { remoteOptions: { attempts: 1 } },
			before: (server) => server.failNext(/image-without-background/, faults.serverError()),
		});
		expect(error?.message).toBe('photo-0.jpg: withoutBG: provider error (HTTP 500): Internal Server Error');
		expect(mock.requests).toHaveLength(1);

		const slow = await runNode(withoutbg, {
			items: items(1),
			parameters: { remoteOptions: { attempts: 1, timeoutSeconds: 1 } },
			before: (server) => server.failNext(/image-without-background/, faults.slow(1500)),
		});
		expect(slow.error).toMatchObject({ message: expect.stringContaining('withoutBG: timed out') });
	});

	it('refuses an unknown engine', async () => {
		const ctx = fakeExecuteFunctions({ items: items(1), parameters: { ...baseParameters, engine: 'nope' } });
		await expect(node.execute.call(ctx)).rejects.toThrow(new NodeOperationError(ctx.getNode(), 'Unknown engine "nope"'));
	});

	it('never lets the API key into errors, logs or outputs', async () => {
		const texts: string[] = [];
		const collect = (run: Awaited<ReturnType<typeof runNode>>) => {
			texts.push(JSON.stringify(run.output?.map((item) => item.json) ?? null), ...run.logLines);
			if (run.error) texts.push(run.error.message, String((run.error as NodeApiError).description), JSON.stringify(run.error), inspect(run.error));
		};
		const echo = faults.status(401, { detail: `Key ${SENTINEL_KEY} is not valid` });
		collect(await runNode(withoutbg, { items: items(1), before: (mock) => mock.failNext(/./, echo) }));
		collect(await runNode(withoutbg, { items: items(1), continueOnFail: true, before: (mock) => mock.failNext(/./, echo) }));
		collect(await runNode(withoutbg, { items: items(1), before: (mock) => mock.failNext(/./, faults.serverError(), faults.reset(), faults.reset()) }));
		collect(await runNode(fal, { items: items(1), before: (mock) => mock.failNext(/status$/, faults.htmlError(), faults.malformedJson()) }));
		const closed = await providerMocks.withoutbg(SENTINEL_KEY).start();
		await closed.stop();
		const ctx = fakeExecuteFunctions({
			items: items(1),
			parameters: { ...baseParameters, engine: 'withoutbg', remoteOptions: { attempts: 2 } },
			credentials: { withoutBgApi: { apiKey: SENTINEL_KEY, baseUrl: closed.baseUrl } },
		});
		const unreachable = await node.execute.call(ctx).catch((error: Error) => error);
		texts.push(String(unreachable), inspect(unreachable), JSON.stringify(unreachable));

		expect(texts.join('\n')).toMatch(/\*\*\*/);
		expect(texts.filter((text) => text.includes(SENTINEL_KEY))).toEqual([]);
	});
});
