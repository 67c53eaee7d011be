/**
 * Compares the embedded fills (and OpenCV's Telea and Navier–Stokes, when an opencv.js build is at hand)
 * on ../shared/eval/inpainting, which has hole masks but no ground truth under them.
 *
 * Protocol: holes over known content. The object-removal masks (latent-diffusion examples, IOPaint) are
 * mirrored left–right, so the object-shaped hole lands mostly on background whose true pixels we have;
 * the MAT masks are random strokes and boxes over the scene and are used as they are. Inside the hole:
 * MAE and PSNR against the true pixels, and the gradient ratio (mean luma gradient of the fill ÷ that of
 * the truth: 1 keeps the texture's energy, lower is blurrier). Per-pixel errors favour blur, so the ratio
 * and the contact sheet (bench/out/inpaint-fill.png, the real object masks) are read alongside them.
 *
 * --scale=N enlarges every picture and mask N times first (Lanczos; masks nearest-neighbour), so the fills
 * take the path of large crops, as in a 12 MP photo: at 4 a 512² picture is a 2048² crop, filled at
 * reduced resolution and brought back by transferDetail. Scores are taken at the enlarged size.
 *
 * Run: npx ts-node --transpile-only bench/inpaint-fill.ts [--scale=N]
 *      CUTOUT_OPENCV_JS=/path/to/node_modules/@techstark/opencv-js npx ts-node --transpile-only bench/inpaint-fill.ts
 * (skips when ../shared/eval is absent)
 */
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import sharp from 'sharp';

import { type InpaintEngine, loadInpaintEngine } from '../lib/inpaint/engines';
import { fillHoles } from '../lib/inpaint/fill';

const SET_DIR = resolve(__dirname, '..', '..', 'shared', 'eval', 'inpainting');
const OUT_DIR = resolve(__dirname, 'out');
const TILE = 256;

interface Picture {
	name: string;
	width: number;
	height: number;
	rgb: Buffer;
	/** The mask as given: 255 = hole. */
	mask: Buffer;
}

type Fill = (picture: Picture, holes: Buffer) => Promise<Buffer>;

interface Scores {
	mae: number;
	psnr: number;
	gradientRatio: number;
	ms: number;
}

async function loadPictures(scale: number): Promise<Picture[]> {
	const pictures: Picture[] = [];
	for (const name of readdirSync(join(SET_DIR, 'images')).sort()) {
		const image = sharp(join(SET_DIR, 'images', name)).removeAlpha();
		const mask = sharp(join(SET_DIR, 'masks', name));
		if (scale > 1) {
			const { width = 0, height = 0 } = await image.metadata();
			const size = { width: width * scale, height: height * scale, fit: 'fill' } as const;
			image.resize(size);
			mask.resize({ ...size, kernel: 'nearest' });
		}
		const { data, info } = await image.raw().toBuffer({ resolveWithObject: true });
		const grey = await mask.toColourspace('b-w').raw().toBuffer();
		pictures.push({ name, width: info.width, height: info.height, rgb: data, mask: Buffer.from(grey.map((v) => (v >= 128 ? 255 : 0))) });
	}
	return pictures;
}

function mirrored(picture: Picture): Buffer {
	const out = Buffer.alloc(picture.mask.length);
	for (let y = 0; y < picture.height; y++) {
		for (let x = 0; x < picture.width; x++) out[y * picture.width + x] = picture.mask[y * picture.width + picture.width - 1 - x];
	}
	return out;
}

function luma(rgb: Buffer, i: number): number {
	return 0.299 * rgb[i * 3] + 0.587 * rgb[i * 3 + 1] + 0.114 * rgb[i * 3 + 2];
}

function score(picture: Picture, holes: Buffer, filled: Buffer, ms: number): Scores {
	const { width, height, rgb } = picture;
	let absolute = 0;
	let squared = 0;
	let samples = 0;
	let gradientFill = 0;
	let gradientTruth = 0;
	for (let y = 0; y < height - 1; y++) {
		for (let x = 0; x < width - 1; x++) {
			const i = y * width + x;
			if (!holes[i]) continue;
			for (let c = 0; c < 3; c++) {
				const d = filled[i * 3 + c] - rgb[i * 3 + c];
				absolute += Math.abs(d);
				squared += d * d;
				samples++;
			}
			const gradient = (image: Buffer) => Math.abs(luma(image, i + 1) - luma(image, i)) + Math.abs(luma(image, i + width) - luma(image, i));
			gradientFill += gradient(filled);
			gradientTruth += gradient(rgb);
		}
	}
	return {
		mae: absolute / samples,
		psnr: 10 * Math.log10((255 * 255) / (squared / samples)),
		gradientRatio: gradientFill / Math.max(1e-9, gradientTruth),
		ms,
	};
}

