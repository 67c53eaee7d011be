/**
 * A small harness that drives a REAL n8n (2.8.4, installed by scripts/e2e/install-n8n.sh into ~/.cache/n8n-nodes-cutout-e2e/n8n)
 * through its CLI, with our packed package installed the way n8n's community installer does it.
 *
 * Only Node built-ins are imported here, so scripts/demo.js can load this file through a tiny
 * TypeScript transpile hook without ts-node.
 *
 * Facts this relies on (measured, see shared/notes/n8n-headless.md):
 *  - `n8n execute --file` is gone in 2.x; import with `import:workflow` then `execute --id`.
 *  - The execution JSON is printed through the logger at INFO level (N8N_LOG_LEVEL=warn hides it);
 *    it is the first stdout line starting with `{` up to the matching top-level `}` line.
 *  - Every n8n process opens a task-runner broker (default 127.0.0.1:5679): concurrent processes need
 *    their own N8N_RUNNERS_BROKER_PORT.
 *  - File nodes may only touch N8N_RESTRICT_FILE_ACCESS_TO (default ~/.n8n-files, relative to
 *    os.homedir(), not N8N_USER_FOLDER); symlinked paths are refused.
 *  - `/healthz/readiness` answers before webhooks are registered; wait for "Editor is now accessible".
 *  - n8n loads dotenv from its cwd, so processes run with cwd = the isolated user folder.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

import { Daemon, killGroup, tail } from './daemons';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
/**
 * Outside the repo on purpose: n8n puts every node_modules folder above its own install on NODE_PATH, so
 * an n8n inside <repo>/.e2e would let the packed package load the repo's devDependencies. A cache folder
 * also keeps the 1.7 GB install between CI runs on the same machine.
 */
export const E2E_DIR = path.resolve(
	process.env.E2E_DIR || path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'n8n-nodes-cutout-e2e'),
);
export const N8N_VERSION = process.env.N8N_VERSION ?? '2.8.4';
export const N8N_BIN = path.join(E2E_DIR, 'n8n', 'node_modules', '.bin', 'n8n');
export const PACKAGE_NAME = 'n8n-nodes-cutout';

/** Settings that keep n8n from calling home, plus a quiet, local-only setup (notes §6, all verified). */
export const OFFLINE_ENV: Readonly<Record<string, string>> = {
	N8N_DIAGNOSTICS_ENABLED: 'false',
	N8N_DIAGNOSTICS_CONFIG_FRONTEND: '',
	N8N_DIAGNOSTICS_CONFIG_BACKEND: '',
	N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
	N8N_VERSION_NOTIFICATIONS_WHATS_NEW_ENABLED: 'false',
	N8N_TEMPLATES_ENABLED: 'false',
	N8N_PERSONALIZATION_ENABLED: 'false',
	N8N_HIRING_BANNER_ENABLED: 'false',
	N8N_DYNAMIC_BANNERS_ENABLED: 'false',
	N8N_AI_ENABLED: 'false',
	EXTERNAL_FRONTEND_HOOKS_URLS: '',
	N8N_VERIFIED_PACKAGES_ENABLED: 'false',
	N8N_REINSTALL_MISSING_PACKAGES: 'false',
	N8N_LICENSE_AUTO_RENEW_ENABLED: 'false',
	N8N_LISTEN_ADDRESS: '127.0.0.1',
	N8N_RUNNERS_BROKER_LISTEN_ADDRESS: '127.0.0.1',
};

export interface RunResult {
	code: number | null;
	signal: NodeJS.Signals | null;
	stdout: string;
	stderr: string;
	ms: number;
}

export interface ExecutionResult {
	/** `status` of the execution JSON ("success", "error", …), or "unknown" when no JSON was printed. */
	status: string;
	/** The parsed execution JSON printed by `n8n execute` (IRun), if any. */
	execution: any;
	/** The node error message when the workflow failed. */
	error?: string;
	exitCode: number | null;
	ms: number;
	stdout: string;
	stderr: string;
}

export interface N8nItem {
	json: Record<string, any>;
	binary?: Record<string, { fileName?: string; fileExtension?: string; mimeType?: string; fileSize?: string; id?: string; [k: string]: unknown }>;
	pairedItem?: unknown;
}

