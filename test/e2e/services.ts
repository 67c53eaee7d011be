/**
 * Throwaway Redis and PostgreSQL servers for the queue-mode e2e test: each on 127.0.0.1 on a free port,
 * with its data in a folder of the caller's (deleted by the caller), no persistence worth the name, and
 * stopped by the caller (Daemon.stop) or, at the latest, when the test process exits.
 *
 * The binaries come from Debian's `redis-server` and `postgresql` packages:
 * scripts/e2e/install-queue-deps.sh installs them (CI runs it before the e2e suite).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { Daemon } from './daemons';
import { freePort } from './n8n';

const INSTALL_HINT = 'run `bash scripts/e2e/install-queue-deps.sh` (Debian: apt-get install redis-server postgresql)';

export interface Service {
	daemon: Daemon;
	port: number;
	/** Environment variables that point n8n at this service. */
	n8nEnv: Record<string, string>;
}

function onPath(command: string): boolean {
	return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/** Folder with initdb/postgres: $PG_BIN, else the newest /usr/lib/postgresql/<v>/bin (Debian), else PATH. */
function postgresBinDir(): string | undefined {
	if (process.env.PG_BIN) return process.env.PG_BIN;
	const root = '/usr/lib/postgresql';
	const versions = fs.existsSync(root) ? fs.readdirSync(root).filter((v) => fs.existsSync(path.join(root, v, 'bin', 'initdb'))) : [];
	versions.sort((a, b) => Number(b) - Number(a));
	if (versions.length) return path.join(root, versions[0], 'bin');
	return onPath('initdb') ? '' : undefined;
}

/** What is missing for startRedis/startPostgres, as a message (undefined when both can run). */
export function missingQueueServices(): string | undefined {
	const missing = [...(onPath(process.env.REDIS_SERVER ?? 'redis-server') ? [] : ['redis-server']), ...(postgresBinDir() === undefined ? ['PostgreSQL (initdb)'] : [])];
	return missing.length ? `${missing.join(' and ')} not found: ${INSTALL_HINT}` : undefined;
}

/** `redis-server` on 127.0.0.1:<free port>, no RDB snapshots, no AOF, data dir `dir`. */
export async function startRedis(dir: string): Promise<Service> {
	fs.mkdirSync(dir, { recursive: true });
	const port = await freePort();
	const daemon = await Daemon.start({
		name: 'redis',
		command: process.env.REDIS_SERVER ?? 'redis-server',
		args: ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no', '--loglevel', 'notice'],
		cwd: dir,
		ready: 'Ready to accept connections',
		readyTimeoutMs: 30_000,
	});
	return { daemon, port, n8nEnv: { QUEUE_BULL_REDIS_HOST: '127.0.0.1', QUEUE_BULL_REDIS_PORT: String(port) } };
}

/**
 * A fresh PostgreSQL cluster in `dir` (initdb, trust auth for local connections only), started on
 * 127.0.0.1:<free port> with durability off (fsync, synchronous_commit, full_page_writes), which is fine
 * for a database that is deleted afterwards. PostgreSQL refuses to run as root: as root, the cluster
 * belongs to the `postgres` user that Debian's package creates.
 */
export async function startPostgres(dir: string): Promise<Service> {
	const binDir = postgresBinDir();
	if (binDir === undefined) throw new Error(`PostgreSQL not found: ${INSTALL_HINT}`);
	const bin = (name: string) => (binDir ? path.join(binDir, name) : name);
	fs.mkdirSync(dir, { recursive: true });
	let owner: { uid: number; gid: number } | undefined;
	if (process.getuid?.() === 0) {
		const id = (flag: string) => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
		owner = { uid: id('-u'), gid: id('-g') };
		if (!Number.isInteger(owner.uid) || owner.uid <= 0) throw new Error(`running as root and there is no "postgres" user to run PostgreSQL as: ${INSTALL_HINT}`);
		fs.chownSync(dir, owner.uid, owner.gid);
		// the postgres user must be able to reach the folder: let it traverse our own temp folders above it
		const tmp = fs.realpathSync(os.tmpdir());
		for (let d = path.dirname(fs.realpathSync(dir)); d.startsWith(`${tmp}${path.sep}`); d = path.dirname(d)) {
			const { mode } = fs.statSync(d);
			if (!(mode & 0o001)) fs.chmodSync(d, (mode & 0o7777) | 0o011);
		}
	}
	const dataDir = path.join(dir, 'data');
	const init = spawnSync(bin('initdb'), ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions'], {
		encoding: 'utf8',
		uid: owner?.uid,
		gid: owner?.gid,
		timeout: 60_000,
	});
	if (init.status !== 0) throw new Error(`initdb failed (exit ${init.status ?? init.signal}):\n${init.stdout}${init.stderr}`);
	const port = await freePort();
	const daemon = await Daemon.start({
		name: 'postgres',
		command: bin('postgres'),
		args: [
			'-D', dataDir,
			'-p', String(port),
			'-c', 'listen_addresses=127.0.0.1',
			'-c', `unix_socket_directories=${dir}`,
			'-c', 'fsync=off',
			'-c', 'synchronous_commit=off',
			'-c', 'full_page_writes=off',
			'-c', 'max_connections=50',
		],
		cwd: dir,
		uid: owner?.uid,
		gid: owner?.gid,
		ready: 'database system is ready to accept connections',
		readyTimeoutMs: 60_000,
	});
	return {
		daemon,
		port,
		n8nEnv: {
			DB_TYPE: 'postgresdb',
			DB_POSTGRESDB_HOST: '127.0.0.1',
			DB_POSTGRESDB_PORT: String(port),
			DB_POSTGRESDB_DATABASE: 'postgres',
			DB_POSTGRESDB_USER: 'postgres',
			DB_POSTGRESDB_PASSWORD: '',
		},
	};
}
