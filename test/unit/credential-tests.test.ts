import { remoteProviders } from '../../lib/providers/clients';
import { FAL_PLATFORM_URL_EXPRESSION, falPlatformUrl } from '../../lib/providers/clients/falPlatform';
import { resolveExpression, runCredentialTest } from '../helpers/credentials';
import { SENTINEL_KEY } from '../helpers/providers';
import { providerMocks } from '../mocks';

/**
 * Each credential's Test button, run as n8n runs its declarative request, against the provider's loopback
 * mock: the right key passes, a wrong or missing one fails, and the request goes to the credential's Base URL.
 */
describe.each(remoteProviders.map((provider) => [provider.displayName, provider] as const))('the %s credential test', (_name, provider) => {
	it('passes with the right key, fails with a wrong or missing one, and asks the Base URL', async () => {
		const mock = await providerMocks[provider.id](SENTINEL_KEY).start();
		try {
			const test = (apiKey: string) => runCredentialTest(provider.credentialType, { apiKey, baseUrl: mock.baseUrl });
			expect(await test(SENTINEL_KEY)).toEqual({ status: 'OK', message: 'Connection successful!' });
			expect(await test('sk-wrong-0000000000000000')).toMatchObject({ status: 'Error' });
			expect(await test('')).toMatchObject({ status: 'Error' });
			expect(mock.requests).toHaveLength(3);
		} finally {
			await mock.stop();
		}
	});
});

describe("fal's Platform API host", () => {
	it('is api.fal.ai for the default queue host and the Base URL itself otherwise, in the test as in executions', () => {
		for (const baseUrl of ['https://queue.fal.run', 'https://queue.fal.run/', 'http://127.0.0.1:8123', 'https://fal-proxy.example.com/fal']) {
			expect(resolveExpression(FAL_PLATFORM_URL_EXPRESSION, { baseUrl })).toBe(falPlatformUrl(baseUrl));
		}
		expect(falPlatformUrl('https://queue.fal.run')).toBe('https://api.fal.ai');
		expect(falPlatformUrl('http://127.0.0.1:8123')).toBe('http://127.0.0.1:8123');
	});
});
