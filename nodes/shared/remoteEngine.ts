import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { CutoutError } from '../../lib/errors';
import { remoteProvider } from '../../lib/providers/clients';
import { credentialId, type RateLimiter, sharedRateLimiter } from '../../lib/providers/http/rateLimit';
import type { RemoteOutcome, RemoteRunOptions } from '../../lib/providers/engine/remote';
import { ProviderSession } from '../../lib/providers/http/session';
import type { AccountReport, OperationName, ProviderContext, RemoteProvider } from '../../lib/providers/types';
import { type ItemOutput, mapItems, toNodeError } from './items';
import { createN8nTransport } from './n8nTransport';
import { readProviderOptions, readRemoteOptions } from './remoteParameters';

export const LOCAL_ENGINE = 'local';

/** A hosted provider as one execution uses it: one transport and throttle, settings read per item. */
export interface RemoteEngine {
	provider: RemoteProvider;
	/** Items sent at once (read from the first item, since the batch is scheduled once). */
	itemsInFlight: number;
	context(itemIndex: number): ProviderContext;
	runOptions(itemIndex: number): RemoteRunOptions;
	/** What the account reported, when "Report Account Credits" is on: read once for the whole execution. */
	account?: AccountReport;
}

interface ProviderCredential {
	apiKey?: string;
	baseUrl?: string;
	syncBaseUrl?: string;
}

/** Undefined for the local engine. */
export async function openRemoteEngine(ctx: IExecuteFunctions, operation: OperationName): Promise<RemoteEngine | undefined> {
	const engine = ctx.getNodeParameter('engine', 0) as string;
	if (engine === LOCAL_ENGINE) return undefined;
	const provider = remoteProvider(engine);
	if (!provider) throw new CutoutError('invalid_option', `Unknown engine "${engine}"`);

	const credential = await readCredential(ctx, provider);
	const transport = createN8nTransport(ctx, provider.credentialType, [credential.apiKey]);
	const shared = readRemoteOptions(ctx, 0);
	const requestsPerMinute = shared.requestsPerMinute ?? provider.defaultRequestsPerMinute;
	const throttle: RateLimiter | undefined = requestsPerMinute
		? sharedRateLimiter(provider.id, credentialId(credential.apiKey, credential.baseUrl), requestsPerMinute)
		: undefined;

	const remote: RemoteEngine = {
		provider,
		itemsInFlight: shared.itemsInFlight ?? 2,
		context(itemIndex) {
			const options = readRemoteOptions(ctx, itemIndex);
			return {
				transport,
				baseUrl: credential.baseUrl,
				syncBaseUrl: credential.syncBaseUrl,
				retry: { attempts: options.attempts, timeoutMs: options.timeoutSeconds === undefined ? undefined : options.timeoutSeconds * 1000 },
				throttle,
				signal: ctx.getExecutionCancelSignal?.(),
				log: (message) => ctx.logger.info(`Cutout: ${message}`),
			};
		},
		runOptions(itemIndex) {
			return {
				fitToLimits: ctx.getNodeParameter('fitToProviderLimits', itemIndex, provider.fitToLimitsByDefault ?? false) as boolean,
				providerOptions: readProviderOptions(ctx, itemIndex, provider, operation),
				// Remove Background's Include Mask also decides whether a provider is asked for its own mask.
				includeMask: operation === 'removeBackground' && (ctx.getNodeParameter('includeMask', itemIndex, false) as boolean),
			};
		},
	};
	if (shared.reportAccount) remote.account = await readAccount(remote, operation, (message) => ctx.logger.warn(`Cutout: ${message}`));
	return remote;
}

/**
 * One account lookup for the execution (the credential is the same for every item). It must not cost an
 * item its result, so a failure is a warning in the log and the items go on without it.
 */
async function readAccount(engine: RemoteEngine, operation: OperationName, warn: (message: string) => void): Promise<AccountReport | undefined> {
	const { provider } = engine;
	if (!provider.readAccount) return undefined;
	try {
		return await provider.readAccount(new ProviderSession(provider, engine.context(0)), operation);
	} catch (error) {
		warn(`${provider.displayName}: could not read the account: ${(error as Error).message}`);
		return undefined;
	}
}

async function readCredential(
	ctx: IExecuteFunctions,
	provider: RemoteProvider,
): Promise<Required<Pick<ProviderCredential, 'apiKey' | 'baseUrl'>> & ProviderCredential> {
	const credential = (await ctx.getCredentials(provider.credentialType)) as ProviderCredential;
	if (!credential.apiKey) throw new CutoutError('invalid_option', `The ${provider.displayName} credential has no API key`);
	const baseUrl = credential.baseUrl || provider.defaultBaseUrl;
	for (const url of [baseUrl, credential.syncBaseUrl].filter((value): value is string => Boolean(value))) {
		if (!/^https?:\/\/[^/]/i.test(url)) {
			throw new CutoutError('invalid_option', `The ${provider.displayName} credential's URL "${url}" is not an http(s) URL`);
		}
	}
	return { ...credential, apiKey: credential.apiKey, baseUrl };
}

/** The json every hosted engine adds: size, provider, its request id, credit and latency headers, the upload. */
export function remoteFields(remote: RemoteEngine, outcome: RemoteOutcome): IDataObject {
	return {
		width: outcome.width,
		height: outcome.height,
		engine: remote.provider.id,
		provider: outcome.provider,
		providerRequestId: outcome.requestId ?? null,
		providerMeta: { ...outcome.meta },
		...(remote.account ? { providerAccount: { ...remote.account } } : {}),
		upload: { ...outcome.upload },
	};
}

/**
 * mapItems on the node's chosen engine: a hosted engine is opened once per execution (credential, throttle)
 * and sets how many items are in flight; `remote` is undefined on the local engine.
 */
export async function mapItemsOnEngine(
	ctx: IExecuteFunctions,
	operation: OperationName,
	processItem: (itemIndex: number, item: INodeExecutionData, remote: RemoteEngine | undefined) => Promise<ItemOutput>,
): Promise<INodeExecutionData[][]> {
	const remote = await openRemoteEngine(ctx, operation).catch((error: unknown) => {
		throw toNodeError(ctx, error, 0);
	});
	return mapItems(ctx, (itemIndex, item) => processItem(itemIndex, item, remote), {
		concurrency: remote?.itemsInFlight ?? LOCAL_ITEMS_IN_FLIGHT,
	});
}

/**
 * Two local items at a time: the model runs one item at a time (lib/inference/sessions.ts), and the other
 * item decodes or encodes meanwhile, so a batch is not the sum of its steps (bench P3).
 */
const LOCAL_ITEMS_IN_FLIGHT = 2;
