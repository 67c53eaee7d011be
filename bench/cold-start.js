/**
 * P7 probe, run by bench/run.ts in a fresh process per launch: `node bench/cold-start.js <jpeg>`, with
 * CUTOUT_MODELS_DIR set by the caller. Plain JavaScript on the built package (dist/), as n8n loads it, so
 * the time from process start is not inflated by compiling TypeScript.
 * Prints one JSON line: ms from process start to the first cutout (model load included), the CPU time every
 * thread of the process spent by then, the second cutout's ms (warm), and how much of the first went to
 * loading modules and the model.
 */
const { readFileSync } = require('node:fs');
const { join } = require('node:path');

const dist = join(__dirname, '..', 'dist', 'lib');
const { loadSegmentationModel } = require(join(dist, 'models', 'segmentationModels'));
const { removeBackground } = require(join(dist, 'pipeline', 'removeBackground'));
const { localEngine } = require(join(dist, 'engines', 'local'));

const LIMITS = { maxPixels: 100e6, maxInputBytes: 1e9 };

async function main() {
	const jpeg = readFileSync(process.argv[2]);
	const modulesMs = performance.now();
	// Loaded here to time it apart; the engine gets the same process-wide session.
	await loadSegmentationModel({ id: 'isnet-general-fp16' });
	const loadMs = performance.now() - modulesMs;
	const engine = localEngine({ segmentationModel: 'isnet-general-fp16' });
	await removeBackground(jpeg, engine, { limits: LIMITS });
	const firstMs = performance.now();
	const { user, system } = process.cpuUsage();
	const firstCpuMs = (user + system) / 1000;
	const started = performance.now();
	await removeBackground(jpeg, engine, { limits: LIMITS });
	const warmMs = performance.now() - started;
	console.log(JSON.stringify({ firstMs, firstCpuMs, warmMs, modulesMs, loadMs }));
}

main().catch((error) => {
	console.error(error);
	process.exit(1);
});
