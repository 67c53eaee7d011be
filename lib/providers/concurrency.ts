import { CutoutError } from '../errors';

/**
 * Runs `work` on every item with at most `limit` in flight and returns the results in input order. After a
 * failure no further items start; the first error is thrown once the running ones have settled.
 */
export async function mapWithLimit<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
	if (!Number.isInteger(limit) || limit < 1) {
		throw new CutoutError('invalid_option', `Items in flight must be a positive integer, got ${limit}`);
	}
	const results = new Array<R>(items.length);
	let next = 0;
	let failure: { error: unknown } | undefined;
	const lane = async () => {
		while (!failure && next < items.length) {
			const index = next++;
			try {
				results[index] = await work(items[index], index);
			} catch (error) {
				failure ??= { error };
			}
		}
	};
	await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
	if (failure) throw failure.error;
	return results;
}
