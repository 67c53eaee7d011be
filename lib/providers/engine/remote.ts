import { CutoutError } from '../../errors';
import { DEFAULT_DECODE_LIMITS, decodeImage, type DecodedImage, type DecodeLimits } from '../../image/decode';
import { checkDilation, dilateHoles, holeFraction, type InpaintMode, maskFromBox, maskFromImage, maskFromSubject } from '../../inpaint/mask';
import type { Box } from '../../matte/stats';
import { isProviderError, ProviderError } from '../http/errors';
import {
	changedRegion,
	foregroundAtSourceSize,
	inpaintAtSourceSize,
	matteAtSourceSize,
	maskFile,
	prepareImageUpload,
	type PreparedUpload,
	readReturnedMatte,
	regionAtUploadSize,
	type ReturnedMatte,
	scaleBox,
} from './fitToLimits';
import { ProviderSession } from '../http/session';
import { stopwatch } from '../../stopwatch';
import type {
	InpaintOperation,
	InpaintRequest,
	MatteRequest,
	OperationName,
	ProviderContext,
	ProviderLimits,
	ProviderOperation,
	ProviderOptions,
	ProviderResult,
	RemoteProvider,
} from '../types';

/**
 * The three operations on a hosted provider, with the same shape of result as the local engine: pixels at
 * the input's full resolution, plus what the provider reported (request id, credits, latency).
 */

export interface RemoteRunOptions {
	/** Upload a smaller copy when the input breaks the provider's limits. Default: the provider's own default. */
	fitToLimits?: boolean;
	providerOptions?: ProviderOptions;
	/**
	 * Foreground colours at soft edges: the provider's own estimate where it has one (fal's
	 * refine_foreground), blur fusion here when the cutout came back smaller than the input. Default true.
	 */
	refineForeground?: boolean;
	/** Remove Background: whether a separate mask output is wanted (fal's output_mask). Default false. */
	includeMask?: boolean;
	/** Checked while decoding the input, before anything is uploaded. Default 64 MP and 100 MB. */
	decodeLimits?: DecodeLimits;
}

export interface RemoteOutcome {
	provider: string;
	timings: RemoteTimings;
	requestId?: string;
	meta: Record<string, string | number>;
	/** What was sent: smaller than the input when it was fitted to the provider's limits. */
	upload: { width: number; height: number; bytes: number; scaled: boolean };
	width: number;
	height: number;
}

/** Reading and preparing the input, the provider's round trip (upload, queue, result download), laying the result onto the input. */
export interface RemoteTimings {
	decodeMs: number;
	providerMs: number;
	refineMs: number;
}

export interface RemoteCutout extends RemoteOutcome {
	/** RGB, interleaved. */
	foreground: Buffer;
	alpha: Buffer;
}

export interface RemoteMatte extends RemoteOutcome {
	alpha: Buffer;
}

export interface RemoteInpaint extends RemoteOutcome {
	/** RGB, interleaved. */
	rgb: Buffer;
	/** The input's own transparency, when it had some. */
	alpha?: Buffer;
	mode: InpaintMode;
	/** The region taken from the provider's result (255), grown by the dilation; the rest is the input's. */
	holes: Buffer;
}

export interface InpaintTarget {
	/** An encoded mask image at the image's size (or its shape within 1 %); white = fill. Wins over `box`. */
	mask?: Buffer;
	/** In input pixels. */
	box?: Box;
	/** Pixels (0–32) the region grows before filling, as the local engine's `dilation`. */
	dilation: number;
}

export async function removeBackgroundRemotely(
	provider: RemoteProvider,
	input: Buffer,
	context: ProviderContext,
	options: RemoteRunOptions = {},
): Promise<RemoteCutout> {
	const refineForeground = options.refineForeground !== false;
	const wanted = { refineForeground, includeMask: options.includeMask === true };
	const lap = stopwatch();
	const { source, matte, remote } = await runMatteOperation(provider, 'removeBackground', input, context, options, wanted);
	lap();
	const foreground = await foregroundAtSourceSize(matte, source, remote.alpha, refineForeground);
	return { ...remote, foreground, timings: { ...remote.timings, refineMs: remote.timings.refineMs + lap() } };
}

