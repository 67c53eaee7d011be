/**
 * Memory probes for P4, run in a fresh process each, compiled by bench/run.ts (node --expose-gc bench/out/compiled/bench/memory.js;
 * node --expose-gc -r ts-node/register/transpile-only bench/memory.ts runs them from source, with the compiler in memory):
 *   peak <megapixels>  one Remove Background on a generated JPEG of that size with the default model
 *   phases <megapixels>  the same, and the highest RSS in each of its steps (session creation, decode, infer,
 *                      upsample and refine, encode)
 *   batch <items> <megapixels>  that many such JPEGs through the Remove Background node
 *   scene <megapixels> <path>   writes the generated JPEG the two above read (they start this in a child)
 *   soak <items>       that many items through the pipeline with u2netp; RSS after item 50 and after the last,
 *                      then what is left behind (ONNX sessions, sharp tasks)
 * Prints one JSON line.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import sharp from 'sharp';

import { releaseSessions, sessionCount } from '../lib/inference/sessions';
import { localEngine } from '../lib/engines/local';
import { loadSegmentationModel } from '../lib/models/segmentationModels';
import { removeBackground } from '../lib/pipeline';
import { makeScene, sceneAsJpeg } from '../test/helpers/scene';
import { peakPerSpan, sampleRss } from './rssSampler';

const LIMITS = { maxPixels: 100e6, maxInputBytes: 1e9 };
const MODEL_ID = 'isnet-general-fp16';
const megabytes = (bytes: number) => bytes / 2 ** 20;

/** A 3:2 frame of that many megapixels (24: 6000×4000). */
function sceneSize(megapixels: number): { width: number; height: number } {
	const width = Math.round(Math.sqrt(megapixels * 1e6 * 1.5));
	return { width, height: Math.round(width / 1.5) };
}

/**
 * The generated scene as a JPEG, made by a child process (once, then kept in the temporary folder): drawing
 * and encoding 24 MP here would leave its own 100 MB or so in this process's heap, which is not the item's.
 */
async function sceneJpeg(megapixels: number): Promise<Buffer> {
	const { width, height } = sceneSize(megapixels);
	const path = join(tmpdir(), `cutout-memory-scene-${width}x${height}.jpg`);
	if (!existsSync(path)) execFileSync(process.execPath, ['-r', 'ts-node/register/transpile-only', __filename, 'scene', String(megapixels), path]);
	return readFile(path);
}

async function writeScene(megapixels: number, path: string): Promise<object> {
	const { width, height } = sceneSize(megapixels);
	const partial = `${path}.${process.pid}`;
	await writeFile(partial, await sceneAsJpeg(makeScene(width, height)));
	await rename(partial, path);
	return { path };
}

/**
 * This process's peak RSS since it started. getrusage's maxRSS also counts what the process was before exec,
 * the copy of its parent that spawning made: a probe started by a parent holding 1.5 GB read 1 540 MB here,
 * against 934-951 MB alone, and the bench parent holds the batch section's model (P3) when P4 starts it. The
 * kernel's high-water mark in /proc/self/status (VmHWM) is this program's own; elsewhere maxRSS is all there is.
 */
function peakRssMb(): number {
	const status = existsSync('/proc/self/status') ? readFileSync('/proc/self/status', 'utf8') : '';
	const highWater = /^VmHWM:\s+(\d+) kB$/m.exec(status);
	return highWater ? Number(highWater[1]) / 1024 : process.resourceUsage().maxRSS / 1024;
}

function settledRss(): number {
	(globalThis as { gc?: () => void }).gc?.();
	return megabytes(process.memoryUsage().rss);
}

