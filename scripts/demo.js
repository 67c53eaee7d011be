#!/usr/bin/env node
'use strict';
/**
 * npm run demo [folder] [-- --out <dir>] [--skip-build] [--generate]
 *
 * Runs examples/remove-background.json in a REAL n8n 2.8.4 on a folder of images:
 *   1. npm run build
 *   2. installs n8n into ~/.cache/n8n-nodes-cutout-e2e on first use (~3-4 min, 1.7 GB)
 *   3. packs this package and installs it into an isolated n8n user folder (.e2e/demo-home) the way
 *      n8n's community-package installer does
 *   4. imports the example (its Settings node gets the folders) and executes it headless
 *   5. cutouts (<name>.png) and masks (<name>.mask.png) land in ./out; one line per image is printed.
 *
 * Folder: the argument, else ../shared/eval/photos when present, else (or with --generate) generated
 * test images (shaded objects on textured backgrounds) in .e2e/demo-input. Exits non-zero on any failure.
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const REPO_ROOT = path.resolve(__dirname, '..');
require('./e2e/ts-require');
const harness = require('../test/e2e/n8n.ts');
const scenesLib = require('../test/e2e/scenes.ts');

function parseArgs(argv) {
	const args = { folder: undefined, out: path.resolve('out'), build: true, generate: false };
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
		say(`installing n8n ${harness.N8N_VERSION} into ${path.relative(REPO_ROOT, harness.E2E_DIR)}/n8n (first use: about 3-4 minutes)`);
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
	fs.mkdirSync(args.out, { recursive: true });

	// A persistent user folder: database migrations run once; the package is reinstalled every run.
	const userFolder = path.join(harness.E2E_DIR, 'demo-home');
	const n8n = await harness.N8n.create({
		userFolder,
		allowedDirs: [input, args.out],
		env: { CUTOUT_MODELS_DIR: process.env.CUTOUT_MODELS_DIR || path.join(harness.E2E_DIR, 'cutout-models') },
	});

	t0 = t();
	n8n.installPackage();
	say(`packed and installed ${harness.PACKAGE_NAME} into ${path.relative(REPO_ROOT, userFolder)}/.n8n/nodes in ${secs(t() - t0)}`);

	const { id, ms: importMs } = await n8n.importWorkflow(example, { settings: { inputFolder: input, outputFolder: args.out } });
	say(`imported ${path.relative(REPO_ROOT, example)} (id ${id}) in ${secs(importMs)}`);

	say(`executing on ${input} ...`);
	const result = await n8n.executeWorkflow(id);
	if (result.status !== 'success') {
		if (process.env.E2E_VERBOSE) process.stderr.write(`${result.stdout}\n${result.stderr}\n`);
		else say('(set E2E_VERBOSE=1 to see the full n8n output)');
		throw new Error(`execution ${result.status} (exit ${result.exitCode}): ${result.error}`);
	}
	const items = harness.nodeItems(result.execution, 'Remove Background');
	const written = new Set([
		...harness.nodeItems(result.execution, 'Write Cutout').map((i) => i.json.fileName),
		...harness.nodeItems(result.execution, 'Write Mask').map((i) => i.json.fileName),
	]);

	const nameWidth = Math.max(10, ...items.map((i) => String(i.binary?.data?.fileName ?? '').length));
	console.log(`${'image'.padEnd(nameWidth)}  ${'size'.padStart(9)}  ${'fg %'.padStart(6)}  ${'ms'.padStart(6)}  decode/infer/refine/encode ms`);
	let failures = 0;
	for (const item of items) {
		const name = String(item.binary?.data?.fileName ?? item.json.fileName ?? '?');
		const tm = item.json.timings ?? {};
		const total = ['decodeMs', 'inferMs', 'refineMs', 'encodeMs'].reduce((s, k) => s + (Number(tm[k]) || 0), 0);
		const stem = name.replace(/\.[^.]*$/, '');
		const ok = item.json.error === undefined && written.has(path.join(args.out, `${stem}.mask.png`));
		if (!ok) failures++;
		console.log(
			`${name.padEnd(nameWidth)}  ${`${item.json.width}x${item.json.height}`.padStart(9)}  ` +
				`${(100 * Number(item.json.foregroundFraction)).toFixed(1).padStart(6)}  ${String(Math.round(total)).padStart(6)}  ` +
				`${['decodeMs', 'inferMs', 'refineMs', 'encodeMs'].map((k) => Math.round(Number(tm[k]) || 0)).join('/')}` +
				(ok ? '' : `  FAILED ${item.json.error ?? '(no output written)'}`),
		);
	}
	const nodeMs = harness.nodeExecutionMs(result.execution, 'Remove Background');
	say(
		`${items.length} image(s): n8n execute took ${secs(result.ms)} (Remove Background node ${secs(nodeMs ?? 0)}); ` +
			`cutouts and masks in ${path.relative(process.cwd(), args.out) || '.'}`,
	);
	if (items.length === 0) throw new Error(`no images found in ${input}`);
	if (failures) throw new Error(`${failures} image(s) failed`);
}

main().catch((err) => {
	say(`FAILED: ${err.message}`);
	process.exit(1);
});
