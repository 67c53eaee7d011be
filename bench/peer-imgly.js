// The peer: @imgly/background-removal-node ("medium" = the same ISNet fp16 weights), its own pipeline, PNG
// output. Runs in its own process because it loads onnxruntime-node 1.17.
//   node bench/peer-imgly.js time <image> <repetitions>     prints "median <ms>" (P2 in bench/run.ts)
//   node bench/peer-imgly.js mattes <outDir> <image>...      writes the cutout's alpha as <outDir>/<n>.png,
//                                                            prints "<n> <ms>" per image (bench/eval.ts anchor)
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const sharp = require('sharp');
const { removeBackground } = require('@imgly/background-removal-node');

const MIME = { '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.webp': 'image/webp' };

function cutout(path) {
	const type = MIME[path.slice(path.lastIndexOf('.')).toLowerCase()] ?? 'image/png';
	return removeBackground(new Blob([readFileSync(path)], { type }), { model: 'medium', output: { format: 'image/png' } });
}

async function time(path, repetitions) {
	await cutout(path);
	const times = [];
	for (let i = 0; i < Number(repetitions); i++) {
		const started = performance.now();
		await cutout(path);
		times.push(performance.now() - started);
	}
	times.sort((a, b) => a - b);
	console.log(`median ${times[Math.floor(times.length / 2)].toFixed(1)}`);
}

async function mattes(outDir, paths) {
	for (const [index, path] of paths.entries()) {
		const started = performance.now();
		const png = Buffer.from(await (await cutout(path)).arrayBuffer());
		const ms = performance.now() - started;
		await sharp(png)
			.extractChannel(3)
			.toColourspace('b-w')
			.png()
			.toFile(join(outDir, `${index}.png`));
		console.log(`${index} ${ms.toFixed(0)}`);
	}
}

const [mode, ...args] = process.argv.slice(2);
const run =
	mode === 'time'
		? time(args[0], args[1])
		: mode === 'mattes'
			? mattes(args[0], args.slice(1))
			: Promise.reject(new Error(`unknown mode "${mode}"`));
run.catch((error) => {
	console.error(error);
	process.exit(1);
});
