/**
 * Does guided-filter upsampling lower matte error when the matte is inferred below the output resolution?
 *
 * Protocol ("2× upscale"): each alphamatting_train_lowres image (long side 800) is downscaled 2× (area
 * average), the model runs on that half-size image (native resolution, its matte brought to the half
 * size as the pipeline does), and that half-size matte is upsampled 2× to the full image either linearly
 * or with the guided filter using the full-resolution image. Both are compared with the true alpha at full
 * resolution: MAE on [0, 1], SAD (sum of |error| on [0, 1], in thousands, as alphamatting.com reports it),
 * and MAE inside the trimap's unknown band, where the edge detail lives. A "1×" row runs the model on the
 * full image and compares its linear and guided upsampling from the model grid, for reference.
 *
 * Run: npx ts-node --transpile-only bench/guided-upsampling.ts [model-id] [--sweep]
 * (skips when ../shared/eval is absent)
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import sharp from 'sharp';

import { decodeImage, type DecodedImage } from '../lib/image/decode';
import { GUIDED_DEFAULTS, type GuidedUpsampleOptions, guidedUpsample } from '../lib/matte/guidedFilter';
import { resizePlane, resizeRgb } from '../lib/matte/resize';
import { loadSegmentationModel } from '../lib/models/segmentationModels';
import { segmentImage } from '../lib/segmentation/segmentImage';

const SET_DIR = resolve(__dirname, '..', '..', 'shared', 'eval', 'alphamatting_train_lowres');
const LIMITS = { maxPixels: 64e6, maxInputBytes: 1e9 };

interface Sample {
	name: string;
	full: DecodedImage;
	truth: Buffer;
	unknown: Uint8Array;
	/** Half-size matte from the half-size image. */
	halfMatte: Buffer;
	half: { width: number; height: number };
	/** Model-grid matte from the full image. */
	gridMatte: Buffer;
	grid: { width: number; height: number };
}

interface Errors {
	mae: number;
	sad: number;
	unknownMae: number;
}

function errors(prediction: Buffer, sample: Sample): Errors {
	let absolute = 0;
	let unknownAbsolute = 0;
	let unknownCount = 0;
	for (let i = 0; i < sample.truth.length; i++) {
		const e = Math.abs(prediction[i] - sample.truth[i]) / 255;
		absolute += e;
		if (sample.unknown[i]) {
			unknownAbsolute += e;
			unknownCount++;
		}
	}
	return { mae: absolute / sample.truth.length, sad: absolute / 1000, unknownMae: unknownAbsolute / Math.max(1, unknownCount) };
}

async function grey(path: string): Promise<Buffer> {
	return sharp(path).toColourspace('b-w').raw().toBuffer();
}

function mean(rows: Errors[]): Errors {
	const sum = (key: keyof Errors) => rows.reduce((total, row) => total + row[key], 0) / rows.length;
	return { mae: sum('mae'), sad: sum('sad'), unknownMae: sum('unknownMae') };
}

function format(label: string, e: Errors): string {
	return `${label.padEnd(44)} MAE ${e.mae.toFixed(4)}  SAD ${e.sad.toFixed(2)}k  unknown-band MAE ${e.unknownMae.toFixed(4)}`;
}

async function main(): Promise<void> {
	if (!existsSync(SET_DIR)) {
		console.log(`guided-upsampling: skipped, ${SET_DIR} is absent (it holds the ground-truth sets, see README)`);
		return;
	}
	const modelId = process.argv.slice(2).find((arg) => !arg.startsWith('--')) ?? 'isnet-general-fp16';
	const sweep = process.argv.includes('--sweep');
	const model = await loadSegmentationModel({ id: modelId });
	const samples: Sample[] = [];
	for (const file of readdirSync(join(SET_DIR, 'images')).sort()) {
		const full = await decodeImage(readFileSync(join(SET_DIR, 'images', file)), LIMITS);
		const half = { width: Math.round(full.width / 2), height: Math.round(full.height / 2) };
		const halfImage: DecodedImage = { ...full, ...half, rgb: await resizeRgb(full.rgb, full, half), alpha: null };
		const halfMatte = (await segmentImage(halfImage, model)).matte;
		const fullRun = await segmentImage(full, model);
		const trimap = await grey(join(SET_DIR, 'trimaps', file));
		samples.push({
			name: file,
			full,
			truth: await grey(join(SET_DIR, 'alpha', file)),
			unknown: trimap.map((v) => (v > 0 && v < 255 ? 1 : 0)),
			halfMatte,
			half,
			gridMatte: fullRun.lowResolutionMatte,
			grid: fullRun.grid,
		});
		process.stdout.write('.');
	}
	console.log(`\n${modelId}, ${samples.length} images`);

	const linear2x = await Promise.all(samples.map(async (s) => errors(await resizePlane(s.halfMatte, s.half, s.full, 'linear'), s)));
	const guided2x = async (options: GuidedUpsampleOptions) =>
		mean(await Promise.all(samples.map(async (s) => errors(await guidedUpsample(s.halfMatte, s.half, s.full.rgb, s.full, options), s))));
	console.log(format('2× linear', mean(linear2x)));
	console.log(format(`2× guided (defaults ${JSON.stringify(GUIDED_DEFAULTS)})`, await guided2x({})));
	const perImage = await Promise.all(
		samples.map(async (s, i) => {
			const guided = errors(await guidedUpsample(s.halfMatte, s.half, s.full.rgb, s.full), s);
			return guided.mae < linear2x[i].mae;
		}),
	);
	console.log(`2× guided lowers MAE on ${perImage.filter(Boolean).length} of ${samples.length} images`);

	const grid = (s: Sample) => s.grid;
	const linear1x = mean(await Promise.all(samples.map(async (s) => errors(await resizePlane(s.gridMatte, grid(s), s.full, 'linear'), s))));
	const guided1x = mean(
		await Promise.all(samples.map(async (s) => errors(await guidedUpsample(s.gridMatte, grid(s), s.full.rgb, s.full), s))),
	);
	console.log(format('1× linear (model grid → full)', linear1x));
	console.log(format('1× guided (model grid → full)', guided1x));

	if (sweep) {
		for (const guide of ['colour', 'grey'] as const) {
			for (const radius of [2, 3, 4, 6, 8]) {
				for (const epsilon of [1e-5, 1e-4, 1e-3, 1e-2]) {
					console.log(format(`2× guided ${guide} r=${radius} eps=${epsilon}`, await guided2x({ guide, radius, epsilon })));
				}
			}
		}
	}
}

main().catch((error) => {
	console.error(error);
	process.exit(1);
});