/** With `phases`, RSS is also read on a worker thread (about 30 MB of its own) to split the peak by step. */
async function peak(megapixels: number, phases: boolean): Promise<object> {
	const { width, height } = sceneSize(megapixels);
	const jpeg = await sceneJpeg(megapixels);
	const beforeMb = Math.round(settledRss());
	const sampler = phases ? sampleRss() : undefined;
	const started = performance.now();
	// Loaded first so its share shows apart; the pipeline then finds the session made.
	await loadSegmentationModel({ id: MODEL_ID });
	const loaded = performance.now();
	const { fields } = await removeBackground(jpeg, localEngine({ segmentationModel: MODEL_ID }), { limits: LIMITS });
	const ended = performance.now();
	const maxRssMb = peakRssMb();
	if (!sampler) return { width, height, maxRssMb };
	const samples = await sampler.stop();
	// The pipeline's own timings split its run; what they do not count (the budget's header read) goes to decode.
	const { inferMs, refineMs, encodeMs } = fields.timings;
	const encodeStart = ended - encodeMs;
	const refineStart = encodeStart - refineMs;
	const inferStart = refineStart - inferMs;
	const phasePeakMb = peakPerSpan(samples, [
		{ name: 'session', start: started, end: loaded },
		{ name: 'decode', start: loaded, end: inferStart },
		{ name: 'infer', start: inferStart, end: refineStart },
		{ name: 'upsampleRefine', start: refineStart, end: encodeStart },
		{ name: 'encode', start: encodeStart, end: Infinity },
	]);
	return { width, height, maxRssMb, beforeMb, phasePeakMb };
}

/**
 * `items` inputs of that size through the Remove Background node with its defaults: its own items in flight
 * and the process's pixel budget decide what runs at once.
 */
async function batch(items: number, megapixels: number): Promise<object> {
	const { width, height } = sceneSize(megapixels);
	const data = (await sceneJpeg(megapixels)).toString('base64');
	// Required here, so the other probes' figures do not carry n8n-workflow (a dynamic import() would load
	// these as ES modules and miss their named exports); the node by its file name, .ts from source or .js
	// compiled, or its codex .json is found.
	/* eslint-disable @typescript-eslint/no-require-imports */
	const { RemoveBackground } = require(`../nodes/RemoveBackground/RemoveBackground.node${extname(__filename)}`) as typeof import('../nodes/RemoveBackground/RemoveBackground.node');
	const { LOCAL_U2NETP_PARAMETERS } = require('../test/helpers/nodeParameters') as typeof import('../test/helpers/nodeParameters');
	const { benchContext } = require('./nodeContext') as typeof import('./nodeContext');
	/* eslint-enable @typescript-eslint/no-require-imports */
	const inputs = Array.from({ length: items }, (_, i) => ({ json: {}, binary: { data: { data, fileName: `item-${i}.jpg`, mimeType: 'image/jpeg' } } }));
	const [outputs] = await new RemoveBackground().execute.call(
		benchContext(inputs, { ...LOCAL_U2NETP_PARAMETERS, model: MODEL_ID }, { keepOutputs: false }),
	);
	return { items: outputs.length, width, height, maxRssMb: peakRssMb() };
}

async function soak(items: number): Promise<object> {
	const jpeg = await sceneAsJpeg(makeScene(640, 480));
	const engine = localEngine({ segmentationModel: 'u2netp' });
	let rssAfter50 = 0;
	for (let i = 1; i <= items; i++) {
		await removeBackground(jpeg, engine, { limits: LIMITS });
		if (i === 50) rssAfter50 = settledRss();
	}
	const rssAfterLast = settledRss();
	const sessionsBefore = sessionCount();
	await releaseSessions();
	// sharp's counters: tasks queued and in flight in libvips; both 0 means no handle was left behind.
	const { queue, process: inFlight } = sharp.counters();
	return { items, rssAfter50, rssAfterLast, sessionsBefore, sessionsAfter: sessionCount(), sharpQueued: queue, sharpInFlight: inFlight };
}

async function main(): Promise<void> {
	const [mode, count, megapixels] = process.argv.slice(2);
	const result =
		mode === 'peak' || mode === 'phases'
			? await peak(Number(count), mode === 'phases')
			: mode === 'batch'
				? await batch(Number(count), Number(megapixels))
				: mode === 'scene'
					? await writeScene(Number(count), megapixels)
					: await soak(Number(count));
	console.log(JSON.stringify(result));
}

main().catch((error) => {
	console.error(error);
	process.exit(1);
});
