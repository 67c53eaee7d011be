import { NodeApiError } from 'n8n-workflow';

import { remoteProviders } from '../../lib/providers/clients';
import { AlphaMatte } from '../../nodes/AlphaMatte/AlphaMatte.node';
import { binaryBytes, binaryItem } from '../helpers/executeFunctions';
import { runOnProviderMock } from '../helpers/remoteNode';
import { makeScene, maskIoU, rawPixels, sceneAsJpeg } from '../helpers/scene';
import { faults } from '../mocks/server';

const node = new AlphaMatte();
const scene = makeScene(320, 200);
const baseParameters = { binaryPropertyName: 'data', outputType: 'soft', outputFormat: 'png', options: {} };

async function itemsOf(count: number) {
	const jpeg = await sceneAsJpeg(scene);
	return Array.from({ length: count }, (_, index) => binaryItem(jpeg, `photo-${index}.jpg`, 'image/jpeg', { id: index }));
}

describe('Alpha Matte node description', () => {
	it('offers every provider (a cutout provider gives its alpha) with its credential', () => {
		const engine = node.description.properties.find((property) => property.name === 'engine');
		expect(engine?.options?.map((option) => (option as { value: string }).value)).toEqual(['local', ...remoteProviders.map((provider) => provider.id)]);
		expect(node.description.credentials?.map((credential) => credential.name)).toEqual(remoteProviders.map((provider) => provider.credentialType));
	});
});

describe.each(remoteProviders.map((provider) => [provider.displayName, provider] as const))('Alpha Matte on %s', (_name, provider) => {
	it('outputs the full-resolution matte with provider details', async () => {
		const { output, error } = await runOnProviderMock(node, provider, { items: await itemsOf(2), parameters: baseParameters });
		expect(error).toBeUndefined();
		for (const [index, item] of (output ?? []).entries()) {
			expect(item.pairedItem).toEqual({ item: index });
			expect(item.json).toMatchObject({ id: index, width: 320, height: 200, engine: provider.id, provider: provider.displayName });
			const mask = await rawPixels(binaryBytes(item.binary?.mask));
			expect(mask).toMatchObject({ width: 320, height: 200, channels: 1 });
			expect(maskIoU(mask.data, scene.mask)).toBeGreaterThan(0.9);
		}
	});
});

describe('Alpha Matte on hosted engines', () => {
	const withoutbg = remoteProviders.find((provider) => provider.id === 'withoutbg')!;

	it('shapes the hosted matte as the local one: binary, grown and inverted', async () => {
		const { output } = await runOnProviderMock(node, withoutbg, {
			items: await itemsOf(1),
			parameters: { ...baseParameters, outputType: 'binary', threshold: 0.5, options: { invert: true, grow: 2 } },
		});
		const mask = await rawPixels(binaryBytes(output?.[0].binary?.mask));
		expect(new Set(mask.data)).toEqual(new Set([0, 255]));
		// Inverted: the subject is black.
		expect(mask.data[Math.round(200 * 0.55) * 320 + 160]).toBe(0);
		expect(mask.data[0]).toBe(255);
	});

	it('refuses bad shaping settings before uploading', async () => {
		const { error, mock } = await runOnProviderMock(node, withoutbg, { items: await itemsOf(1), parameters: { ...baseParameters, options: { feather: 9999 } } });
		expect(error?.message).toBe('photo-0.jpg: Feather must be from 0 to 500 pixels, got 9999');
		expect(mock.requests).toHaveLength(0);
	});

	it('maps provider errors to NodeApiError', async () => {
		const { error } = await runOnProviderMock(node, withoutbg, {
			items: await itemsOf(1),
			parameters: baseParameters,
			before: (mock) => mock.failNext(/alpha-channel/, faults.status(401, { detail: 'Invalid API key' })),
		});
		expect(error).toBeInstanceOf(NodeApiError);
		expect(error).toMatchObject({ httpCode: '401', message: 'photo-0.jpg: withoutBG: invalid API key (HTTP 401): Invalid API key', context: { itemIndex: 0 } });
	});
});