/** Uses the provider's matte endpoint, or its cutout's alpha where it has none. */
export async function alphaMatteRemotely(
	provider: RemoteProvider,
	input: Buffer,
	context: ProviderContext,
	options: RemoteRunOptions = {},
): Promise<RemoteMatte> {
	return (await runMatteOperation(provider, 'alphaMatte', input, context, options, { refineForeground: false, includeMask: true })).remote;
}

export async function inpaintRemotely(
	provider: RemoteProvider,
	input: Buffer,
	target: InpaintTarget,
	context: ProviderContext,
	options: RemoteRunOptions = {},
): Promise<RemoteInpaint> {
	const lap = stopwatch();
	const operation = requireOperation(provider, 'inpaint');
	const dilation = checkDilation(target.dilation);
	const decodeLimits = options.decodeLimits ?? DEFAULT_DECODE_LIMITS;
	const source = await decodeImage(input, decodeLimits);
	// The region at the input's size, checked there so errors speak in input pixels.
	const region = target.mask ? await maskFromImage(target.mask, source, decodeLimits) : target.box ? maskFromBox(target.box, source) : undefined;
	if (region) holeFraction(region);
	else if (!operation.findsSubject) throw new CutoutError('invalid_option', `${provider.displayName} needs a mask or a box to know what to inpaint`);
	const givenHoles = region && dilateHoles(region, source, dilation);

	const prepared = await prepareImageUpload(input, source, limitsFor(provider, operation), fitting(provider, options), provider.displayName);
	const { image } = prepared;
	const request: InpaintRequest = { image, options: options.providerOptions ?? {}, dilation: operation.dilates ? dilation : undefined };
	if (target.box && !target.mask && operation.takesBox) request.box = scaleBox(target.box, source, image);
	else if (region && givenHoles) request.mask = await maskFile(await regionAtUploadSize(operation.dilates ? region : givenHoles, source, image), image);

	const decodeMs = lap();
	const session = new ProviderSession(provider, context);
	const result = await operation.run(request, session);
	if (!result.image) throw new ProviderError({ provider: provider.displayName, code: 'bad_response', providerMessage: 'returned no image' });
	const holes = givenHoles ?? (await subjectHoles(provider, prepared, source, dilation, session, result.image));
	const providerMs = lap();
	const rgb = await inpaintAtSourceSize(result.image, source, holes, provider.displayName);
	const mode: InpaintMode = target.mask ? 'mask' : target.box ? 'bbox' : 'subject';
	const timings = { decodeMs, providerMs, refineMs: lap() };
	return { ...outcome(provider, source, prepared, result, timings), rgb, alpha: source.alpha ?? undefined, mode, holes };
}

/**
 * Where a provider that found the subject itself filled: the provider's own matte of the same upload (its
 * Alpha Matte endpoint, one more request), cut at 50 % and grown by the dilation, as the local engine's
 * auto-subject region is. A server without that endpoint (or whose matte call fails for a reason other than
 * the key or credits) leaves the documented rule: the pixels its result changed beyond re-encoding noise.
 * Either way its result is kept only there, so the rest of the image stays the input's.
 */
async function subjectHoles(
	provider: RemoteProvider,
	prepared: PreparedUpload,
	source: DecodedImage,
	dilation: number,
	session: ProviderSession,
	result: Buffer,
): Promise<Buffer> {
	const operation = providerOperation(provider, 'alphaMatte');
	if (operation) {
		try {
			const returned = await operation.run({ image: prepared.image, options: {}, refineForeground: false, includeMask: true }, session);
			const matte = await matteAtSourceSize(await readReturnedMatte(returned, provider.displayName), source, provider.displayName);
			return dilateHoles(maskFromSubject(matte), source, dilation);
		} catch (error) {
			if (!isProviderError(error) || ['invalid_key', 'out_of_credits', 'credits_expired'].includes(error.code)) throw error;
			session.log(`no matte to bound the fill (${error.message}); keeping the pixels the result changed`);
		}
	}
	return changedRegion(result, source, provider.displayName);
}

