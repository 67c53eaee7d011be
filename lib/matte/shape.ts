import { CutoutError } from '../errors';
import { feather, growOrShrink, threshold } from './morphology';

const MAX_FEATHER = 500;

export interface MatteShape {
	/** A binary mask instead of the soft matte: 255 where alpha ≥ threshold. */
	binary?: boolean;
	/** 0–1 (default 0.5), for binary output. */
	threshold?: number;
	/** Pixels to grow (positive) or shrink (negative) the subject. */
	grow?: number;
	/** Soften the edge over about this many pixels. */
	feather?: number;
}

/** Threshold (when binary), then grow or shrink, then feather. */
export async function shapeMatte(matte: Buffer, size: { width: number; height: number }, options: MatteShape): Promise<Buffer> {
	let shaped = options.binary ? threshold(matte, options.threshold ?? 0.5) : matte;
	if (options.grow) shaped = growOrShrink(shaped, size, options.grow);
	if (options.feather) shaped = await feather(shaped, size, options.feather);
	return shaped;
}

/** Refuses shaping settings out of range, before any work (or upload) happens. */
export function checkShapeOptions(options: MatteShape): void {
	const { threshold: level = 0.5, grow = 0, feather: softness = 0 } = options;
	if (!(level >= 0 && level <= 1)) throw new CutoutError('invalid_option', `Threshold must be from 0 to 1, got ${level}`);
	if (!Number.isInteger(grow)) throw new CutoutError('invalid_option', `Grow/shrink must be a whole number of pixels, got ${grow}`);
	if (!(softness >= 0 && softness <= MAX_FEATHER)) {
		throw new CutoutError('invalid_option', `Feather must be from 0 to ${MAX_FEATHER} pixels, got ${softness}`);
	}
}
