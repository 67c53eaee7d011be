import type { Engine, EngineReport } from '../../engines/engine';
import { CutoutError } from '../../errors';
import { remoteProvider } from '../clients';
import { credentialId, sharedRateLimiter } from '../http/rateLimit';
import { createFetchTransport } from '../http/transport';
import type { AccountReport, ProviderContext, ProviderOptions, RemoteProvider } from '../types';
import { alphaMatteRemotely, inpaintRemotely, type RemoteOutcome, removeBackgroundRemotely } from './remote';

export interface ProviderEngineOptions {
	/** Transport (with the credential), base URLs, retry, throttle, cancel signal and log. */
	context: ProviderContext;
	/** Upload a smaller copy when the input breaks the provider's limits; default the provider's own default. */
	fitToLimits?: boolean;
	/** The provider's own settings (see each client's `parameters`). */
	providerOptions?: ProviderOptions;
	/** Reported with every result, when the front end read the account. */
	account?: AccountReport;
}

/** A hosted provider as an Engine, reached through the transport its front end supplies. */
export function providerEngine(provider: RemoteProvider, options: ProviderEngineOptions): Engine {
	const { context, fitToLimits, providerOptions } = options;
	const report = (outcome: RemoteOutcome): EngineReport => ({
		engine: provider.id,
		model: typeof outcome.meta.model === 'string' ? outcome.meta.model : null,
		provider: outcome.provider,
		providerRequestId: outcome.requestId ?? null,
		providerMeta: { ...outcome.meta },
		upload: { ...outcome.upload },
		...(options.account ? { providerAccount: { ...options.account } } : {}),
	});
	const timingsOf = ({ timings }: RemoteOutcome) => ({ decodeMs: timings.decodeMs, inferMs: timings.providerMs, refineMs: timings.refineMs });

	return {
		id: provider.id,
		async matte(input, job) {
			const matte = await alphaMatteRemotely(provider, input, context, { fitToLimits, providerOptions, decodeLimits: job.limits });
			return { width: matte.width, height: matte.height, alpha: matte.alpha, report: report(matte), timings: timingsOf(matte) };
		},
		async cutout(input, job) {
			const cutout = await removeBackgroundRemotely(provider, input, context, {
				fitToLimits,
				providerOptions,
				decodeLimits: job.limits,
				refineForeground: job.refineForeground,
				includeMask: job.includeMask,
			});
			const { width, height, alpha, foreground } = cutout;
			return { width, height, alpha, foreground, report: report(cutout), timings: timingsOf(cutout) };
		},
		async fill(input, job) {
			const result = await inpaintRemotely(provider, input, { mask: job.mask, box: job.box, dilation: job.dilation }, context, {
				fitToLimits,
				providerOptions,
				decodeLimits: job.limits,
			});
			const { decodeMs, providerMs, refineMs } = result.timings;
			return {
				width: result.width,
				height: result.height,
				rgb: result.rgb,
				holes: result.holes,
				mode: result.mode,
				// The provider found the subject itself.
				subjectModel: result.mode === 'subject' ? result.provider : null,
				report: report(result),
				// Decoding counts the region's preparation; laying the fill onto the input counts as filling.
				timings: { decodeMs, maskMs: 0, fillMs: providerMs + refineMs },
			};
		},
	};
}

export interface HostedEngineOptions {
	apiKey: string;
	/** Default: the provider's own host. */
	baseUrl?: string;
	/** fal only: the host for synchronous calls. */
	syncBaseUrl?: string;
	/** Per request; default the retry policy's. */
	timeoutSeconds?: number;
	/** Tries per request on 429/5xx and network errors; default the retry policy's. */
	attempts?: number;
	/** Shared by every engine with the same key in this process; default the provider's documented limit. */
	requestsPerMinute?: number;
	fitToLimits?: boolean;
	providerOptions?: ProviderOptions;
	signal?: AbortSignal;
	/** Receives retry and polling notes; never given secrets. */
	log?: (message: string) => void;
}

/**
 * A hosted provider for front ends outside n8n (Node-RED, scripts): Node's fetch with the key in the
 * provider's header. Inside n8n the nodes pass n8n's own transport to providerEngine instead.
 */
export function hostedEngine(providerId: string, options: HostedEngineOptions): Engine {
	const provider = remoteProvider(providerId);
	if (!provider) throw new CutoutError('invalid_option', `Unknown provider "${providerId}"`);
	if (!options.apiKey) throw new CutoutError('invalid_option', `The ${provider.displayName} API key is empty`);
	const baseUrl = options.baseUrl || provider.defaultBaseUrl;
	checkProviderUrls(provider, [baseUrl, options.syncBaseUrl]);
	const scheme = provider.auth.scheme ? `${provider.auth.scheme} ` : '';
	const requestsPerMinute = options.requestsPerMinute ?? provider.defaultRequestsPerMinute;
	return providerEngine(provider, {
		context: {
			transport: createFetchTransport({ headers: { [provider.auth.header]: `${scheme}${options.apiKey}` } }),
			baseUrl,
			syncBaseUrl: options.syncBaseUrl,
			retry: { attempts: options.attempts, timeoutMs: options.timeoutSeconds === undefined ? undefined : options.timeoutSeconds * 1000 },
			throttle: requestsPerMinute ? sharedRateLimiter(provider.id, credentialId(options.apiKey, baseUrl), requestsPerMinute) : undefined,
			signal: options.signal,
			log: options.log,
		},
		fitToLimits: options.fitToLimits,
		providerOptions: options.providerOptions,
	});
}

/** Base URLs from a credential or a front end's settings: http(s) only, so a typo fails before any upload. */
export function checkProviderUrls(provider: RemoteProvider, urls: ReadonlyArray<string | undefined>): void {
	for (const url of urls) {
		if (url && !/^https?:\/\/[^/]/i.test(url)) {
			throw new CutoutError('invalid_option', `The ${provider.displayName} URL "${url}" is not an http(s) URL`);
		}
	}
}
