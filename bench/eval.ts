/**
 * Matte quality on ../shared/eval (alphamatting soft mattes, ECSSD binary masks): per set mIoU at 0.5 and
 * MAE on [0, 1], per image rows in bench/out/eval-<model>.csv.
 * Run: npx ts-node --transpile-only bench/eval.ts [model-id]   (skips when ../shared/eval is absent)
 */
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import sharp from 'sharp';

import { decodeImage } from '../lib/image/decode';
import { loadSegmentationModel } from '../lib/models/segmentationModels';
import { segmentImage } from '../lib/pipeline/segmentImage';

const EVAL_DIR = resolve(__dirname, '..', '..', 'shared', 'eval');
const OUT_DIR = resolve(__dirname, 'out');

interface Row {
	source: string;
	name: string;
	iou: number;
	mae: number;
	ms: number;
}

async function groundTruth(path: string): Promise<Buffer> {
	return sharp(path).toColourspace('b-w').raw().toBuffer();
}

function scores(prediction: Buffer, truth: Buffer): { iou: number; mae: number } {
	let intersection = 0;
	let union = 0;
	let absolute = 0;
	for (let i = 0; i < truth.length; i++) {
		const p = prediction[i] >= 128;
		const t = truth[i] >= 128;
		if (p && t) intersection++;
		if (p || t) union++;
		absolute += Math.abs(prediction[i] - truth[i]);
	}
	return { iou: union === 0 ? 1 : intersection / union, mae: absolute / (255 * truth.length) };
}

async function main(): Promise<void> {
	if (!existsSync(join(EVAL_DIR, 'pairs.csv'))) {
		console.log(`eval: skipped, ${EVAL_DIR} is absent (it holds the ground-truth sets, see README)`);
		return;
	}
	const modelId = process.argv[2] ?? 'isnet-general-fp16';
	const model = await loadSegmentationModel({ id: modelId });
	const pairs = readFileSync(join(EVAL_DIR, 'pairs.csv'), 'utf8').trim().split('\n').slice(1).map((line) => line.split(','));
	const rows: Row[] = [];
	for (const [source, name, image, gt] of pairs) {
		const started = performance.now();
		const decoded = await decodeImage(readFileSync(join(EVAL_DIR, image)), { maxPixels: 64e6, maxInputBytes: 1e9 });
		const { matte } = await segmentImage(decoded, model);
		const ms = performance.now() - started;
		rows.push({ source, name, ...scores(matte, await groundTruth(join(EVAL_DIR, gt))), ms });
	}
	mkdirSync(OUT_DIR, { recursive: true });
	writeFileSync(
		join(OUT_DIR, `eval-${modelId}.csv`),
		['source,name,iou,mae,ms', ...rows.map((r) => `${r.source},${r.name},${r.iou.toFixed(4)},${r.mae.toFixed(4)},${r.ms.toFixed(0)}`)].join('\n') + '\n',
	);
	for (const source of [...new Set(rows.map((r) => r.source))]) {
		const set = rows.filter((r) => r.source === source);
		const mean = (key: 'iou' | 'mae' | 'ms') => set.reduce((sum, r) => sum + r[key], 0) / set.length;
		console.log(`${modelId} ${source} (${set.length}): mIoU ${mean('iou').toFixed(3)} MAE ${mean('mae').toFixed(3)} mean ${mean('ms').toFixed(0)} ms`);
	}
}

main().catch((error) => {
	console.error(error);
	process.exit(1);
});
