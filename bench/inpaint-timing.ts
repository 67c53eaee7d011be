/**
 * Inpaint timings on a generated 12 MP JPEG (4243×2828) with a 5 % hole (an ellipse over the object and
 * its surroundings, mask mode, default dilation), per engine: decode / mask / fill / encode, median of
 * the repetitions after a warm-up; and CPU time, since wall time depends on what else the machine runs.
 * Run: npx ts-node --transpile-only bench/inpaint-timing.ts [engine ...] [--repetitions=N]
 * (engines: patch, smooth, and catalog models whose weights are in the models folder: migan-pipeline-v2, lama)
 */
import sharp from 'sharp';

import { type InpaintEngine, loadInpaintEngine } from '../lib/inpaint/engines';
import { localEngine } from '../lib/engines/local';
import { inpaint, type InpaintTimings } from '../lib/pipeline';
import { makeScene, sceneAsJpeg } from '../test/helpers/scene';
import { median } from './stats';

const WIDTH = 4243;
const HEIGHT = 2828;
const HOLE_FRACTION = 0.05;

async function ellipseMask(): Promise<Buffer> {
	// An ellipse with a 3:2 aspect whose area is 5 % of the image, centred on the drawn object.
	const area = HOLE_FRACTION * WIDTH * HEIGHT;
	const ry = Math.sqrt(area / (Math.PI * 1.5));
	const rx = 1.5 * ry;
	const plane = Buffer.alloc(WIDTH * HEIGHT);
	for (let y = 0; y < HEIGHT; y++) {
		for (let x = 0; x < WIDTH; x++) if (((x - WIDTH / 2) / rx) ** 2 + ((y - HEIGHT * 0.55) / ry) ** 2 <= 1) plane[y * WIDTH + x] = 255;
	}
	return sharp(plane, { raw: { width: WIDTH, height: HEIGHT, channels: 1 } }).toColourspace('b-w').png().toBuffer();
}

export type InpaintRun = InpaintTimings & { totalMs: number; cpuMs: number; holeFraction: number };

/** Median timings of one engine over `repetitions` runs after a warm-up, on the 12 MP scene and its 5 % hole. */
export async function measureInpaint(engine: InpaintEngine, repetitions: number): Promise<InpaintRun> {
	const jpeg = await sceneAsJpeg(makeScene(WIDTH, HEIGHT));
	const mask = await ellipseMask();
	const limits = { maxPixels: 64_000_000, maxInputBytes: 200 * 1024 * 1024 };
	const run = () => inpaint(jpeg, localEngine({ inpaintModel: engine }), { mask, limits });
	const warm = await run();
	const runs: Array<InpaintTimings & { totalMs: number; cpuMs: number }> = [];
	for (let i = 0; i < repetitions; i++) {
		const started = performance.now();
		const cpu = process.cpuUsage();
		const { timings } = (await run()).fields;
		const used = process.cpuUsage(cpu);
		runs.push({ ...timings, totalMs: Math.round(performance.now() - started), cpuMs: Math.round((used.user + used.system) / 1000) });
	}
	const keys = ['decodeMs', 'maskMs', 'fillMs', 'encodeMs', 'totalMs', 'cpuMs'] as const;
	const split = Object.fromEntries(keys.map((key) => [key, median(runs.map((r) => r[key]))])) as Record<(typeof keys)[number], number>;
	return { ...split, holeFraction: warm.fields.holeFraction };
}

async function main(): Promise<void> {
	const args = process.argv.slice(2);
	const repetitions = Number(args.find((arg) => arg.startsWith('--repetitions='))?.split('=')[1] ?? 3);
	const engines = args.filter((arg) => !arg.startsWith('--'));
	for (const id of engines.length ? engines : ['patch', 'smooth']) {
		const { holeFraction, ...split } = await measureInpaint(await loadInpaintEngine(id), repetitions);
		console.log(`${id}: 12 MP, hole ${(holeFraction * 100).toFixed(1)} % after dilation: ${JSON.stringify(split)}`);
	}
}

if (require.main === module) {
	main().catch((error) => {
		console.error(error);
		process.exit(1);
	});
}
