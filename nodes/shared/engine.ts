import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import type { Engine } from '../../lib/engines/engine';
import { type LocalEngineOptions, localEngine } from '../../lib/engines/local';
import { CutoutError } from '../../lib/errors';
import { remoteProvider } from '../../lib/providers/clients';
import { checkProviderUrls, providerEngine } from '../../lib/providers/engine/hostedEngine';
import { credentialId, type RateLimiter, sharedRateLimiter } from '../../lib/providers/http/rateLimit';
import { ProviderSession } from '../../lib/providers/http/session';
import type { AccountReport, OperationName, ProviderContext, RemoteProvider } from '../../lib/providers/types';
import { type ItemOutput, mapItems, toNodeError } from './items';
import { readLocalSegmentationSettings } from './modelParameters';
import { createN8nTransport } from './n8nTransport';
import { readProviderOptions, readRemoteOptions } from './remoteParameters';

export const LOCAL_ENGINE = 'local';

interface ProviderCredential {
	apiKey?: string;
	baseUrl?: string;
	syncBaseUrl?: string;
}

/**
 * The node's Engine for one item. `local` gives the item's model settings; it is read only on the local
 * engine (a hosted engine's item has no model parameters to read).
 */
export type EngineForItem = (local: () => LocalEngineOptions) => Engine;

/**
 * The per-item loop on the node's chosen engine. A hosted engine is opened once per execution (credential,
 * transport, throttle, account) and decides how many items are in flight; each item gets an Engine with its
 * own settings, so the operations in lib/pipeline never see n8n.
 */
export async function mapItemsOnEngine(
	ctx: IExecuteFunctions,
	operation: OperationName,
	processItem: (itemIndex: number, item: INodeExecutionData, engine: EngineForItem) => Promise<ItemOutput>,
): Promise<INodeExecutionData[][]> {
	const hosted = await openHostedEngine(ctx, operation).catch((error: unknown) => {
		throw toNodeError(ctx, error, 0);
	});
	const log = (message: string) => ctx.logger.info(`Cutout: ${message}`);
	return mapItems(
		ctx,
		(itemIndex, item) =>
			processItem(itemIndex, item, (local) =>
				hosted ? hosted.engine(itemIndex) : localEngine({ ...readLocalSegmentationSettings(ctx, itemIndex), ...local(), log }),
			),
		{ concurrency: hosted?.itemsInFlight ?? LOCAL_ITEMS_IN_FLIGHT },
	);
}

/**
 * Two local items at a time: the model runs one item at a time (lib/inference/sessions.ts), and the other
 * item decodes or encodes meanwhile, so a batch is not the sum of its steps (bench P3).
 */
const LOCAL_ITEMS_IN_FLIGHT = 2;

interface HostedEngine {
	/** Items sent at once (read from the first item, since the batch is scheduled once). */
	itemsInFlight: number;
	engine(itemIndex: number): Engine;
}

/** Undefined for the local engine. */
async function openHostedEngine(ctx: IExecuteFunctions, operation: OperationName): Promise<HostedEngine | undefined> {
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
	const context = (itemIndex: number): ProviderContext => {
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
	};
	const account = shared.reportAccount
		? await readAccount(provider, context(0), operation, (message) => ctx.logger.warn(`Cutout: ${message}`))
		: undefined;
	return {
		itemsInFlight: shared.itemsInFlight ?? 2,
		engine: (itemIndex) =>
			providerEngine(provider, {
				context: context(itemIndex),
				fitToLimits: ctx.getNodeParameter('fitToProviderLimits', itemIndex, provider.fitToLimitsByDefault ?? false) as boolean,
				providerOptions: readProviderOptions(ctx, itemIndex, provider, operation),
				account,
			}),
	};
}

/**
 * One account lookup for the execution (the credential is the same for every item). It must not cost an
 * item its result, so a failure is a warning in the log and the items go on without it.
 */
async function readAccount(
	provider: RemoteProvider,
	context: ProviderContext,
	operation: OperationName,
	warn: (message: string) => void,
): Promise<AccountReport | undefined> {
	if (!provider.readAccount) return undefined;
	try {
		return await provider.readAccount(new ProviderSession(provider, context), operation);
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
	checkProviderUrls(provider, [baseUrl, credential.syncBaseUrl]);
	return { ...credential, apiKey: credential.apiKey, baseUrl };
}