export interface N8nOptions {
	/** N8N_USER_FOLDER; default: a fresh temp dir that dispose() removes. */
	userFolder?: string;
	/** Directories the file nodes may read/write (N8N_RESTRICT_FILE_ACCESS_TO). */
	allowedDirs?: string[];
	/** Main HTTP port; default: a free port. */
	port?: number;
	/** Task-runner broker port; default: a free port. */
	brokerPort?: number;
	/** Extra environment variables (win over the defaults). */
	env?: Record<string, string | undefined>;
	/** Streams every line n8n prints to this callback (for debugging). */
	onOutput?: (line: string) => void;
}

/** One free TCP port on 127.0.0.1 (the OS picks it). */
export async function freePort(): Promise<number> {
	return await new Promise((resolve, reject) => {
		const server = net.createServer();
		server.unref();
		server.on('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const { port } = server.address() as net.AddressInfo;
			server.close(() => resolve(port));
		});
	});
}

/** The environment our scripts run in: the caller's, minus npm's exported config and any N8N_* leakage. */
export function cleanBaseEnv(): NodeJS.ProcessEnv {
	const env: NodeJS.ProcessEnv = {};
	for (const [key, value] of Object.entries(process.env)) {
		const k = key.toLowerCase();
		if (k.startsWith('n8n_') || k.startsWith('db_') || k.startsWith('npm_lifecycle') || k === 'npm_package_json') continue;
		if (k.startsWith('npm_config_') && !['npm_config_cache', 'npm_config_userconfig', 'npm_config_registry'].includes(k)) continue;
		// jest sets NODE_ENV=test, which switches n8n into its own test mode.
		if (key === 'NODE_ENV' || key === 'NODE_OPTIONS') continue;
		env[key] = value;
	}
	return env;
}

function runScript(script: string, args: string[], extraEnv: Record<string, string> = {}): string {
	const res = spawnSync('bash', [path.join(REPO_ROOT, 'scripts', 'e2e', script), ...args], {
		cwd: REPO_ROOT,
		env: { ...cleanBaseEnv(), E2E_DIR, N8N_VERSION, ...extraEnv },
		stdio: ['ignore', 'pipe', 'inherit'],
		encoding: 'utf8',
		maxBuffer: 64 * 1024 * 1024,
	});
	if (res.status !== 0) {
		throw new Error(`scripts/e2e/${script} failed (exit ${res.status ?? res.signal})`);
	}
	return res.stdout.trim();
}

/** Throws unless dist/ holds the built package (the e2e suites pack it; `npm run test:e2e` builds first). */
export function assertPackageBuilt(): void {
	if (!fs.existsSync(path.join(REPO_ROOT, 'dist', 'nodes', 'RemoveBackground', 'RemoveBackground.node.js'))) {
		throw new Error('dist/ is not built: run `npm run build` (npm run test:e2e does)');
	}
}

export interface WebhookResponse {
	status: number;
	contentType: string | null;
	body: Buffer;
	/** Request to last body byte. */
	ms: number;
}

/** POSTs an image to a webhook URL, as the raw request body or as the multipart field `data`. */
export async function postImage(
	url: string,
	image: { encoded: Buffer; fileName: string; mimeType: string },
	as: 'raw' | 'multipart',
	timeoutMs = 5 * 60_000,
): Promise<WebhookResponse> {
	const t0 = Date.now();
	let body: FormData | Buffer;
	const headers: Record<string, string> = {};
	if (as === 'multipart') {
		const form = new FormData();
		form.append('data', new Blob([image.encoded], { type: image.mimeType }), image.fileName);
		body = form;
	} else {
		headers['content-type'] = image.mimeType;
		body = image.encoded;
	}
	const res = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(timeoutMs) });
	const bytes = Buffer.from(await res.arrayBuffer());
	return { status: res.status, contentType: res.headers.get('content-type'), body: bytes, ms: Date.now() - t0 };
}

/**
 * CUTOUT_MODELS_DIR for the suites: one folder shared by all runs (models are prepared or downloaded
 * once), `.e2e/cutout-models` unless the caller's CUTOUT_MODELS_DIR says otherwise.
 */
export function sharedModelsEnv(): Record<string, string> {
	return { CUTOUT_MODELS_DIR: process.env.CUTOUT_MODELS_DIR || path.join(E2E_DIR, 'cutout-models') };
}

