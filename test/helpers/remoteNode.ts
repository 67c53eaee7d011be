import type { INodeExecutionData, INodeType } from 'n8n-workflow';

import type { RemoteProvider } from '../../lib/providers/types';
import { providerMocks } from '../mocks';
import type { MockProviderServer } from '../mocks/server';
import { fakeExecuteFunctions } from './executeFunctions';
import { SENTINEL_KEY } from './providers';

export interface RemoteRunSetup {
	items: INodeExecutionData[];
	parameters: Record<string, unknown>;
	continueOnFail?: boolean;
	/** Queue faults on the mock before the node runs. */
	before?: (mock: MockProviderServer) => void;
}

/**
 * Runs a node on a provider's engine against the provider's mock, the credential (with the sentinel key)
 * pointing at it. Returns the output or the error, the requests the mock saw and the log lines.
 */
export async function runOnProviderMock(node: INodeType, provider: RemoteProvider, setup: RemoteRunSetup) {
	const mock = await providerMocks[provider.id](SENTINEL_KEY).start();
	setup.before?.(mock);
	const ctx = fakeExecuteFunctions({
		items: setup.items,
		parameters: { engine: provider.id, ...setup.parameters },
		continueOnFail: setup.continueOnFail,
		credentials: { [provider.credentialType]: { apiKey: SENTINEL_KEY, baseUrl: mock.baseUrl, syncBaseUrl: `${mock.baseUrl}/sync` } },
	});
	try {
		const execute = node.execute as (this: typeof ctx) => Promise<INodeExecutionData[][]>;
		const outcome = await execute.call(ctx).then(
			([output]) => ({ output, error: undefined }),
			(error: Error) => ({ output: undefined, error }),
		);
		const logLines = ctx.logger.info.mock.calls.map((call) => String(call[0]));
		return { ...outcome, mock, logLines };
	} finally {
		await mock.stop();
	}
}
