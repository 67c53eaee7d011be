/**
 * Per-stage timings of Remove Background on generated 2 MP and 12 MP JPEGs with the embedded model:
 * decode / infer / refine / encode, medians over repetitions after a warm-up.
 * Run: npx ts-node --transpile-only bench/timing-split.ts [repetitions]
 */
import { loadSegmentationModel } from '../lib/models/segmentationModels';
import { removeBackground, type Timings } from '../lib/pipeline/removeBackground';
import { makeScene, sceneAsJpeg } from '../test/helpers/scene';
import { median } from './stats';

const repetitions = Number(process.argv[2] ?? 3);
const sizes = [
	{ label: '2 MP', width: 1732, height: 1155 },
	{ label: '12 MP', width: 4243, height: 2828 },
];

async function main(): Promise<void> {
	const model = await loadSegmentationModel({ id: process.env.CUTOUT_BENCH_MODEL ?? 'isnet-general-fp16' });
	const limits = { maxPixels: 64_000_000, maxInputBytes: 200 * 1024 * 1024 };
	for (const size of sizes) {
		const jpeg = await sceneAsJpeg(makeScene(size.width, size.height));
		await removeBackground(jpeg, model, { limits });
		const runs: Timings[] = [];
		for (let i = 0; i < repetitions; i++) runs.push((await removeBackground(jpeg, model, { limits })).timings);
		const split = Object.fromEntries(
			(['decodeMs', 'inferMs', 'refineMs', 'encodeMs'] as const).map((key) => [key, median(runs.map((run) => run[key]))]),
		);
		const total = Object.values(split).reduce((a, b) => a + b, 0);
		console.log(`${size.label} (${size.width}×${size.height}, ${(jpeg.length / 1e6).toFixed(1)} MB JPEG): ${JSON.stringify(split)} total ${total} ms`);
	}
}

main().catch((error) => {
	console.error(error);
	process.exit(1);
});