/** A fresh temp folder for one suite; removeWorkDir() deletes it unless E2E_KEEP is set. */
export function makeWorkDir(prefix: string): string {
	return fs.mkdtempSync(path.join(os.tmpdir(), `cutout-e2e-${prefix}-`));
}

export function removeWorkDir(dir: string | undefined): void {
	if (dir && !process.env.E2E_KEEP) fs.rmSync(dir, { recursive: true, force: true });
}

/** `$E2E_DIR/n8n` holds a working n8n of the wanted version? (fast: `n8n --version` takes ~0.1 s) */
export function isN8nInstalled(): boolean {
	if (!fs.existsSync(N8N_BIN)) return false;
	const res = spawnSync(N8N_BIN, ['--version'], { encoding: 'utf8', env: cleanBaseEnv() });
	return res.status === 0 && res.stdout.trim().split('\n').pop() === N8N_VERSION;
}

/** Installs n8n into $E2E_DIR/n8n (default ~/.cache/n8n-nodes-cutout-e2e) unless it is already there (6-11 min on 2 cores and 1.7 GB the first time; progress every 15 s). */
export function ensureN8nInstalled(): void {
	if (isN8nInstalled()) return;
	runScript('install-n8n.sh', []);
}

/**
 * Packs the repo (dist/ must be built) and installs the tarball into `<userFolder>/.n8n/nodes` like n8n's
 * community-package installer. Pass `tarball` to reuse a tarball packed before. Returns the package dir.
 */
export function installPackage(userFolder: string, tarball?: string): string {
	const out = runScript('install-package.sh', [userFolder], tarball ? { E2E_TARBALL: tarball } : {});
	return out.split('\n').pop()!;
}

/** Parses the execution JSON out of `n8n execute` stdout (first `{` line … matching top-level `}` line). */
export function parseExecutionJson(stdout: string): any | undefined {
	const lines = stdout.split(/\r?\n/);
	const start = lines.findIndex((l) => l.startsWith('{'));
	if (start < 0) return undefined;
	for (let end = start; end < lines.length; end++) {
		if (lines[end] !== '}' && !(end === start && lines[end].trimEnd().endsWith('}'))) continue;
		try {
			return JSON.parse(lines.slice(start, end + 1).join('\n'));
		} catch {
			// a nested "}" line at column 0 cannot happen with 2-space indentation, but keep looking
		}
	}
	return undefined;
}

/** Items of `main` output `outputIndex` of the first run of `nodeName`. */
export function nodeItems(execution: any, nodeName: string, outputIndex = 0): N8nItem[] {
	const runs = execution?.data?.resultData?.runData?.[nodeName];
	if (!runs?.length) {
		const known = Object.keys(execution?.data?.resultData?.runData ?? {}).join(', ');
		throw new Error(`node "${nodeName}" did not run (ran: ${known || 'nothing'})`);
	}
	return runs[0].data?.main?.[outputIndex] ?? [];
}

/** executionTime (ms) of the first run of `nodeName`. */
export function nodeExecutionMs(execution: any, nodeName: string): number | undefined {
	return execution?.data?.resultData?.runData?.[nodeName]?.[0]?.executionTime;
}

export interface ImportOptions {
	/**
	 * Values for the string fields of the workflow's "Settings" node (a Set node named `Settings`):
	 * this is how examples/*.json take their folders, so they stay importable in the UI as they are.
	 */
	settings?: Record<string, string>;
	/** Free-form edit of the parsed workflow before import. */
	patch?: (workflow: any) => void;
}

/** One entry of the file `n8n import:credentials --input` reads (a JSON array of these). */
export interface CredentialImport {
	id: string;
	name: string;
	/** The credential type's `name`, e.g. `falApi`. */
	type: string;
	/** Plain text; n8n encrypts it on import. */
	data: Record<string, string>;
}

/** Sets string fields of the Set node named `settingsNode` (throws if a field does not exist). */
export function applySettings(workflow: any, settings: Record<string, string>, settingsNode = 'Settings'): void {
	const node = (workflow.nodes ?? []).find((n: any) => n.name === settingsNode);
	if (!node) throw new Error(`workflow "${workflow.name}" has no "${settingsNode}" node`);
	const assignments: any[] = node.parameters?.assignments?.assignments ?? [];
	for (const [name, value] of Object.entries(settings)) {
		const field = assignments.find((a) => a.name === name);
		if (!field) throw new Error(`"${settingsNode}" node has no field "${name}" (has: ${assignments.map((a) => a.name).join(', ')})`);
		field.value = value;
	}
}

