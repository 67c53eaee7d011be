import { CutoutError } from '../../lib/errors';
import { PixelBudget } from '../../lib/pixelBudget';

/** Items that start when the budget lets them and finish when the test says so. */
function items(budget: PixelBudget) {
	const started: string[] = [];
	const finish: Record<string, () => void> = {};
	const done: Record<string, Promise<void>> = {};
	const item = (name: string, pixels: number) => {
		done[name] = budget.use(pixels, () => new Promise<void>((resolve) => {
			started.push(name);
			finish[name] = resolve;
		}));
	};
	return { started, finish, done, item };
}

/** Lets every promise that can settle do so. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('PixelBudget', () => {
	it('runs items side by side while their pixels fit, and the next one when room is given back', async () => {
		const { started, finish, item } = items(new PixelBudget(24e6));
		item('a', 12e6);
		item('b', 12e6);
		item('c', 12e6);
		await settle();
		expect(started).toEqual(['a', 'b']);
		finish.b();
		await settle();
		expect(started).toEqual(['a', 'b', 'c']);
	});

	it('serves in order: a large item waiting for room is not overtaken by smaller ones behind it', async () => {
		const { started, finish, item } = items(new PixelBudget(24e6));
		item('small', 8e6);
		item('large', 20e6);
		item('tiny', 1e6); // would fit beside 'small', but 'large' came first
		await settle();
		expect(started).toEqual(['small']);
		finish.small();
		await settle();
		expect(started).toEqual(['small', 'large', 'tiny']);
	});

	it('runs an item larger than the whole budget once nothing else runs, and nothing beside it', async () => {
		const { started, finish, item } = items(new PixelBudget(24e6));
		item('a', 2e6);
		item('huge', 64e6);
		item('b', 2e6);
		await settle();
		expect(started).toEqual(['a']);
		finish.a();
		await settle();
		expect(started).toEqual(['a', 'huge']);
		finish.huge();
		await settle();
		expect(started).toEqual(['a', 'huge', 'b']);
	});

	it('gives the pixels back when the work fails, and only once however often release is called', async () => {
		const budget = new PixelBudget(10);
		await expect(budget.use(10, () => Promise.reject(new Error('decode failed')))).rejects.toThrow('decode failed');
		const release = await budget.acquire(6);
		release();
		release();
		// A double release would leave room for 6 + 6 + 6; only 6 + 4 fit.
		const { started, item } = items(budget);
		item('a', 6);
		item('b', 4);
		item('c', 6);
		await settle();
		expect(started).toEqual(['a', 'b']);
	});

	it('refuses a budget or a pixel count that is not a whole number, naming it', async () => {
		expect(() => new PixelBudget(0)).toThrow(new CutoutError('invalid_option', 'A pixel budget must be a positive integer, got 0'));
		await expect(new PixelBudget(10).acquire(1.5)).rejects.toThrow("An item's pixel count must be a non-negative integer, got 1.5");
		await expect(new PixelBudget(10).acquire(-1)).rejects.toBeInstanceOf(CutoutError);
	});
});
