import type { DecodeLimits } from '../image/decode';
import type { InpaintMode } from '../inpaint/mask';
import type { Box } from '../matte/stats';
import type { AccountReport } from '../providers/types';

/**
 * What the three operations need from whoever computes pixels: the local ONNX models or a hosted provider.
 * An engine returns planes at the input's full resolution; the operations (lib/pipeline) shape and encode
 * them the same way whichever engine ran, so outputs, json fields and timings do not depend on the engine.
 */
export interface Engine {
	/** 'local', or the hosted provider's id. */
	readonly id: string;
	/** The subject's matte at the input's size. */
	matte(input: Buffer, job: MatteJob): Promise<EngineMatte>;
	/** The subject's matte and colours at the input's size. */
	cutout(input: Buffer, job: CutoutJob): Promise<EngineCutout>;
	/** The input with a region erased and filled with background. */
	fill(input: Buffer, job: FillJob): Promise<EngineFill>;
}

export interface Size {
	width: number;
	height: number;
}

export interface MatteJob {
	limits: DecodeLimits;
	/** Bring a low-resolution matte to full size with a guided filter on the image rather than linearly. */
	guidedUpsampling: boolean;
}

export interface CutoutJob {
	limits: DecodeLimits;
	/** Foreground colours at soft edges without the old background's tint (blur fusion, or the provider's own). */
	refineForeground: boolean;
	/** Whether a separate mask output is wanted (a provider may return one: fal's output_mask). */
	includeMask: boolean;
}

export interface MatteTimings {
	/** Reading the input (and, hosted, preparing the upload). */
	decodeMs: number;
	/** The model, or the provider's round trip. */
	inferMs: number;
	/** Upsampling and foreground colours. */
	refineMs: number;
}

export interface EngineMatte extends Size {
	/** 8-bit, one byte per pixel; the input's own transparency already applied. */
	alpha: Buffer;
	report: EngineReport;
	timings: MatteTimings;
}

export interface EngineCutout extends EngineMatte {
	/** RGB, interleaved: the subject's colours. */
	foreground: Buffer;
}

export interface FillJob {
	limits: DecodeLimits;
	/** An encoded mask image at the input's size (white = fill); wins over `box`. */
	mask?: Buffer;
	/** In input pixels; wins over the subject. */
	box?: Box;
	/** Pixels (0–32) the region grows before filling. */
	dilation: number;
	/**
	 * Called by an engine that knows the region before it fills it (the local one), with the decoded input
	 * and the region (255 = fill): the caller can start encoding what the fill will not change.
	 */
	onRegion?: (region: { rgb: Buffer; holes: Buffer } & Size) => void;
}

export interface FillTimings {
	decodeMs: number;
	/** Reading the mask or box, or finding the subject, and dilating. */
	maskMs: number;
	/** The fill itself, or the provider's round trip. */
	fillMs: number;
}

export interface EngineFill extends Size {
	/** RGB, interleaved; equal to the decoded input outside `holes`. */
	rgb: Buffer;
	/** The region filled, after dilation: 255 = filled. */
	holes: Buffer;
	mode: InpaintMode;
	/** What found the subject, in 'subject' mode. */
	subjectModel: string | null;
	report: EngineReport;
	timings: FillTimings;
}

/** Who computed the result, in the same fields for every engine (null or empty where an engine has nothing to say). */
export interface EngineReport {
	engine: string;
	/** The local model's id; hosted, the model the provider names in its response, if any. */
	model: string | null;
	/** The hosted provider's name. */
	provider: string | null;
	providerRequestId: string | null;
	/** Credits, latency and similar response headers, by name. */
	providerMeta: Record<string, string | number>;
	/** What was sent to a provider: smaller than the input when it was fitted to the provider's limits. */
	upload: { width: number; height: number; bytes: number; scaled: boolean } | null;
	/** What the account reported, when it was asked for. */
	providerAccount?: AccountReport;
}

/** The report of work done on this machine. */
export function localReport(model: string): EngineReport {
	return { engine: 'local', model, provider: null, providerRequestId: null, providerMeta: {}, upload: null };
}