export class N8n {
	readonly userFolder: string;
	readonly port: number;
	readonly brokerPort: number;
	readonly env: NodeJS.ProcessEnv;
	private server?: Daemon;
	private lastServerLog = '';
	private readonly workers: Daemon[] = [];
	private workersStarted = 0;
	private readonly ownsUserFolder: boolean;
	private readonly onOutput?: (line: string) => void;

	private constructor(userFolder: string, ownsUserFolder: boolean, port: number, brokerPort: number, env: NodeJS.ProcessEnv, onOutput?: (line: string) => void) {
		this.userFolder = userFolder;
		this.ownsUserFolder = ownsUserFolder;
		this.port = port;
		this.brokerPort = brokerPort;
		this.env = env;
		this.onOutput = onOutput;
	}

	/** An isolated n8n environment: own user folder, SQLite DB, ports, file-access allow-list. */
	static async create(options: N8nOptions = {}): Promise<N8n> {
		const ownsUserFolder = !options.userFolder;
		const userFolder = options.userFolder ? path.resolve(options.userFolder) : fs.mkdtempSync(path.join(os.tmpdir(), 'cutout-n8n-'));
		fs.mkdirSync(userFolder, { recursive: true });
		const port = options.port ?? (await freePort());
		let brokerPort = options.brokerPort ?? (await freePort());
		while (brokerPort === port) brokerPort = await freePort();
		// realpath: n8n resolves paths with realpath before checking them against the allow-list.
		const allowed = (options.allowedDirs ?? []).map((d) => {
			fs.mkdirSync(d, { recursive: true });
			return fs.realpathSync(d);
		});
		const tmpDir = path.join(userFolder, 'tmp');
		fs.mkdirSync(tmpDir, { recursive: true });
		const env: NodeJS.ProcessEnv = {
			...cleanBaseEnv(),
			...OFFLINE_ENV,
			N8N_USER_FOLDER: userFolder,
			DB_TYPE: 'sqlite',
			N8N_PORT: String(port),
			N8N_RUNNERS_BROKER_PORT: String(brokerPort),
			N8N_HOST: '127.0.0.1',
			N8N_PROTOCOL: 'http',
			N8N_SECURE_COOKIE: 'false',
			// The execution JSON is logged at info level: anything quieter hides it.
			N8N_LOG_LEVEL: 'info',
			N8N_LOG_OUTPUT: 'console',
			N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'false',
			GENERIC_TIMEZONE: 'UTC',
			TZ: 'UTC',
			N8N_RESTRICT_FILE_ACCESS_TO: allowed.join(';'),
			// n8n keeps scratch files in os.tmpdir() (e.g. n8nDataTableUploads, webhook uploads): keep them in the user folder
			TMPDIR: tmpDir,
			NODE_ENV: 'production',
		};
		for (const [k, v] of Object.entries(options.env ?? {})) {
			if (v === undefined) delete env[k];
			else env[k] = v;
		}
		return new N8n(userFolder, ownsUserFolder, port, brokerPort, env, options.onOutput);
	}

	get baseUrl(): string {
		return `http://127.0.0.1:${this.port}`;
	}

	/** Installs our packed package into this user folder (see installPackage). */
	installPackage(tarball?: string): string {
		return installPackage(this.userFolder, tarball);
	}

