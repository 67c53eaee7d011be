import { inspect } from 'node:util';

import { remoteProviders } from '../../lib/providers/clients';
import { alphaMatteRemotely, inpaintRemotely, type RemoteRunOptions } from '../../lib/providers/engine/remote';
import type { ProviderContext, RemoteProvider } from '../../lib/providers/types';
import { mockContext, SENTINEL_KEY } from '../helpers/providers';
import { makeScene, sceneAsJpeg } from '../helpers/scene';
import { providerMocks } from '../mocks';
import { faults, type Fault } from '../mocks/server';

/**
 * Every way a call can fail, for every provider, with the sentinel key: no error message, hint, serialised
 * error, log line or output may contain it, even when the provider echoes the key back.
 */
const echo = (status: number): Fault => faults.status(status, { detail: `Key ${SENTINEL_KEY} is not valid`, error: `bad key ${SENTINEL_KEY}` });

const scenarios: Array<{ name: string; faults: Fault[]; context?: Partial<ProviderContext>; options?: RemoteRunOptions }> = [
	{ name: 'a 401 that echoes the key', faults: [echo(401)] },
	{ name: 'a 400 that echoes the key', faults: [echo(400)] },
	{ name: 'an HTML page titled with the key', faults: [{ status: 502, headers: { 'content-type': 'text/html' }, body: `<title>${SENTINEL_KEY}</title>` }, echo(502)] },
	{ name: 'retries ending in 500', faults: [faults.serverError(), faults.rateLimited('0'), faults.serverError()] },
	{ name: 'malformed JSON', faults: [faults.malformedJson()] },
	{ name: 'a wrong content type', faults: [faults.wrongContentType()] },
	{ name: 'a connection reset', faults: [faults.reset(), faults.reset(), faults.reset()] },
	{ name: 'a timeout', faults: [faults.slow(300)], context: { retry: { attempts: 1, timeoutMs: 50 } } },
	{ name: 'an option error', faults: [], options: { providerOptions: { model: 'nonsense', size: 'nonsense', mode: 'nonsense' } } },
];

async function collect(provider: RemoteProvider, image: Buffer): Promise<{ texts: string[]; failures: number }> {
	const texts: string[] = [];
	let failures = 0;
	for (const scenario of scenarios) {
		const mock = await providerMocks[provider.id](SENTINEL_KEY).start();
		try {
			mock.failNext(/./, ...scenario.faults);
			const logs: string[] = [];
			const context = mockContext(provider, mock, { log: (line) => logs.push(line), ...scenario.context });
			const run = provider.operations.inpaint
				? inpaintRemotely(provider, image, { box: { x: 10, y: 10, width: 50, height: 50 }, dilation: 8 }, context, scenario.options)
				: alphaMatteRemotely(provider, image, context, scenario.options);
			const outcome = await run.then(
				(result) => ({ ...result, rgb: undefined, alpha: undefined }),
				(error: Error & { hint?: string }) => {
					failures++;
					return { message: error.message, hint: error.hint, json: JSON.stringify(error), inspected: inspect(error) };
				},
			);
			texts.push(JSON.stringify(outcome), ...logs);
		} finally {
			await mock.stop();
		}
	}
	// The unreachable host, after the mock has gone.
	const mock = await providerMocks[provider.id](SENTINEL_KEY).start();
	const context = mockContext(provider, mock, { retry: { attempts: 2, baseDelayMs: 1 } });
	await mock.stop();
	const error = await alphaMatteRemotely(provider, image, context).catch((caught: Error) => caught);
	texts.push(String(error), inspect(error));
	return { texts, failures: failures + 1 };
}

describe.each(remoteProviders.map((provider) => [provider.displayName, provider] as const))('%s', (_name, provider) => {
	it('never lets the API key into errors, hints, logs or outputs', async () => {
		const image = await sceneAsJpeg(makeScene(160, 100));
		const { texts, failures } = await collect(provider, image);
		expect(failures).toBeGreaterThanOrEqual(scenarios.length - 1);
		const leaks = texts.filter((text) => text.includes(SENTINEL_KEY));
		expect(leaks).toEqual([]);
		// The echoed key shows up masked, so the provider's words still reach the user.
		expect(texts.join('\n')).toContain('***');
	});
});
