#!/usr/bin/env node
'use strict';
/**
 * npm run demo [folder] [-- --out <dir>] [--skip-build] [--generate]
 *
 * Runs examples/remove-background.json in a REAL n8n 2.8.4 on a folder of images:
 *   1. npm run build
 *   2. installs n8n into ~/.cache/n8n-nodes-cutout-e2e on first use (6-11 min on 2 cores, 1.7 GB; the
 *      installer prints progress every 15 s)
 *   3. packs this package and installs it into an isolated n8n user folder (.e2e/demo-home) the way
 *      n8n's community-package installer does
 *   4. imports the example (its Settings node gets the folders) and executes it headless
 *   5. prints one line per file (name, size, time, or the error code and message), then a summary.
 *
 * Output: a fresh run folder, out/run-<date>-<time> (or --out <dir>, emptied first): cutouts
 * (<name>.png), masks (<name>.mask.png) and, when files failed, failures.csv.
 * Folder: the argument, else ../shared/eval/photos when present, else (or with --generate) generated
 * test images (shaded objects on textured backgrounds) in .e2e/demo-input.
 * Exit status: 0 when the run completed, failed files included (they are reported); 1 when the run itself
 * could not happen (build, install, n8n, a folder that does not exist).
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const REPO_ROOT = path.resolve(__dirname, '..');
require('./e2e/ts-require');
const harness = require('../test/e2e/n8n.ts');
const scenesLib = require('../test/e2e/scenes.ts');

function parseArgs(argv) {
	const args = { folder: undefined, out: undefined, build: true, generate: false };
	for (let i = 0; i < argv.length; i++) {
		const a = argv[i];
		if (a === '--out') args.out = path.resolve(argv[++i]);
		else if (a === '--skip-build') args.build = false;
		else if (a === '--generate') args.generate = true;
		else if (a === '-h' || a === '--help') {
			console.log('usage: npm run demo [folder] [-- --out <dir>] [--skip-build] [--generate]');
			process.exit(0);
		} else if (a.startsWith('-')) throw new Error(`unknown option ${a}`);
		else args.folder = path.resolve(a);
	}
	return args;
}

/** A fresh folder for this run's outputs, so files of earlier runs never mix in. */
function prepareOutputFolder(requested) {
	if (requested) {
		if (fs.existsSync(requested) && fs.readdirSync(requested).length > 0) {
			say(`emptying ${requested} (--out) before the run`);
			fs.rmSync(requested, { recursive: true, force: true });
		}
		fs.mkdirSync(requested, { recursive: true });
		return requested;
	}
	const stamp = new Date().toISOString().slice(0, 19).replace('T', '-').replace(/:/g, '');
	const folder = path.resolve('out', `run-${stamp}`);
	fs.mkdirSync(folder, { recursive: true });
	return folder;
}