/** Upload, call, and the returned matte at the input's size. */
async function runMatteOperation(
	provider: RemoteProvider,
	name: 'removeBackground' | 'alphaMatte',
	input: Buffer,
	context: ProviderContext,
	options: RemoteRunOptions,
	wanted: Pick<MatteRequest, 'refineForeground' | 'includeMask'>,
): Promise<{ source: DecodedImage; matte: ReturnedMatte; remote: RemoteMatte }> {
	const lap = stopwatch();
	const operation = requireOperation(provider, name);
	const source = await decodeImage(input, options.decodeLimits ?? DEFAULT_DECODE_LIMITS);
	const prepared = await prepareImageUpload(input, source, limitsFor(provider, operation), fitting(provider, options), provider.displayName);
	const decodeMs = lap();
	const result = await operation.run(
		{ image: prepared.image, options: options.providerOptions ?? {}, ...wanted },
		new ProviderSession(provider, context),
	);
	const providerMs = lap();
	const matte = await readReturnedMatte(result, provider.displayName);
	const alpha = await matteAtSourceSize(matte, source, provider.displayName);
	const timings = { decodeMs, providerMs, refineMs: lap() };
	return { source, matte, remote: { ...outcome(provider, source, prepared, result, timings), alpha } };
}

/** The endpoint a provider uses for an operation; Alpha Matte falls back to the cutout's alpha. */
export function providerOperation(provider: RemoteProvider, name: 'inpaint'): InpaintOperation | undefined;
export function providerOperation(provider: RemoteProvider, name: 'removeBackground' | 'alphaMatte'): ProviderOperation<MatteRequest> | undefined;
export function providerOperation(provider: RemoteProvider, name: OperationName): ProviderOperation<MatteRequest> | InpaintOperation | undefined;
export function providerOperation(provider: RemoteProvider, name: OperationName): ProviderOperation<MatteRequest> | InpaintOperation | undefined {
	const { operations } = provider;
	return name === 'alphaMatte' ? (operations.alphaMatte ?? operations.removeBackground) : operations[name];
}

function requireOperation(provider: RemoteProvider, name: 'inpaint'): InpaintOperation;
function requireOperation(provider: RemoteProvider, name: 'removeBackground' | 'alphaMatte'): ProviderOperation<MatteRequest>;
function requireOperation(provider: RemoteProvider, name: OperationName): ProviderOperation<MatteRequest> | InpaintOperation {
	const operation = providerOperation(provider, name);
	if (!operation) throw new CutoutError('invalid_option', `${provider.displayName} does not offer ${OPERATION_NAMES[name]}`);
	return operation;
}

const OPERATION_NAMES: Record<OperationName, string> = {
	removeBackground: 'Remove Background',
	alphaMatte: 'Alpha Matte',
	inpaint: 'Inpaint',
};

function limitsFor(provider: RemoteProvider, operation: { limits?: Partial<ProviderLimits> }): ProviderLimits {
	return { ...provider.limits, ...operation.limits };
}

function fitting(provider: RemoteProvider, options: RemoteRunOptions): boolean {
	return options.fitToLimits ?? provider.fitToLimitsByDefault ?? false;
}

function outcome(
	provider: RemoteProvider,
	source: DecodedImage,
	prepared: PreparedUpload,
	result: ProviderResult,
	timings: RemoteTimings,
): RemoteOutcome {
	return {
		provider: provider.displayName,
		timings,
		requestId: result.requestId,
		meta: result.meta,
		upload: { width: prepared.image.width, height: prepared.image.height, bytes: prepared.image.data.length, scaled: prepared.scaled },
		width: source.width,
		height: source.height,
	};
}
