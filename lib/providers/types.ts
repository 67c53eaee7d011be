import type { ImageFormat } from '../image/format';
import type { Box } from '../matte/stats';
import type { Clock } from './http/clock';
import type { StatusMeanings } from './http/errors';
import type { ProviderSession } from './http/session';
import type { RateLimiter } from './http/rateLimit';
import type { RetryPolicy } from './http/retry';
import type { HttpTransport } from './http/transport';

/** What an endpoint accepts; checked before anything is uploaded. */
export interface ProviderLimits {
	maxBytes: number;
	maxSide?: number;
	maxPixels?: number;
	/** Input formats the endpoint takes; others are re-encoded. */
	formats?: readonly ImageFormat[];
	/** The provider infers at this long side anyway, so "Fit to Provider Limits" uploads no larger. */
	workingSide?: number;
}

/** An image as it will be uploaded. */
export interface UploadFile {
	data: Buffer;
	mimeType: string;
	fileName: string;
	width: number;
	height: number;
}

export type ProviderOptionValue = string | number | boolean;
export type ProviderOptions = Record<string, ProviderOptionValue | undefined>;

export interface MatteRequest {
	image: UploadFile;
	options: ProviderOptions;
	/**
	 * The node's own settings, which a provider maps to its parameters instead of showing a twin of them:
	 * whether to estimate foreground colours at soft edges, and whether a separate mask is wanted.
	 */
	refineForeground: boolean;
	includeMask: boolean;
}

export interface InpaintRequest {
	image: UploadFile;
	/** Binary PNG at the upload's size, 255 = fill. */
	mask?: UploadFile;
	/** In upload pixels. */
	box?: Box;
	/** Pixels the server should grow the region by; set only for endpoints that dilate. */
	dilation?: number;
	options: ProviderOptions;
}

/** What came back: a cutout (RGBA) and/or a greyscale mask, or the inpainted image, plus bookkeeping. */
export interface ProviderResult {
	image?: Buffer;
	mask?: Buffer;
	requestId?: string;
	/** Credits, latency, model and similar response headers, by name. */
	meta: Record<string, string | number>;
}

/**
 * A provider-specific setting, described without n8n so the nodes can build their parameters from the
 * registry. `name` is the key in ProviderOptions.
 */
export type ProviderParameter = {
	name: string;
	displayName: string;
	description?: string;
} & (
	| { type: 'options'; values: ReadonlyArray<{ name: string; value: string; description?: string }>; default: string }
	| { type: 'boolean'; default: boolean }
	| { type: 'number'; default: number; min: number; max: number }
);

export interface ProviderOperation<Request> {
	/** Overrides of the provider's limits for this endpoint. */
	limits?: Partial<ProviderLimits>;
	parameters?: readonly ProviderParameter[];
	run(request: Request, session: ProviderSession): Promise<ProviderResult>;
}

/** Every inpaint endpoint takes a mask (white = fill). */
export interface InpaintOperation extends ProviderOperation<InpaintRequest> {
	/** Whether the endpoint takes a box itself; otherwise a box is drawn into the mask. */
	takesBox: boolean;
	/** Whether, given neither a mask nor a box, the endpoint finds the subject to erase itself. */
	findsSubject: boolean;
	/** Whether the endpoint grows the region itself (a `dilation` setting); otherwise the mask is grown here. */
	dilates: boolean;
}

export interface ProviderOperations {
	removeBackground?: ProviderOperation<MatteRequest>;
	/** Without it, Alpha Matte uses removeBackground and keeps the cutout's alpha. */
	alphaMatte?: ProviderOperation<MatteRequest>;
	inpaint?: InpaintOperation;
}

export type OperationName = keyof ProviderOperations;

/**
 * What the account reports (remaining credits, their expiry, the price per call), read at most once per
 * execution and credential; numbers stay numbers. Keys: credits, creditsExpire, freeCalls, unitPrice, priceUnit, currency.
 */
export type AccountReport = Record<string, string | number>;

export interface RemoteProvider {
	/** Stable id, used as the Engine option value. */
	id: string;
	displayName: string;
	/** Name of the n8n credential type (credentials/<Name>.credentials.ts). */
	credentialType: string;
	/** How the API key travels: in this header, after the scheme word when there is one ("Key <key>"). */
	auth: { header: string; scheme?: string };
	defaultBaseUrl: string;
	limits: ProviderLimits;
	/** Statuses whose meaning differs from the usual 401 key / 402 credits / 403 key. */
	statusMeanings?: StatusMeanings;
	/** A documented rate limit to stay under by default; unset means no throttle. */
	defaultRequestsPerMinute?: number;
	/** Whether "Fit to Provider Limits" starts on (it costs nothing where the provider downscales anyway). */
	fitToLimitsByDefault?: boolean;
	/** Reads the account's credits (or the operation's price) without running a model or spending credits. */
	readAccount?(session: ProviderSession, operation: OperationName): Promise<AccountReport>;
	operations: ProviderOperations;
}

/** How to reach a provider for one call: the transport, its base URL(s) and the retry/throttle settings. */
export interface ProviderContext {
	transport: HttpTransport;
	baseUrl: string;
	/** fal only: the host for synchronous calls (fal.run), next to the queue host in baseUrl. */
	syncBaseUrl?: string;
	retry?: Partial<RetryPolicy>;
	/** Shared by every call made with the same credential (see sharedRateLimiter). */
	throttle?: RateLimiter;
	signal?: AbortSignal;
	clock?: Clock;
	random?: () => number;
	/** Receives retry and polling notes; never given secrets. */
	log?: (message: string) => void;
	/** Cap on result files fetched from a provider's file host. Default 200 MB. */
	maxDownloadBytes?: number;
}