const kilobytes = (bytes) => (bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(0)} KB`);

/** One line per file in the input folder: done (size, time), failed (error code, message) or not read. */
function reportFiles(input, done, failed) {
	const byName = new Map();
	for (const item of done) byName.set(item.binary?.data?.fileName, { item, ok: true });
	for (const item of failed) byName.set(item.binary?.data?.fileName ?? item.json.fileName, { item, ok: false });
	const names = fs.readdirSync(input).filter((name) => fs.statSync(path.join(input, name)).isFile()).sort();
	const width = Math.max(10, ...names.map((name) => name.length));
	for (const name of names) {
		const bytes = fs.statSync(path.join(input, name)).size;
		const entry = byName.get(name);
		let status;
		if (!entry) status = 'not read (the example reads png, jpg, jpeg, webp, avif, bmp, heic)';
		else if (entry.ok) {
			const { json } = entry.item;
			const ms = ['decodeMs', 'inferMs', 'refineMs', 'encodeMs'].reduce((sum, k) => sum + (Number(json.timings?.[k]) || 0), 0);
			status = `done    ${`${json.width}x${json.height}`.padStart(9)}  ${(ms / 1000).toFixed(1).padStart(5)} s`;
		} else {
			// On the error output the code rides at the end of the message (see nodes/shared/items.ts).
			const match = /^([\s\S]*) \(code: ([a-z_]+)\)$/.exec(entry.item.json.error);
			const [message, code] = match ? [match[1], match[2]] : [entry.item.json.error, 'error'];
			status = `FAILED  ${code}: ${message}`;
		}
		console.log(`${name.padEnd(width)}  ${kilobytes(bytes).padStart(8)}  ${status}`);
	}
	return names.length;
}

const t = () => Date.now();
const secs = (ms) => `${(ms / 1000).toFixed(1)} s`;
const say = (msg) => process.stderr.write(`[demo] ${msg}\n`);

async function main() {
	const args = parseArgs(process.argv.slice(2));
	const example = path.join(REPO_ROOT, 'examples', 'remove-background.json');

	if (args.build) {
		say('npm run build');
		const b = spawnSync('npm', ['run', 'build', '--silent'], { cwd: REPO_ROOT, stdio: 'inherit' });
		if (b.status !== 0) throw new Error(`npm run build failed (exit ${b.status})`);
	}

	let t0 = t();
	if (!harness.isN8nInstalled()) {
		say(`installing n8n ${harness.N8N_VERSION} into ${harness.E2E_DIR}/n8n (first use only: 6-11 min on 2 cores, 1.7 GB)`);
		harness.ensureN8nInstalled();
		say(`n8n installed in ${secs(t() - t0)}`);
	}

	let input = args.generate ? undefined : args.folder;
	if (!input && !args.generate) {
		const photos = path.resolve(REPO_ROOT, '..', 'shared', 'eval', 'photos');
		if (fs.existsSync(photos)) input = photos;
	}
	if (!input) {
		input = path.join(harness.E2E_DIR, 'demo-input');
		fs.rmSync(input, { recursive: true, force: true });
		await scenesLib.writeScenes(input);
		say(`no photo folder given: generated ${scenesLib.DEFAULT_SCENES.length} test images in ${input}`);
	}
	if (!fs.statSync(input, { throwIfNoEntry: false })?.isDirectory()) throw new Error(`not a folder: ${input}`);
	const out = prepareOutputFolder(args.out);

	// A persistent user folder: database migrations run once; the package is reinstalled every run.
	const userFolder = path.join(harness.E2E_DIR, 'demo-home');
	const n8n = await harness.N8n.create({
		userFolder,
		allowedDirs: [input, out],
		env: { CUTOUT_MODELS_DIR: process.env.CUTOUT_MODELS_DIR || path.join(harness.E2E_DIR, 'cutout-models') },
	});

	t0 = t();
	n8n.installPackage();
	say(`packed and installed ${harness.PACKAGE_NAME} into ${userFolder}/.n8n/nodes in ${secs(t() - t0)}`);

	const { id, ms: importMs } = await n8n.importWorkflow(example, { settings: { inputFolder: input, outputFolder: out } });
	say(`imported ${path.relative(REPO_ROOT, example)} (id ${id}) in ${secs(importMs)}`);

	say(`executing on ${input} ...`);
	const result = await n8n.executeWorkflow(id);
	if (result.status !== 'success') {
		if (process.env.E2E_VERBOSE) process.stderr.write(`${result.stdout}\n${result.stderr}\n`);
		else say('(set E2E_VERBOSE=1 to see the full n8n output)');
		throw new Error(`execution ${result.status} (exit ${result.exitCode}): ${result.error}`);
	}
	const ran = result.execution.data.resultData.runData;
	const done = ran['Remove Background'] ? harness.nodeItems(result.execution, 'Remove Background', 0) : [];
	const failed = ran['Remove Background'] ? harness.nodeItems(result.execution, 'Remove Background', 1) : [];
	const files = reportFiles(input, done, failed);

	const nodeMs = harness.nodeExecutionMs(result.execution, 'Remove Background');
	const where = path.relative(process.cwd(), out) || '.';
	console.log(
		`${done.length} done, ${failed.length} failed` +
			(files > done.length + failed.length ? `, ${files - done.length - failed.length} not read` : '') +
			` in ${secs(result.ms)} (Remove Background node ${secs(nodeMs ?? 0)}); outputs in ${where}` +
			(failed.length ? `, failures listed in ${path.join(where, 'failures.csv')}` : ''),
	);
}

main().catch((err) => {
	say(`FAILED: ${err.message}`);
	process.exit(1);
});
