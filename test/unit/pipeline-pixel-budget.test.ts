import sharp from 'sharp';

import type { Engine, EngineCutout } from '../../lib/engines/engine';
import { localReport } from '../../lib/engines/engine';
import { sessionOptions } from '../../lib/inference/sessions';
import { pixelBudgetFromEnv } from '../../lib/pipeline/pixelBudget';

/** An engine that records how many cutouts run at once; its planes are flat, its work a short wait. */
function countingEngine(): Engine & { peak: number } {
	let running = 0;
	const engine = {
		id: 'counting',
		peak: 0,
		async cutout(input: Buffer): Promise<EngineCutout> {
			running++;
			engine.peak = Math.max(engine.peak, running);
			const { width = 0, height = 0 } = await sharp(input).metadata();
			await new Promise((resolve) => setTimeout(resolve, 30));
			running--;
			const pixels = width * height;
			return {
				width,
				height,
				alpha: Buffer.alloc(pixels, 255),
				foreground: Buffer.alloc(pixels * 3, 128),
				report: localReport('counting'),
				timings: { decodeMs: 0, inferMs: 0, refineMs: 0 },
			};
		},
		matte: () => Promise.reject(new Error('not used')),
		fill: () => Promise.reject(new Error('not used')),
	};
	return engine;
}

const jpeg = (width: number, height: number) => sharp({ create: { width, height, channels: 3, background: '#808080' } }).jpeg().toBuffer();

describe('operations share one pixel budget (CUTOUT_PIXEL_BUDGET_MP)', () => {
	const saved = process.env.CUTOUT_PIXEL_BUDGET_MP;
	afterEach(() => {
		if (saved === undefined) delete process.env.CUTOUT_PIXEL_BUDGET_MP;
		else process.env.CUTOUT_PIXEL_BUDGET_MP = saved;
	});

	async function peakInFlight(budgetMegapixels: string, inputs: Buffer[]): Promise<number> {
		process.env.CUTOUT_PIXEL_BUDGET_MP = budgetMegapixels;
		let peak = 0;
		await jest.isolateModulesAsync(async () => {
			const { removeBackground } = await import('../../lib/pipeline');
			const engine = countingEngine();
			await Promise.all(inputs.map((input) => removeBackground(input, engine, { includeMask: false })));
			peak = engine.peak;
		});
		return peak;
	}

	it('runs inputs side by side while their pixels fit, one at a time when they do not', async () => {
		const images = await Promise.all([jpeg(400, 300), jpeg(400, 300), jpeg(400, 300)]);
		expect(await peakInFlight('1', images)).toBe(3); // 3 × 0.12 MP fit in 1 MP
		expect(await peakInFlight('0.2', images)).toBe(1); // one 0.12 MP input at a time
	});

	it('refuses a budget that is not a positive number, naming it', () => {
		expect(() => pixelBudgetFromEnv({ CUTOUT_PIXEL_BUDGET_MP: 'lots' })).toThrow('CUTOUT_PIXEL_BUDGET_MP must be a positive number of megapixels, got "lots"');
		expect(pixelBudgetFromEnv({}).capacity).toBe(32_000_000);
	});
});

describe('ONNX Runtime memory options', () => {
	it('run without the memory pattern always, and without the arena only when CUTOUT_LOW_MEMORY is 1', () => {
		expect(sessionOptions({ CUTOUT_LOW_MEMORY: '1' })).toMatchObject({ enableCpuMemArena: false, enableMemPattern: false });
		expect(sessionOptions({})).toMatchObject({ enableMemPattern: false });
		expect(sessionOptions({})).not.toHaveProperty('enableCpuMemArena');
	});
});
