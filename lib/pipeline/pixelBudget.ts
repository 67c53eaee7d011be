import { CutoutError } from '../errors';
import { headerPixelCount } from '../image/decode';
import { PixelBudget } from '../pixelBudget';

/**
 * One budget for every operation in this process: two 12 MP phone photos may be worked on at once, a 24 MP
 * one and a small one too, two 24 MP ones not (each holds about 11 bytes a pixel at full resolution).
 */
const DEFAULT_MEGAPIXELS = 32;

let shared: PixelBudget | undefined;

/** CUTOUT_PIXEL_BUDGET_MP: megapixels of input worked on at once across all items and executions. */
export function pixelBudgetFromEnv(env: NodeJS.ProcessEnv = process.env): PixelBudget {
	const text = env.CUTOUT_PIXEL_BUDGET_MP;
	const megapixels = text === undefined || text === '' ? DEFAULT_MEGAPIXELS : Number(text);
	if (!(megapixels > 0) || !Number.isFinite(megapixels)) {
		throw new CutoutError('invalid_option', `CUTOUT_PIXEL_BUDGET_MP must be a positive number of megapixels, got "${text}"`);
	}
	return new PixelBudget(Math.round(megapixels * 1_000_000));
}

/**
 * Runs an operation once its input's pixels (read from the header, before decoding) fit the process's
 * budget. An input whose header cannot be read counts as 0 and fails in decoding with the usual error.
 */
export async function withinPixelBudget<T>(input: Buffer, work: () => Promise<T>): Promise<T> {
	shared ??= pixelBudgetFromEnv();
	return shared.use(await headerPixelCount(input), work);
}
