/**
 * Measures the activation ranges of the embedded ISNet's float graph on the calibration images and writes
 * them as models/isnet-general-fp16.int8.json, the table Matte Quality "Speed" builds its int8 graph from
 * (lib/models/quantize.ts). The images are the sets used to choose variants (alphamatting_train_lowres,
 * ecssd_subset) and photos, never ecssd_val, which confirms choices. Each image goes in as Standard feeds it
 * (Lanczos-3 resize to 1024², the catalog's normalisation).
 * Run (CPU-heavy, 5–20 s per image on a shared 2-core machine): nice -n 19 npx ts-node --transpile-only scripts/calibrate-int8.ts
 * [--dump <per-image.json>] [--from <per-image.json>] (--from rewrites the table from a dump without measuring)
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';

import { decodeImage } from '../lib/image/decode';
import { toInputTensor } from '../lib/inference/segment';
import { CATALOG_DIR, findModel } from '../lib/models/catalog';
import { resolveModelsDir } from '../lib/models/modelsDir';
import { decodeModel } from '../lib/models/onnxGraph';
import { activationTensors, type CalibrationTable, rangeProbeModel, TAIL_SHARES } from '../lib/models/quantize';
import { floatGraph } from '../lib/models/segmentationModels';
import { locateWeights } from '../lib/models/weights';

const EVAL_DIR = resolve(__dirname, '..', '..', 'shared', 'eval');
const CALIBRATION_SETS = ['alphamatting_train_lowres/images', 'ecssd_subset/images', 'photos'];
const MODEL_ID = 'isnet-general-fp16';

/** Per tensor, each image's [min, max, ...the values at TAIL_SHARES from the top]. */
type PerImage = Record<string, number[][]>;

/** The tail a range is clipped at: the value 0.01 % of a tensor's elements exceed (see TAIL_SHARES). */
const CLIP_SHARE = 1e-4;

/**
 * A tensor's range over all images: the lowest minimum, and the highest of the per-image values at
 * CLIP_SHARE from the top. Chosen on the choosing sets (distance of the int8 matte to the float one, 9
 * images): the maxima themselves (up to 800 where 99.99 % stay under 10) left the bulk a few levels (IoU
 * against float 0.40); tails at 1e-3 and 1e-5 clipped too much or too little (0.94 and 0.92, against 0.976).
 */
function combineRanges(perImage: PerImage): CalibrationTable['ranges'] {
	const significant = (value: number) => Number(value.toPrecision(6));
	const tail = 2 + TAIL_SHARES.indexOf(CLIP_SHARE);
	return Object.fromEntries(
		Object.entries(perImage).map(([tensor, ranges]) => [
			tensor,
			[significant(Math.min(...ranges.map((range) => range[0]))), significant(Math.max(...ranges.map((range) => range[tail])))],
		]),
	);
}

/**
 * Convs the int8 graph leaves float: the first Convs of stages 6 and 5d, the deepest (16² and 32²), read
 * stage 5's and stage 6's outputs, so those outputs and the Convs that end both stages stay float as well;
 * stage 5's first Conv, also named, still runs as QLinearConv (ORT rounds its weights per tensor, its input
 * and output being uint8). Chosen with scripts/int8-sensitivity.ts on 12 choosing images (one block, then one
 * Conv at a time, then pairs and triples float): mean |Δ| of the int8 output to the float one on alphamatting
 * 0.0174 → 0.0102, more than whole float blocks gave, for ≈ 9 GMAC of float work (≈ 12 % more int8 time).
 */
const FLOAT_NODES = ['/stage5/rebnconvin/conv_s1/Conv', '/stage6/rebnconvin/conv_s1/Conv', '/stage5d/rebnconvin/conv_s1/Conv'];

/** Each image's ranges, measured now, or read from an earlier run's --dump (--from <per-image.json>). */
async function measure(): Promise<{ perImage: PerImage; images: string[] }> {
	const images = CALIBRATION_SETS.flatMap((set) =>
		readdirSync(join(EVAL_DIR, set))
			.filter((name) => /\.(png|jpe?g)$/i.test(name))
			.sort()
			.map((name) => join(set, name)),
	);
	const from = argument('--from');
	if (from) return { perImage: JSON.parse(readFileSync(from, 'utf8')) as PerImage, images };
	const model = findModel(MODEL_ID, 'segmentation');
	const graph = await floatGraph(model, await locateWeights(model, { modelsDir: resolveModelsDir() }));
	const outputName = model.output.name!;
	const tensors = activationTensors(decodeModel(graph), outputName);
	const session = await ort.InferenceSession.create(rangeProbeModel(graph, tensors), { graphOptimizationLevel: 'all' });
	const perImage: PerImage = Object.fromEntries(tensors.map((tensor) => [tensor, []]));
	for (const [index, image] of images.entries()) {
		const decoded = await decodeImage(readFileSync(join(EVAL_DIR, image)), { maxPixels: 64e6, maxInputBytes: 1e9 });
		const { size } = model.input;
		const input = await toInputTensor(decoded.rgb, decoded.width, decoded.height, size, model.input);
		const results = await session.run({ [model.input.name!]: new ort.Tensor('float32', input, [1, 3, size, size]) });
		for (const tensor of tensors) {
			perImage[tensor].push(['min', 'max', 'tail'].flatMap((name) => Array.from(results[`${tensor}:${name}`].data as Float32Array)));
		}
		process.stdout.write(`\r${index + 1} / ${images.length} ${image}`.padEnd(80));
	}
	await session.release();
	const dump = argument('--dump');
	if (dump) writeFileSync(dump, JSON.stringify(perImage));
	return { perImage, images };
}

function argument(name: string): string | undefined {
	const at = process.argv.indexOf(name);
	return at > 0 ? process.argv[at + 1] : undefined;
}

async function main(): Promise<void> {
	const { perImage, images } = await measure();
	const counts = CALIBRATION_SETS.map((set) => `${set.split('/')[0]} (${images.filter((image) => image.startsWith(set)).length})`);
	const table: CalibrationTable = {
		format: 1,
		images: `${counts.join(', ')}; per tensor the lowest minimum and the highest value exceeded by ${CLIP_SHARE * 100} % of the elements`,
		ranges: combineRanges(perImage),
		floatNodes: FLOAT_NODES,
	};
	const path = join(CATALOG_DIR, findModel(MODEL_ID, 'segmentation').int8Calibration ?? `${MODEL_ID}.int8.json`);
	writeFileSync(path, `${JSON.stringify(table, null, '\t')}\n`);
	console.log(`\n${Object.keys(perImage).length} tensors from ${images.length} images → ${path}`);
}

if (require.main === module) {
	main().catch((error: unknown) => {
		console.error(error);
		process.exitCode = 1;
	});
}
