#!/usr/bin/env node
'use strict';
/**
 * node scripts/time-tests.js [test|test:slow]
 *
 * Runs `npm test` (or `npm run test:slow`) once and prints its wall time against the 3-minute goal, the
 * machine (cores, load average before the run: figures from a busy machine are noisy), the slowest files,
 * and anything the run leaked: console output from tests and jest's "worker ... force exited" notice.
 * A measurement, not a test: it exits with the test command's own status.
 */
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const GOAL_SECONDS = 180;
const CLOCK_TICKS_PER_SECOND = 100;

/** CPU seconds of all finished, waited-for child processes (Linux /proc: cutime + cstime), the whole npm → jest → workers tree. */
function childrenCpuSeconds() {
	try {
		const fields = fs.readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
		return (Number(fields[13]) + Number(fields[14])) / CLOCK_TICKS_PER_SECOND;
	} catch {
		return undefined;
	}
}
const script = process.argv[2] ?? 'test';
const repoRoot = path.resolve(__dirname, '..');
const report = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cutout-time-tests-')), 'jest.json');

const loadBefore = os.loadavg()[0];
const started = process.hrtime.bigint();
const args = script === 'test' ? ['test', '--'] : ['run', script, '--'];
const child = spawn('npm', [...args, '--json', `--outputFile=${report}`], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
let output = '';
for (const stream of [child.stdout, child.stderr]) {
	stream.on('data', (chunk) => {
		output += chunk;
		process.stderr.write(chunk);
	});
}

child.on('close', (status) => {
	const seconds = Number(process.hrtime.bigint() - started) / 1e9;
	const cpuSeconds = childrenCpuSeconds();
	const cores = os.cpus().length;
	const results = fs.existsSync(report) ? JSON.parse(fs.readFileSync(report, 'utf8')) : undefined;
	const files = (results?.testResults ?? [])
		.map((file) => ({ name: path.relative(repoRoot, file.name), seconds: (file.endTime - file.startTime) / 1000 }))
		.sort((a, b) => b.seconds - a.seconds);
	const consoleBlocks = (output.match(/^\s*console\.(log|info|warn|error|debug)\b/gm) ?? []).length;
	const forceExited = /worker process has failed to exit gracefully/.test(output);

	const lines = [
		'',
		`npm ${args.slice(0, -1).join(' ')}: ${seconds.toFixed(0)} s wall (goal for npm test: <= ${GOAL_SECONDS} s), exit ${status}`,
		`  machine: ${cores} cores, load average ${loadBefore.toFixed(2)} before the run and ${os.loadavg()[0].toFixed(2)} after; node ${process.version}`,
		cpuSeconds === undefined
			? '  CPU time: unknown (no /proc)'
			: `  CPU time of the run: ${cpuSeconds.toFixed(0)} s, i.e. at least ${(cpuSeconds / cores).toFixed(0)} s wall on ${cores} otherwise idle cores (less load-sensitive than wall time)`,
		results ? `  tests: ${results.numPassedTests} passed, ${results.numFailedTests} failed, ${results.numPendingTests} skipped in ${results.numTotalTestSuites} files` : '  tests: no jest report',
		`  leaked console output blocks: ${consoleBlocks}; worker force-exited: ${forceExited ? 'yes' : 'no'}`,
		'  slowest files (each file\'s own time; two workers run files side by side):',
		...files.slice(0, 8).map((file) => `    ${file.seconds.toFixed(1).padStart(6)} s  ${file.name}`),
	];
	console.log(lines.join('\n'));
	fs.rmSync(path.dirname(report), { recursive: true, force: true });
	process.exit(status ?? 1);
});
