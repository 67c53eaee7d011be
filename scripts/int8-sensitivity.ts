/**
 * Screens int8 variants of the embedded ISNet against its float graph on a few choosing images: per variant,
 * the mean |Δ| of the int8 output to the float one, the IoU of the two at 0.5, and the median forward time.
 * A variant is the committed table with some Conv blocks left float (node name prefixes).
 * Run: nice -n 19 npx ts-node --transpile-only scripts/int8-sensitivity.ts [--images N] [--table <table.json>] variant...
 * where a variant is `none` or comma-separated prefixes such as /stage1d/,/conv_in/.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';

import { decodeImage } from '../lib/image/decode';
import { toInputTensor } from '../lib/inference/segment';
import { CATALOG_DIR, findModel } from '../lib/models/catalog';
import { resolveModelsDir } from '../lib/models/modelsDir';
import { decodeModel, nodeName } from '../lib/models/onnxGraph';
import { type CalibrationTable, quantizeModel } from '../lib/models/quantize';
import { floatGraph } from '../lib/models/segmentationModels';
import { locateWeights } from '../lib/models/weights';

const EVAL_DIR = resolve(__dirname, '..', '..', 'shared', 'eval');

function argument(name: string): string | undefined {
	const at = process.argv.indexOf(name);
	return at > 0 ? process.argv[at + 1] : undefined;
}

async function main(): Promise<void> {
	const model = findModel('isnet-general-fp16', 'segmentation');
	const graph = await floatGraph(model, await locateWeights(model, { modelsDir: resolveModelsDir() }));
	const convs = decodeModel(graph).nodes.filter((node) => node.opType === 'Conv').map(nodeName);
	const table = JSON.parse(readFileSync(argument('--table') ?? join(CATALOG_DIR, model.int8Calibration!), 'utf8')) as CalibrationTable;
	const count = Number(argument('--images') ?? 4);
	const pick = (set: string, n: number) => readdirSync(join(EVAL_DIR, set)).filter((name) => /\.(png|jpe?g)$/i.test(name)).sort().filter((_, i, all) => i % Math.floor(all.length / n) === 0).slice(0, n).map((name) => join(set, name));
	const images = [...pick('alphamatting_train_lowres/images', count), ...pick('ecssd_subset/images', count)];
	const { size } = model.input;
	const inputs: ort.Tensor[] = [];
	for (const image of images) {
		const decoded = await decodeImage(readFileSync(join(EVAL_DIR, image)), { maxPixels: 64e6, maxInputBytes: 1e9 });
		inputs.push(new ort.Tensor('float32', await toInputTensor(decoded.rgb, decoded.width, decoded.height, size, model.input), [1, 3, size, size]));
	}
	const outputName = model.output.name!;
	const run = async (bytes: Uint8Array) => {
		const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all' });
		const outputs: Float32Array[] = [];
		const times: number[] = [];
		for (const input of inputs) {
			const start = performance.now();
			const result = await session.run({ [model.input.name!]: input });
			times.push(performance.now() - start);
			outputs.push(result[outputName].data as Float32Array);
		}
		await session.release();
		return { outputs, time: times.sort((a, b) => a - b)[times.length >> 1] };
	};
	const float = await run(graph);
	console.log(`float ${float.time.toFixed(0)} ms on ${images.length} images`);
	for (const variant of process.argv.slice(2).filter((arg, i, all) => !arg.startsWith('--') && !all[i - 1]?.startsWith('--'))) {
		const prefixes = variant === 'none' ? [] : variant.split(',');
		const floatNodes = convs.filter((name) => prefixes.some((prefix) => name.startsWith(prefix)));
		const int8 = await run(quantizeModel(graph, { ...table, floatNodes: [...(table.floatNodes ?? []), ...floatNodes] }));
		let absolute = 0;
		let both = 0;
		let either = 0;
		let elements = 0;
		const perSet: number[] = [];
		int8.outputs.forEach((output, index) => {
			let imageAbsolute = 0;
			for (let i = 0; i < output.length; i++) {
				const a = output[i];
				const b = float.outputs[index][i];
				imageAbsolute += Math.abs(a - b);
				if (a >= 0.5 && b >= 0.5) both++;
				if (a >= 0.5 || b >= 0.5) either++;
			}
			absolute += imageAbsolute;
			elements += output.length;
			perSet.push(imageAbsolute / output.length);
		});
		const alpha = perSet.slice(0, count).reduce((a, b) => a + b) / count;
		const ecssd = perSet.slice(count).reduce((a, b) => a + b) / count;
		console.log(
			`${variant.padEnd(40)} float convs ${String(floatNodes.length).padStart(3)}  |Δ| ${(absolute / elements).toFixed(5)} (alpha ${alpha.toFixed(5)}, ecssd ${ecssd.toFixed(5)})  IoU ${(both / either).toFixed(4)}  ${int8.time.toFixed(0)} ms  ratio ${(float.time / int8.time).toFixed(2)}`,
		);
	}
}

main().catch((error: unknown) => {
	console.error(error);
	process.exitCode = 1;
});
