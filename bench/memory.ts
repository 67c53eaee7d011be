/**
 * Memory probes for P4, run in a fresh process each (node --expose-gc -r ts-node/register/transpile-only):
 *   peak <megapixels>  one Remove Background on a generated JPEG of that size with the default model
 *   soak <items>       that many items through the pipeline with u2netp; RSS after item 50 and after the last,
 *                      then what is left behind (ONNX sessions, sharp tasks)
 * Prints one JSON line.
 */
import sharp from 'sharp';

import { releaseSessions, sessionCount } from '../lib/inference/sessions';
import { localEngine } from '../lib/engines/local';
import { removeBackground } from '../lib/pipeline';
import { makeScene, sceneAsJpeg } from '../test/helpers/scene';

const LIMITS = { maxPixels: 100e6, maxInputBytes: 1e9 };
const megabytes = (bytes: number) => bytes / 2 ** 20;

function settledRss(): number {
	(globalThis as { gc?: () => void }).gc?.();
	return megabytes(process.memoryUsage().rss);
}

async function peak(megapixels: number): Promise<object> {
	const width = Math.round(Math.sqrt(megapixels * 1e6 * 1.5));
	const height = Math.round(width / 1.5);
	const jpeg = await sceneAsJpeg(makeScene(width, height));
	await removeBackground(jpeg, localEngine({ segmentationModel: 'isnet-general-fp16' }), { limits: LIMITS });
	return { width, height, maxRssMb: process.resourceUsage().maxRSS / 1024 };
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
	const [mode, count] = process.argv.slice(2);
	const result = mode === 'peak' ? await peak(Number(count)) : await soak(Number(count));
	console.log(JSON.stringify(result));
}

main().catch((error) => {
	console.error(error);
	process.exit(1);
});
