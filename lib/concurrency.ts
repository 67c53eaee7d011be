import { CutoutError } from './errors';

/**
 * Runs `work` on every item with at most `limit` in flight and returns the results in input order. After a
 * failure no further items start; once the running ones have settled, the error of the earliest failed
 * item (by index, not by time) is thrown, so the report does not depend on which item finished first.
 */
export async function mapWithLimit<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
	if (!Number.isInteger(limit) || limit < 1) {
		throw new CutoutError('invalid_option', `Items in flight must be a positive integer, got ${limit}`);
	}
	const results = new Array<R>(items.length);
	let next = 0;
	let failedAt = Infinity;
	let failure: unknown;
	const lane = async () => {
		while (failedAt === Infinity && next < items.length) {
			const index = next++;
			try {
				results[index] = await work(items[index], index);
			} catch (error) {
				if (index < failedAt) {
					failedAt = index;
					failure = error;
				}
			}
		}
	};
	await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
	if (failedAt !== Infinity) throw failure;
	return results;
}
