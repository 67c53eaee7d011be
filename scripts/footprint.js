#!/usr/bin/env node
'use strict';
/**
 * node scripts/footprint.js [package.tgz]     (npm run footprint; run `npm run build` first)
 *
 * What n8n's community-package installer puts on disk for this package: packs the repo (or takes the given
 * tarball), installs it with scripts/e2e/install-package.sh into a temporary n8n user folder (untar, drop
 * dev/peer/optional dependencies, `npm install --install-strategy=shallow --ignore-scripts`), then prints
 * the total against the 350 MB goal and a breakdown: each installed package, onnxruntime-node's binaries by
 * platform, and which of @imgly/background-removal-data's chunks the default model reads.
 * Sizes are disk usage (du, 1 MB = 2^20 bytes), as `du -sh` in the package folder shows them.
 */
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const GOAL_MB = 350;
const repoRoot = path.resolve(__dirname, '..');
const tarball = process.argv[2] && path.resolve(process.argv[2]);

const diskMb = (dir) => Number(execFileSync('du', ['-sk', dir], { encoding: 'utf8' }).split('\t')[0]) / 1024;
const fileMb = (file) => fs.statSync(file).size / 2 ** 20;
const row = (mb, what) => `${mb.toFixed(0).padStart(6)} MB  ${what}`;

/** Top-level and nested packages (shallow install nests dependencies of dependencies). */
function packagesUnder(nodeModules, prefix = '') {
	if (!fs.existsSync(nodeModules)) return [];
	const found = [];
	for (const entry of fs.readdirSync(nodeModules)) {
		if (entry.startsWith('.')) continue;
		const dirs = entry.startsWith('@') ? fs.readdirSync(path.join(nodeModules, entry)).map((name) => `${entry}/${name}`) : [entry];
		for (const name of dirs) {
			const dir = path.join(nodeModules, name);
			const nested = path.join(dir, 'node_modules');
			const ownMb = diskMb(dir) - (fs.existsSync(nested) ? diskMb(nested) : 0);
			found.push({ name: `${prefix}${name}`, dir, mb: ownMb });
			found.push(...packagesUnder(nested, `${prefix}${name} > `));
		}
	}
	return found;
}

function main() {
	const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cutout-footprint-'));
	try {
		const env = { ...process.env, E2E_DIR: workDir, ...(tarball ? { E2E_TARBALL: tarball } : {}) };
		const install = spawnSync('bash', [path.join(repoRoot, 'scripts', 'e2e', 'install-package.sh'), path.join(workDir, 'home')], {
			env,
			encoding: 'utf8',
			stdio: ['ignore', 'pipe', 'inherit'],
		});
		if (install.status !== 0) throw new Error(`install-package.sh failed (exit ${install.status})`);
		const packageDir = install.stdout.trim().split('\n').pop();
		const { name, version } = JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8'));

		const totalMb = diskMb(packageDir);
		const packages = packagesUnder(path.join(packageDir, 'node_modules')).sort((a, b) => b.mb - a.mb);
		const lines = [
			'',
			`${name}@${version} as n8n's community installer puts it on disk (linux-${os.arch()}): ${totalMb.toFixed(0)} MB (goal <= ${GOAL_MB} MB)`,
			row(diskMb(packageDir) - diskMb(path.join(packageDir, 'node_modules')), `${name} itself (dist/, package.json)`),
			...packages.filter((p) => p.mb >= 0.5).map((p) => row(p.mb, p.name)),
			row(packages.filter((p) => p.mb < 0.5).reduce((sum, p) => sum + p.mb, 0), `${packages.filter((p) => p.mb < 0.5).length} packages under 0.5 MB each`),
		];

		const ortBin = packages.find((p) => p.name === 'onnxruntime-node')?.dir;
		if (ortBin) {
			lines.push('', 'onnxruntime-node ships every platform\'s runtime (npm cannot leave the others out):');
			const binRoot = path.join(ortBin, 'bin', 'napi-v6');
			for (const platform of fs.readdirSync(binRoot)) {
				for (const arch of fs.readdirSync(path.join(binRoot, platform))) {
					const here = platform === os.platform() && arch === os.arch();
					lines.push(row(diskMb(path.join(binRoot, platform, arch)), `${platform}/${arch}${here ? '  (the one this machine loads)' : ''}`));
				}
			}
		}

		const imgly = packages.find((p) => p.name === '@imgly/background-removal-data')?.dir;
		if (imgly) {
			const catalog = JSON.parse(fs.readFileSync(path.join(repoRoot, 'models', 'catalog.json'), 'utf8'));
			const used = new Set(
				JSON.stringify(catalog)
					.match(/"resource":"[^"]+"/g)
					?.map((m) => m.slice(12, -1)) ?? [],
			);
			const index = JSON.parse(fs.readFileSync(path.join(imgly, 'dist', 'resources.json'), 'utf8'));
			lines.push('', '@imgly/background-removal-data chunks (models/catalog.json says which are read):');
			for (const [resource, entry] of Object.entries(index)) {
				const mb = entry.chunks.reduce((sum, chunk) => sum + fileMb(path.join(imgly, 'dist', chunk.hash)), 0);
				lines.push(row(mb, `${resource}${used.has(resource) ? '  (read: the default model)' : '  (never read)'}`));
			}
		}
		console.log(lines.join('\n'));
	} finally {
		fs.rmSync(workDir, { recursive: true, force: true });
	}
}

try {
	main();
} catch (error) {
	console.error(`[footprint] ${error.message}`);
	process.exit(1);
}
