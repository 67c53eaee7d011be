/**
 * Long-running child processes for the e2e suite (n8n main and workers, Redis, PostgreSQL): start one,
 * wait until it logs that it is ready, keep its output, stop it (SIGTERM, then SIGKILL to its whole
 * process group). Every daemon runs in its own process group, so children it spawns (n8n's task runners)
 * go with it, and a process 'exit' hook SIGKILLs whatever is still running if the test process ends
 * early. Only Node built-ins are imported (scripts load this file without ts-node).
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface DaemonOptions {
	/** For messages: "redis", "n8n worker 1", … */
	name: string;
	command: string;
	args?: string[];
	env?: NodeJS.ProcessEnv;
	cwd?: string;
	/** Resolves start() once the output contains this. */
	ready: string | RegExp;
	/** Default 120 s. */
	readyTimeoutMs?: number;
	/** Run as this user (the caller must be root), e.g. PostgreSQL refuses to run as root. */
	uid?: number;
	gid?: number;
	/** Every output line, as it arrives (debugging). */
	onOutput?: (line: string) => void;
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

/** SIGKILLs a child's process group (no-op when it is gone). */
export function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
	if (child.pid === undefined) return;
	try {
		process.kill(-child.pid, signal);
	} catch {
		// already gone
	}
}

function installExitHook(): void {
	if (exitHookInstalled) return;
	exitHookInstalled = true;
	process.on('exit', () => {
		for (const child of running) killGroup(child, 'SIGKILL');
	});
}

export function sleep(ms: number): Promise<void> {
	return new Promise((resolve) => setTimeout(resolve, ms).unref?.());
}

export function tail(text: string, lines = 40): string {
	return text.split('\n').slice(-lines).join('\n');
}

export class Daemon {
	readonly name: string;
	/** Everything the process printed so far (stdout and stderr interleaved as they arrived). */
	log = '';
	private readonly child: ChildProcess;
	private readonly exited: Promise<void>;

	private constructor(options: DaemonOptions) {
		this.name = options.name;
		this.child = spawn(options.command, options.args ?? [], {
			cwd: options.cwd,
			env: options.env,
			stdio: ['ignore', 'pipe', 'pipe'],
			detached: true,
			uid: options.uid,
			gid: options.gid,
		});
		running.add(this.child);
		installExitHook();
		this.exited = new Promise((resolve) =>
			this.child.on('close', () => {
				running.delete(this.child);
				resolve();
			}),
		);
		const onData = (d: string) => {
			this.log += d;
			if (options.onOutput) for (const line of d.split(/\r?\n/)) if (line) options.onOutput(line);
		};
		this.child.stdout!.setEncoding('utf8').on('data', onData);
		this.child.stderr!.setEncoding('utf8').on('data', onData);
	}

	/** Starts the process and resolves once it printed `ready`; stops it and throws on exit or timeout. */
	static async start(options: DaemonOptions): Promise<Daemon> {
		const daemon = new Daemon(options);
		const timeoutMs = options.readyTimeoutMs ?? 120_000;
		const isReady = () => (typeof options.ready === 'string' ? daemon.log.includes(options.ready) : options.ready.test(daemon.log));
		try {
			await new Promise<void>((resolve, reject) => {
				const timer = setTimeout(() => reject(new Error(`${daemon.name}: not ready after ${timeoutMs} ms\n${tail(daemon.log)}`)), timeoutMs);
				const check = () => {
					if (!isReady()) return;
					clearTimeout(timer);
					resolve();
				};
				daemon.child.stdout!.on('data', check);
				daemon.child.stderr!.on('data', check);
				daemon.child.on('error', (err) => {
					clearTimeout(timer);
					reject(new Error(`${daemon.name}: could not start ${options.command}: ${err.message}`));
				});
				daemon.child.on('close', (code, signal) => {
					clearTimeout(timer);
					reject(new Error(`${daemon.name} exited early (${code ?? signal})\n${tail(daemon.log)}`));
				});
			});
		} catch (err) {
			await daemon.stop();
			throw err;
		}
		return daemon;
	}

	get pid(): number | undefined {
		return this.child.pid;
	}

	get isRunning(): boolean {
		return this.child.exitCode === null && this.child.signalCode === null;
	}

	/** SIGTERM, then SIGKILL to the process group after `graceMs`; afterwards nothing of the group is left. */
	async stop(graceMs = 15_000): Promise<void> {
		if (this.isRunning) {
			this.child.kill('SIGTERM');
			const exited = await Promise.race([this.exited.then(() => true), sleep(graceMs).then(() => false)]);
			if (!exited) killGroup(this.child, 'SIGKILL');
			await this.exited;
		}
		// children (n8n's task runner) normally exit with their parent; make sure nothing is left behind
		killGroup(this.child, 'SIGKILL');
		running.delete(this.child);
	}
}