	/** Runs one n8n CLI command to completion. */
	async run(args: string[], timeoutMs = 10 * 60_000): Promise<RunResult> {
		const t0 = Date.now();
		return await new Promise((resolve, reject) => {
			const child = spawn(N8N_BIN, args, { cwd: this.userFolder, env: this.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
			let stdout = '';
			let stderr = '';
			child.stdout!.setEncoding('utf8').on('data', (d: string) => {
				stdout += d;
				this.emit(d);
			});
			child.stderr!.setEncoding('utf8').on('data', (d: string) => {
				stderr += d;
				this.emit(d);
			});
			const timer = setTimeout(() => {
				killGroup(child, 'SIGKILL');
				reject(new Error(`n8n ${args.join(' ')} timed out after ${timeoutMs} ms\n${tail(stdout + stderr)}`));
			}, timeoutMs);
			child.on('error', (err) => {
				clearTimeout(timer);
				reject(err);
			});
			child.on('close', (code, signal) => {
				clearTimeout(timer);
				resolve({ code, signal, stdout, stderr, ms: Date.now() - t0 });
			});
		});
	}

	/**
	 * Imports a workflow file (a temp copy, after applying `settings`/`patch`). The workflow should carry a
	 * fixed `id` (≤ 21 chars); it is returned.
	 */
	async importWorkflow(file: string, options: ImportOptions = {}): Promise<{ id: string; ms: number }> {
		const workflow = JSON.parse(fs.readFileSync(file, 'utf8'));
		if (options.settings) applySettings(workflow, options.settings);
		options.patch?.(workflow);
		if (!workflow.id) throw new Error(`${file}: the workflow needs a fixed "id" to be executed by id`);
		const res = await this.runImport('import:workflow', path.basename(file), workflow);
		if (res.code !== 0) {
			throw new Error(`n8n import:workflow ${file} failed (exit ${res.code}):\n${tail(res.stdout + res.stderr)}`);
		}
		return { id: String(workflow.id), ms: res.ms };
	}

	/**
	 * `n8n import:credentials` of plain-text credentials (n8n encrypts `data` with this user folder's key on
	 * import). Each needs the `id` and `name` the workflows' nodes reference, and its `type`. Besides the
	 * exit code (1 when the import fails), the success line must name the number of credentials given.
	 */
	async importCredentials(credentials: CredentialImport[]): Promise<void> {
		const res = await this.runImport('import:credentials', 'credentials.json', credentials);
		const imported = `Successfully imported ${credentials.length} ${credentials.length === 1 ? 'credential.' : 'credentials.'}`;
		if (res.code !== 0 || !res.stdout.includes(imported)) {
			throw new Error(`n8n import:credentials failed (exit ${res.code}):\n${tail(res.stdout + res.stderr)}`);
		}
	}

	/** Runs `n8n <command> --input=<file>` on `content` written to a temp file (owner-only) in the user folder. */
	private async runImport(command: string, fileName: string, content: unknown): Promise<RunResult> {
		const tmpDir = fs.mkdtempSync(path.join(this.userFolder, 'import-'));
		const tmpFile = path.join(tmpDir, fileName);
		fs.writeFileSync(tmpFile, JSON.stringify(content, null, 2), { mode: 0o600 });
		try {
			return await this.run([command, `--input=${tmpFile}`]);
		} finally {
			fs.rmSync(tmpDir, { recursive: true, force: true });
		}
	}

	/**
	 * The bytes of a binary an execution produced (an item's `binary.<field>`), read from this instance's
	 * binary-data folder: the id is `filesystem-v2:<path under N8N_STORAGE_PATH>` (default
	 * `<user folder>/.n8n/storage`) in filesystem mode, n8n 2.x's default outside queue mode.
	 */
	readBinary(binary: { id?: string } | undefined): Buffer {
		const match = /^filesystem(?:-v2)?:(.+)$/.exec(binary?.id ?? '');
		if (!match) throw new Error(`not a filesystem binary reference: ${JSON.stringify(binary)}`);
		const storage = this.env.N8N_STORAGE_PATH || path.join(this.userFolder, '.n8n', 'storage');
		return fs.readFileSync(path.join(storage, match[1]));
	}

	/** `n8n execute --id=<id>` and the parsed execution. Does not throw on workflow errors: check `status`. */
	async executeWorkflow(id: string, timeoutMs?: number): Promise<ExecutionResult> {
		const res = await this.run(['execute', `--id=${id}`], timeoutMs);
		const execution = parseExecutionJson(res.stdout);
		const resultError = execution?.data?.resultData?.error;
		let status: string = execution?.status ?? (res.code !== 0 ? 'error' : 'unknown');
		if (res.code !== 0 && status === 'success') status = 'error';
		const error = resultError
			? [resultError.message, resultError.description].filter(Boolean).join(': ')
			: res.code !== 0
				? summarizeFailure(res.stdout + '\n' + res.stderr)
				: undefined;
		return { status, execution, error, exitCode: res.code, ms: res.ms, stdout: res.stdout, stderr: res.stderr };
	}

	/** Activates a workflow (`n8n publish:workflow`); run it while the server is stopped. */
	async publishWorkflow(id: string): Promise<void> {
		const res = await this.run(['publish:workflow', `--id=${id}`]);
		if (res.code !== 0) throw new Error(`n8n publish:workflow --id=${id} failed (exit ${res.code}):\n${tail(res.stdout + res.stderr)}`);
	}

	/** Everything the server started by startN8n() printed (also after it stopped). */
	get serverLog(): string {
		return this.server?.log ?? this.lastServerLog;
	}

	/** Starts `n8n start` and resolves once "Editor is now accessible" is logged (webhooks are registered). */
	async startN8n(timeoutMs = 120_000): Promise<Daemon> {
		if (this.server) throw new Error('n8n is already running');
		this.server = await this.startDaemon('n8n main', ['start'], 'Editor is now accessible', {}, timeoutMs);
		return this.server;
	}

	/**
	 * Starts an `n8n worker` (queue mode: the environment needs EXECUTIONS_MODE=queue and the Redis
	 * settings) with its own task-runner broker port and, when `healthPort` is given, its health server
	 * on 127.0.0.1. Resolves once it logged "n8n worker is now ready"; stop() stops it.
	 */
	async startWorker(options: { concurrency?: number; healthPort?: number; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<Daemon> {
		let brokerPort = await freePort();
		while (brokerPort === this.port || brokerPort === this.brokerPort) brokerPort = await freePort();
		const env: Record<string, string> = { N8N_RUNNERS_BROKER_PORT: String(brokerPort), ...options.env };
		if (options.healthPort) {
			Object.assign(env, { QUEUE_HEALTH_CHECK_ACTIVE: 'true', QUEUE_HEALTH_CHECK_PORT: String(options.healthPort), N8N_WORKER_SERVER_ADDRESS: '127.0.0.1' });
		}
		const args = ['worker', ...(options.concurrency ? [`--concurrency=${options.concurrency}`] : [])];
		const worker = await this.startDaemon(`n8n worker ${++this.workersStarted}`, args, 'n8n worker is now ready', env, options.timeoutMs);
		this.workers.push(worker);
		return worker;
	}

	private async startDaemon(name: string, args: string[], ready: string, env: Record<string, string>, timeoutMs = 120_000): Promise<Daemon> {
		return await Daemon.start({
			name,
			command: N8N_BIN,
			args,
			cwd: this.userFolder,
			env: { ...this.env, ...env },
			ready,
			readyTimeoutMs: timeoutMs,
			onOutput: this.onOutput,
		});
	}

	/** Stops the workers and the server started here (SIGTERM, SIGKILL to their process groups after 15 s). */
	async stop(): Promise<void> {
		const server = this.server;
		this.server = undefined;
		await Promise.all([...this.workers.splice(0), ...(server ? [server] : [])].map((d) => d.stop()));
		if (server) this.lastServerLog = server.log;
	}

	/** Stops the server and removes the user folder if this harness created it. */
	async dispose(): Promise<void> {
		await this.stop();
		if (this.ownsUserFolder && !process.env.E2E_KEEP) fs.rmSync(this.userFolder, { recursive: true, force: true });
	}

	private emit(chunk: string): void {
		if (!this.onOutput) return;
		for (const line of chunk.split(/\r?\n/)) if (line) this.onOutput(line);
	}
}

/**
 * One-line reason for a failed CLI execution that printed no execution JSON: the message after
 * "Execution error:", plus the errors n8n logged while loading packages (a package that fails to load
 * only shows up later as "Unrecognized node type").
 */
export function summarizeFailure(output: string): string {
	const lines = output.split(/\r?\n/);
	const at = lines.findIndex((l) => l.trim() === 'Execution error:');
	const message = (at >= 0 ? lines.slice(at + 1) : [...lines].reverse()).find((l) => l.trim() && !/^=+$/.test(l.trim()))?.trim() ?? 'n8n failed';
	const loadErrors = new Set<string>();
	lines.forEach((line, i) => {
		if (lines[i + 1]?.trim() === 'Require stack:' || /^(Failed to load|Error loading package)/i.test(line)) loadErrors.add(line.trim());
	});
	return loadErrors.size ? `${message} (while loading packages: ${[...loadErrors].join('; ')})` : message;
}
