/**
 * Every failure the core reports on purpose carries a stable `code`, so front ends (the n8n nodes, tests,
 * a future Node-RED node) can branch on it and users can search for it. Messages name the bad value.
 */
export type CutoutErrorCode =
	| 'empty_input'
	| 'unsupported_format'
	| 'corrupt_image'
	| 'too_many_pixels'
	| 'too_many_bytes'
	| 'invalid_option'
	| 'model_unknown'
	| 'model_not_pinned'
	| 'model_unavailable'
	| 'model_integrity'
	| 'model_download_failed'
	| 'custom_model_refused'
	| 'inference_failed'
	/** Inpaint: the mask's aspect ratio differs from the image's by more than 1 %. */
	| 'mask_size_mismatch'
	/** Inpaint: the bounding box is not whole pixels inside the image. */
	| 'invalid_bbox'
	/** Inpaint: dilation is not a whole number of pixels from 0 to 32. */
	| 'invalid_dilation'
	/** Inpaint: the mask marks no pixel to fill. */
	| 'empty_mask'
	/** Inpaint in auto-subject mode: the segmentation model found no subject to erase. */
	| 'no_subject_detected'
	/** The caller cancelled (AbortSignal), e.g. the n8n execution was stopped; not a failure to report. */
	| 'aborted';

export class CutoutError extends Error {
	readonly code: CutoutErrorCode;
	/** Extra guidance for the user (what to change), shown as the error description in n8n. */
	readonly hint?: string;

	constructor(code: CutoutErrorCode, message: string, hint?: string) {
		super(message);
		this.name = 'CutoutError';
		this.code = code;
		this.hint = hint;
	}
}

export function isCutoutError(error: unknown): error is CutoutError {
	return error instanceof CutoutError;
}