function engineFill(engine: InpaintEngine): Fill {
	return async (picture, holes) => (await fillHoles(picture.rgb, holes, picture, engine)).rgb;
}

/** OpenCV's cv.inpaint through opencv.js (WebAssembly), radius 3 as in OpenCV's own samples. */
async function openCvFills(modulePath: string): Promise<Record<string, Fill>> {
	// eslint-disable-next-line @typescript-eslint/no-require-imports
	const cv = require(modulePath);
	await new Promise<void>((done) => {
		if (cv.Mat) done();
		else cv.onRuntimeInitialized = () => done();
	});
	const run = (flag: number): Fill => async (picture, holes) => {
		const src = cv.matFromArray(picture.height, picture.width, cv.CV_8UC3, Array.from(picture.rgb));
		const mask = cv.matFromArray(picture.height, picture.width, cv.CV_8UC1, Array.from(holes));
		const dst = new cv.Mat();
		cv.inpaint(src, mask, dst, 3, flag);
		const out = Buffer.from(dst.data as Uint8Array);
		src.delete();
		mask.delete();
		dst.delete();
		return out;
	};
	return { 'opencv-telea': run(cv.INPAINT_TELEA), 'opencv-ns': run(cv.INPAINT_NS) };
}

async function tile(rgb: Buffer, picture: Picture): Promise<Buffer> {
	return sharp(rgb, { raw: { width: picture.width, height: picture.height, channels: 3 } }).resize(TILE, TILE, { fit: 'fill' }).png().toBuffer();
}

async function main(): Promise<void> {
	if (!existsSync(SET_DIR)) {
		console.log(`inpaint-fill: skipped, ${SET_DIR} is absent (it holds the evaluation sets, see README)`);
		return;
	}
	const fills: Record<string, Fill> = {
		smooth: engineFill(await loadInpaintEngine('smooth')),
		patch: engineFill(await loadInpaintEngine('patch')),
	};
	if (process.env.CUTOUT_OPENCV_JS) Object.assign(fills, await openCvFills(process.env.CUTOUT_OPENCV_JS));
	const scale = Number(process.argv.find((arg) => arg.startsWith('--scale='))?.split('=')[1] ?? 1);
	if (!(Number.isInteger(scale) && scale >= 1)) throw new Error(`--scale must be a whole number ≥ 1, got ${scale}`);
	const pictures = await loadPictures(scale);
	if (scale > 1) console.log(`pictures and masks enlarged ${scale}×`);
	const groups: Record<string, Record<string, Scores[]>> = { 'object-shaped (mirrored)': {}, 'large random (MAT)': {} };
	const sheet: Buffer[][] = [];
	for (const picture of pictures) {
		const random = picture.name.startsWith('mat_');
		const holes = random ? picture.mask : mirrored(picture);
		const group = groups[random ? 'large random (MAT)' : 'object-shaped (mirrored)'];
		const row: Buffer[] = [];
		if (!random) {
			const marked = Buffer.from(picture.rgb);
			for (let i = 0; i < picture.mask.length; i++) if (picture.mask[i]) marked.set([255, 0, 255], i * 3);
			row.push(await tile(marked, picture));
		}
		for (const [name, fill] of Object.entries(fills)) {
			const started = performance.now();
			const filled = await fill(picture, holes);
			(group[name] ??= []).push(score(picture, holes, filled, performance.now() - started));
			if (!random) row.push(await tile(await fill(picture, picture.mask), picture));
		}
		if (row.length) sheet.push(row);
		process.stdout.write('.');
	}
	console.log('');
	for (const [group, byFill] of Object.entries(groups)) {
		for (const [name, rows] of Object.entries(byFill)) {
			const mean = (key: keyof Scores) => rows.reduce((sum, row) => sum + row[key], 0) / rows.length;
			console.log(
				`${group.padEnd(26)} ${name.padEnd(13)} MAE ${mean('mae').toFixed(2)}  PSNR ${mean('psnr').toFixed(2)} dB  gradient ratio ${mean('gradientRatio').toFixed(2)}  ${mean('ms').toFixed(0)} ms (${rows.length} images)`,
			);
		}
	}
	mkdirSync(OUT_DIR, { recursive: true });
	const sheetName = scale > 1 ? `inpaint-fill-x${scale}.png` : 'inpaint-fill.png';
	const columns = sheet[0].length;
	await sharp({ create: { width: columns * TILE, height: sheet.length * TILE, channels: 3, background: '#000' } })
		.composite(sheet.flatMap((row, r) => row.map((input, c) => ({ input, left: c * TILE, top: r * TILE }))))
		.png()
		.toFile(join(OUT_DIR, sheetName));
	console.log(`Contact sheet (mask, ${Object.keys(fills).join(', ')}): ${join(OUT_DIR, sheetName)}`);
}

main().catch((error) => {
	console.error(error);
	process.exit(1);
});
