/**
 * A REAL Node-RED 4.1 (the root devDependency, installed from npm) started headless with the PACKED
 * node-red-contrib-cutout installed into its user directory the way Node-RED's palette manager installs a
 * module (`npm install --save --omit=dev --engine-strict <module>` in the userDir, install scripts on), for
 * the real run (npm run test:node-red) and the browser suite. Only Node built-ins are imported.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { Daemon } from './daemons';
import { cleanBaseEnv, freePort, REPO_ROOT, sharedModelsEnv } from './n8n';

export const NODE_RED_PACKAGE_DIR = path.join(REPO_ROOT, 'node-red');
const NODE_RED_MAIN = path.join(REPO_ROOT, 'node_modules', 'node-red', 'red.js');
export const NODE_RED_VERSION: string = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'node_modules', 'node-red', 'package.json'), 'utf8')).version;

/** Throws unless node-red/core holds the compiled core (`npm run test:node-red` and `test:browser` build it). */
export function assertNodeRedPackageBuilt(): void {
	if (!fs.existsSync(path.join(NODE_RED_PACKAGE_DIR, 'core', 'index.js'))) {
		throw new Error('node-red/core is not built: run `npm run build:node-red`');
	}
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = cleanBaseEnv()): string {
	const result = spawnSync(command, args, { cwd, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
	if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (exit ${result.status ?? result.signal}):\n${result.stderr}${result.stdout}`);
	return result.stdout;
}

/** `npm pack` of node-red/ into `dir`; returns the tarball's path. */
export function packNodeRedPackage(dir: string): string {
	assertNodeRedPackageBuilt();
	const name = run('npm', ['pack', '--silent', '--pack-destination', dir], NODE_RED_PACKAGE_DIR).trim().split('\n').pop()!;
	return path.join(dir, name);
}

/** The paths inside a tarball, without the leading "package/". */
export function tarballFiles(tarball: string): string[] {
	return run('tar', ['-tzf', tarball], path.dirname(tarball))
		.trim()
		.split('\n')
		.map((file) => file.replace(/^package\//, ''));
}

/**
 * Installs a tarball into a Node-RED user directory as the palette manager would. onnxruntime-node's
 * install script would download CUDA libraries: ONNXRUNTIME_NODE_INSTALL=skip keeps to the CPU build it ships.
 */
export function installIntoUserDir(userDir: string, tarball: string): void {
	fs.mkdirSync(userDir, { recursive: true });
	const manifest = path.join(userDir, 'package.json');
	if (!fs.existsSync(manifest)) fs.writeFileSync(manifest, JSON.stringify({ name: 'node-red-project', private: true, dependencies: {} }, null, 2));
	const args = ['install', '--no-audit', '--no-update-notifier', '--no-fund', '--save', '--save-prefix=~', '--omit=dev', '--engine-strict', tarball];
	run('npm', args, userDir, { ...cleanBaseEnv(), ONNXRUNTIME_NODE_INSTALL: 'skip' });
}

export interface NodeRedOptions {
	userDir: string;
	/** Written to <userDir>/flows.json. */
	flows: unknown[];
	/** Every output line (debugging). */
	onOutput?: (line: string) => void;
}

/** A running Node-RED: editor and admin API on 127.0.0.1, flows started. */
export class NodeRed {
	private constructor(
		readonly port: number,
		private readonly daemon: Daemon,
	) {}

	static async start(options: NodeRedOptions): Promise<NodeRed> {
		const { userDir } = options;
		fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(options.flows, null, '\t'));
		// Quiet and local: no telemetry or update checks, no palette catalogue, no encryption key to manage.
		const settings = {
			flowFile: 'flows.json',
			credentialSecret: false,
			uiHost: '127.0.0.1',
			logging: { console: { level: 'info', metrics: false, audit: false } },
			telemetry: { enabled: false, updateNotification: false },
			diagnostics: { enabled: false, ui: false },
			externalModules: { autoInstall: false, palette: { allowInstall: false } },
			editorTheme: { tours: false, palette: { catalogues: [] }, projects: { enabled: false } },
		};
		fs.writeFileSync(path.join(userDir, 'settings.js'), `module.exports = ${JSON.stringify(settings, null, '\t')};\n`);
		const port = await freePort();
		const daemon = await Daemon.start({
			name: 'node-red',
			command: process.execPath,
			args: [NODE_RED_MAIN, '--userDir', userDir, '--settings', path.join(userDir, 'settings.js'), '--port', String(port)],
			cwd: userDir,
			env: { ...cleanBaseEnv(), ...sharedModelsEnv() },
			ready: /Started flows|Error loading flows/,
			readyTimeoutMs: 180_000,
			onOutput: options.onOutput,
		});
		const nodeRed = new NodeRed(port, daemon);
		if (!daemon.log.includes('Started flows')) {
			await nodeRed.stop();
			throw new Error(`Node-RED did not start its flows:\n${daemon.log}`);
		}
		return nodeRed;
	}

	get baseUrl(): string {
		return `http://127.0.0.1:${this.port}`;
	}

	/** Everything Node-RED printed so far. */
	get log(): string {
		return this.daemon.log;
	}

	/** SIGTERM: Node-RED stops its flows and exits (SIGKILL only if it has not after 15 s). */
	async stop(): Promise<void> {
		await this.daemon.stop();
	}
}
