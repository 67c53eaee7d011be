import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import * as http from 'node:http';
import * as https from 'node:https';
import { type AddressInfo, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { inspect } from 'node:util';

import { type DownloadOptions, ensurePinnedFile, forgetVerifiedFiles, type PinnedFile } from '../../lib/models/download';
import { proxyForUrl } from '../../lib/net/proxy';

const REPO_DIR = resolve(__dirname, '../..');
const FILE_ROUTE = '/weights.onnx';
/** A name only the test proxy knows: reaching it proves the request went through the proxy, not DNS. */
const TLS_HOST = 'models.test';
const PROXY_VARIABLES = ['http_proxy', 'HTTP_PROXY', 'https_proxy', 'HTTPS_PROXY', 'all_proxy', 'ALL_PROXY', 'no_proxy', 'NO_PROXY'];

interface Origin {
	port: number;
	/** Request lines as the origin saw them: method, path and Host header. */
	requests: string[];
	close(): Promise<void>;
}

interface TestProxy {
	url: string;
	port: number;
	/** "CONNECT host:port" or "GET absolute-uri", in arrival order. */
	requests: string[];
	/** Proxy-Authorization headers received, in arrival order. */
	authorizations: (string | undefined)[];
	/** Client connections still open. */
	sockets: Set<Socket>;
	close(): Promise<void>;
}

interface ProxyBehaviour {
	/** Where CONNECT sends each host: authority → local port. Absolute-URI requests go to 127.0.0.1 and their port. */
	tunnels?: Record<string, number>;
	/** Answer everything with this status instead of forwarding it. */
	refuseWith?: number;
	/** Accept CONNECT requests and never answer them. */
	hang?: boolean;
}

let body: Buffer;
let certificate: { cert: string; key: string; path: string };
let workDir: string;
let dest: string;
let logs: string[];
let origin: Origin;
let tlsOrigin: Origin;
let proxy: TestProxy;

beforeAll(async () => {
	body = randomBytes(300_000);
	workDir = await mkdtemp(join(tmpdir(), 'cutout-proxy-'));
	certificate = selfSignedCertificate(workDir, TLS_HOST);
});

afterAll(async () => {
	await rm(workDir, { recursive: true, force: true });
});

beforeEach(async () => {
	forgetVerifiedFiles();
	for (const name of PROXY_VARIABLES) delete process.env[name];
	dest = join(workDir, `${randomBytes(4).toString('hex')}`, 'weights.onnx');
	logs = [];
	origin = await startOrigin();
	tlsOrigin = await startOrigin(certificate);
	proxy = await startProxy({ tunnels: { [`${TLS_HOST}:443`]: tlsOrigin.port } });
});

afterEach(async () => {
	for (const name of PROXY_VARIABLES) delete process.env[name];
	await Promise.all([origin.close(), tlsOrigin.close(), proxy.close()]);
});

describe('downloads through a proxy', () => {
	it('sends plain http as an absolute-URI request to HTTP_PROXY', async () => {
		process.env.HTTP_PROXY = proxy.url;

		await expect(ensurePinnedFile(pin(`http://127.0.0.1:${origin.port}${FILE_ROUTE}`), dest, options())).resolves.toBe(dest);
		expect(await readFile(dest)).toEqual(body);
		expect(proxy.requests).toEqual([`GET http://127.0.0.1:${origin.port}${FILE_ROUTE}`]);
		expect(origin.requests).toEqual([`GET ${FILE_ROUTE} 127.0.0.1:${origin.port}`]);
		expect(logs).toContain(`Connecting to 127.0.0.1:${origin.port} through the proxy ${proxy.url} (from HTTP_PROXY)`);
	});

	it('tunnels https through HTTPS_PROXY with CONNECT and checks the certificate of the target, not the proxy', async () => {
		process.env.HTTPS_PROXY = proxy.url;

		// This process does not trust the test certificate: the TLS handshake ran with the target, through the tunnel.
		const error = await ensurePinnedFile(pin(`https://${TLS_HOST}${FILE_ROUTE}`), dest, options()).catch((failure: Error) => failure);
		expect(error).toMatchObject({
			code: 'model_download_failed',
			message: `Could not download https://${TLS_HOST}${FILE_ROUTE} through the proxy ${proxy.url} (from HTTPS_PROXY): self-signed certificate`,
		});
		expect(proxy.requests).toEqual([`CONNECT ${TLS_HOST}:443`]);
		expect(tlsOrigin.requests).toEqual([]);
		await waitFor(() => proxy.sockets.size === 0);
	});

	it('downloads https through the tunnel in a process that trusts the target certificate', async () => {
		process.env.HTTPS_PROXY = proxy.url;
		const file = pin(`https://${TLS_HOST}${FILE_ROUTE}`);

		const output = await runChild(file, { ...process.env, NODE_EXTRA_CA_CERTS: certificate.path });

		expect(output.trimEnd().split('\n').at(-1)).toBe(dest);
		expect(await readFile(dest)).toEqual(body);
		expect(proxy.requests).toEqual([`CONNECT ${TLS_HOST}:443`]);
		expect(tlsOrigin.requests).toEqual([`GET ${FILE_ROUTE} ${TLS_HOST}`]);
	}, 60_000);

	it('connects directly to hosts listed in NO_PROXY', async () => {
		process.env.HTTP_PROXY = proxy.url;
		process.env.NO_PROXY = `example.com, 127.0.0.1:${origin.port}`;

		await expect(ensurePinnedFile(pin(`http://127.0.0.1:${origin.port}${FILE_ROUTE}`), dest, options())).resolves.toBe(dest);
		expect(proxy.requests).toEqual([]);
		expect(origin.requests).toHaveLength(1);
		expect(logs.join('\n')).not.toContain('proxy');
	});

	it('decides for each redirect whether it goes through the proxy', async () => {
		const redirecting = await startOrigin(undefined, `http://127.0.0.2:${origin.port}${FILE_ROUTE}`);
		try {
			process.env.http_proxy = proxy.url;
			process.env.no_proxy = '127.0.0.1';

			await ensurePinnedFile(pin(`http://127.0.0.1:${redirecting.port}/start`), dest, options());
			expect(redirecting.requests).toEqual([`GET /start 127.0.0.1:${redirecting.port}`]);
			expect(proxy.requests).toEqual([`GET http://127.0.0.2:${origin.port}${FILE_ROUTE}`]);
			expect(origin.requests).toEqual([`GET ${FILE_ROUTE} 127.0.0.2:${origin.port}`]);
		} finally {
			await redirecting.close();
		}
	});

	it('sends the credentials in the proxy URL as Proxy-Authorization, and never shows them', async () => {
		process.env.HTTP_PROXY = `http://cutout:p%40ss-s3cret@127.0.0.1:${proxy.port}`;

		await ensurePinnedFile(pin(`http://127.0.0.1:${origin.port}${FILE_ROUTE}`), dest, options());
		expect(proxy.authorizations).toEqual([`Basic ${Buffer.from('cutout:p@ss-s3cret').toString('base64')}`]);
		expect(logs.join('\n')).not.toMatch(/s3cret|cutout:/);
	});

	it('names the proxy, without its credentials, when it refuses a tunnel', async () => {
		await proxy.close();
		proxy = await startProxy({ refuseWith: 403 });
		process.env.HTTPS_PROXY = `http://cutout:s3cret@127.0.0.1:${proxy.port}`;

		const error = await ensurePinnedFile(pin(`https://${TLS_HOST}${FILE_ROUTE}`), dest, options()).catch((failure: Error) => failure);
		expect(error).toMatchObject({
			code: 'model_download_failed',
			message:
				`Could not download https://${TLS_HOST}${FILE_ROUTE} through the proxy http://127.0.0.1:${proxy.port} (from HTTPS_PROXY): ` +
				`the proxy answered CONNECT ${TLS_HOST}:443 with HTTP 403 Forbidden`,
			hint: expect.stringContaining(`list ${TLS_HOST} in NO_PROXY to connect directly`),
		});
		expect(inspect(error)).not.toMatch(/s3cret|cutout:/);
		expect(logs.join('\n')).not.toMatch(/s3cret|cutout:/);
		expect(proxy.authorizations).toEqual([`Basic ${Buffer.from('cutout:s3cret').toString('base64')}`]);
	});

	it('names the proxy when it refuses a plain http request', async () => {
		await proxy.close();
		proxy = await startProxy({ refuseWith: 407 });
		process.env.HTTP_PROXY = proxy.url;

		await expect(ensurePinnedFile(pin(`http://127.0.0.1:${origin.port}${FILE_ROUTE}`), dest, options())).rejects.toMatchObject({
			code: 'model_download_failed',
			message: `Downloading http://127.0.0.1:${origin.port}${FILE_ROUTE} through the proxy ${proxy.url} (from HTTP_PROXY) failed: HTTP 407 Proxy Authentication Required`,
		});
		expect(origin.requests).toEqual([]);
	});

	it('names the proxy when nothing listens there', async () => {
		const closedPort = proxy.port;
		await proxy.close();
		process.env.HTTPS_PROXY = `http://cutout:s3cret@127.0.0.1:${closedPort}`;

		const error = await ensurePinnedFile(pin(`https://${TLS_HOST}${FILE_ROUTE}`), dest, options()).catch((failure: Error) => failure);
		expect(error).toMatchObject({
			code: 'model_download_failed',
			message: `Could not download https://${TLS_HOST}${FILE_ROUTE} through the proxy http://127.0.0.1:${closedPort} (from HTTPS_PROXY): connect ECONNREFUSED 127.0.0.1:${closedPort}`,
		});
		expect(inspect(error)).not.toMatch(/s3cret|cutout:/);
	});

	it('gives up on a proxy that never answers CONNECT, and closes the connection', async () => {
		await proxy.close();
		proxy = await startProxy({ hang: true });
		process.env.HTTPS_PROXY = proxy.url;

		await expect(ensurePinnedFile(pin(`https://${TLS_HOST}${FILE_ROUTE}`), dest, options({ idleTimeoutMs: 300 }))).rejects.toMatchObject({
			code: 'model_download_failed',
			message: expect.stringContaining(`No data from https://${TLS_HOST}${FILE_ROUTE} through the proxy ${proxy.url} (from HTTPS_PROXY) for 300 ms`),
		});
		await waitFor(() => proxy.sockets.size === 0);
	});

	it('refuses a proxy variable it cannot use, without showing its credentials', async () => {
		process.env.HTTPS_PROXY = 'socks5://127.0.0.1:1080';
		await expect(ensurePinnedFile(pin(`https://${TLS_HOST}${FILE_ROUTE}`), dest, options())).rejects.toMatchObject({
			code: 'invalid_option',
			message: 'HTTPS_PROXY names a socks5: proxy; only http:// and https:// proxies are supported',
		});

		process.env.HTTPS_PROXY = 'http://cutout:s3cret@[proxy';
		const error = await ensurePinnedFile(pin(`https://${TLS_HOST}${FILE_ROUTE}`), dest, options()).catch((failure: Error) => failure);
		expect(error).toMatchObject({ code: 'invalid_option', message: 'HTTPS_PROXY is not a valid proxy URL: "http://…@[proxy"' });
		expect(inspect(error)).not.toMatch(/s3cret|cutout:/);
	});
});

describe('proxyForUrl', () => {
	const proxyOf = (url: string, env: Record<string, string>) => proxyForUrl(new URL(url), env)?.description;

	it('picks the variable for the scheme, lowercase before uppercase, then ALL_PROXY', () => {
		expect(proxyOf('https://h.example/m', { HTTPS_PROXY: 'http://upper:1', https_proxy: 'http://lower:2' })).toBe(
			'the proxy http://lower:2 (from https_proxy)',
		);
		expect(proxyOf('https://h.example/m', { HTTP_PROXY: 'http://plain:3' })).toBeUndefined();
		expect(proxyOf('http://h.example/m', { HTTP_PROXY: 'http://plain:3', ALL_PROXY: 'http://all:4' })).toBe(
			'the proxy http://plain:3 (from HTTP_PROXY)',
		);
		expect(proxyOf('https://h.example/m', { https_proxy: ' ', ALL_PROXY: 'https://all:4' })).toBe('the proxy https://all:4 (from ALL_PROXY)');
		expect(proxyOf('https://h.example/m', { HTTPS_PROXY: 'squid.internal:3128' })).toBe(
			'the proxy http://squid.internal:3128 (from HTTPS_PROXY)',
		);
	});

	it('reads NO_PROXY as n8n does: exact hosts, dot or star suffixes, optional ports, or *', () => {
		const env = (noProxy: string) => ({ HTTPS_PROXY: 'http://squid:3128', NO_PROXY: noProxy });
		const bypassed = (url: string, noProxy: string) => proxyOf(url, env(noProxy)) === undefined;

		expect(bypassed('https://cdn.example.com/m', '*')).toBe(true);
		expect(bypassed('https://cdn.example.com/m', 'other.org, *')).toBe(true);
		expect(bypassed('https://example.com/m', 'example.com')).toBe(true);
		expect(bypassed('https://cdn.example.com/m', 'example.com')).toBe(false);
		expect(bypassed('https://cdn.example.com/m', '.example.com')).toBe(true);
		expect(bypassed('https://example.com/m', '.example.com')).toBe(false);
		expect(bypassed('https://cdn.example.com/m', '*.example.com')).toBe(true);
		expect(bypassed('https://CDN.Example.com/m', 'other.org .EXAMPLE.com')).toBe(true);
		expect(bypassed('https://example.com/m', 'example.com:443')).toBe(true);
		expect(bypassed('https://example.com:8443/m', 'example.com:443')).toBe(false);
		expect(bypassed('https://[::1]:8443/m', '[::1]:8443')).toBe(true);
		expect(bypassed('https://[::1]/m', '::1')).toBe(true);
		expect(bypassed('https://localhost/m', '127.0.0.1')).toBe(false);
		expect(bypassed('https://127.0.0.1/m', '')).toBe(false);
	});
});

// ---- Helpers ----

function pin(url: string): PinnedFile {
	return { url, bytes: body.length, sha256: createHash('sha256').update(body).digest('hex') };
}

function options(overrides: DownloadOptions = {}): DownloadOptions {
	return { allowInsecureLoopback: true, idleTimeoutMs: 5_000, log: (line) => logs.push(line), ...overrides };
}

/** A throwaway certificate for `host`, valid one day; its own issuer, so a process can be told to trust it. */
function selfSignedCertificate(dir: string, host: string): { cert: string; key: string; path: string } {
	const keyPath = join(dir, 'key.pem');
	const certPath = join(dir, 'cert.pem');
	const subject = ['-subj', `/CN=${host}`, '-addext', `subjectAltName=DNS:${host}`];
	const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyPath];
	execFileSync('openssl', ['req', '-x509', '-days', '1', ...subject, ...key, '-out', certPath], { stdio: 'ignore' });
	return { cert: readFileSync(certPath, 'utf8'), key: readFileSync(keyPath, 'utf8'), path: certPath };
}

/** Serves the test file at FILE_ROUTE (over TLS with `tlsOptions`), or redirects every request to `redirectTo`. */
async function startOrigin(tlsOptions?: { cert: string; key: string }, redirectTo?: string): Promise<Origin> {
	const requests: string[] = [];
	const handler: http.RequestListener = (request, response) => {
		requests.push(`${request.method} ${request.url} ${request.headers.host}`);
		if (redirectTo) {
			response.writeHead(302, { location: redirectTo }).end();
		} else if (request.url === FILE_ROUTE) {
			response.writeHead(200, { 'content-length': body.length }).end(body);
		} else {
			response.writeHead(404).end();
		}
	};
	const server = tlsOptions ? https.createServer(tlsOptions, handler) : http.createServer(handler);
	return { port: await listen(server), requests, close: () => close(server) };
}

/** A forward proxy: CONNECT tunnels and absolute-URI requests, as squid or tinyproxy handle them. */
async function startProxy(behaviour: ProxyBehaviour): Promise<TestProxy> {
	const requests: string[] = [];
	const authorizations: (string | undefined)[] = [];
	const sockets = new Set<Socket>();
	const server = http.createServer((request, response) => {
		requests.push(`${request.method} ${request.url}`);
		authorizations.push(request.headers['proxy-authorization']);
		if (behaviour.refuseWith) {
			response.writeHead(behaviour.refuseWith, { 'proxy-authenticate': 'Basic realm="test"' }).end();
			return;
		}
		const target = new URL(request.url ?? '');
		const { 'proxy-authorization': _credentials, ...headers } = request.headers;
		const forwarded = http.get({ host: '127.0.0.1', port: target.port, path: target.pathname, headers }, (upstream) => {
			response.writeHead(upstream.statusCode ?? 502, upstream.headers);
			upstream.pipe(response);
		});
		forwarded.on('error', () => response.destroy());
	});
	server.on('connect', (request: http.IncomingMessage, client: Socket) => {
		requests.push(`CONNECT ${request.url}`);
		authorizations.push(request.headers['proxy-authorization']);
		if (behaviour.hang) {
			// Reading is what notices the client hanging up; the server side is half-open, so it closes its end then.
			client.resume().on('end', () => client.end());
			return;
		}
		const port = behaviour.tunnels?.[request.url ?? ''];
		if (behaviour.refuseWith || port === undefined) {
			client.end(`HTTP/1.1 ${behaviour.refuseWith ?? 502} ${http.STATUS_CODES[behaviour.refuseWith ?? 502]}\r\n\r\n`);
			return;
		}
		const upstream = connect(port, '127.0.0.1', () => {
			client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
			upstream.pipe(client).pipe(upstream);
		});
		upstream.on('error', () => client.destroy());
		client.on('error', () => upstream.destroy());
		client.on('close', () => upstream.destroy());
	});
	server.on('connection', (socket: Socket) => {
		sockets.add(socket);
		socket.on('close', () => sockets.delete(socket));
	});
	const port = await listen(server);
	const closeAll = async () => {
		for (const socket of sockets) socket.destroy();
		await close(server);
	};
	return { url: `http://127.0.0.1:${port}`, port, requests, authorizations, sockets, close: closeAll };
}

async function listen(server: Server): Promise<number> {
	server.listen(0, '127.0.0.1');
	await once(server, 'listening');
	return (server.address() as AddressInfo).port;
}

async function close(server: Server): Promise<void> {
	if (!server.listening) return;
	(server as http.Server).closeAllConnections?.();
	server.close();
	await once(server, 'close');
}

/** Runs ensurePinnedFile in a new Node process with `env` (a trusted CA can only be added at startup). */
async function runChild(file: PinnedFile, env: NodeJS.ProcessEnv): Promise<string> {
	const script = `require(process.argv[1]).ensurePinnedFile(JSON.parse(process.argv[2]), process.argv[3], { log: console.log })
		.then(console.log, (error) => { console.error(error.code, error.message); process.exit(1); });`;
	const args = ['-r', 'ts-node/register/transpile-only', '-e', script, join(REPO_DIR, 'lib/models/download'), JSON.stringify(file), dest];
	const child = spawn(process.execPath, args, { cwd: REPO_DIR, env });
	let output = '';
	for (const stream of [child.stdout, child.stderr]) stream.on('data', (data: Buffer) => (output += data.toString()));
	const [code] = await once(child, 'close');
	if (code !== 0) throw new Error(`Child process exited with ${String(code)}: ${output}`);
	return output;
}

async function waitFor(condition: () => boolean, timeoutMs = 2_000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!condition()) {
		if (Date.now() > deadline) throw new Error(`Condition not met within ${timeoutMs} ms`);
		await new Promise((resolveDelay) => setTimeout(resolveDelay, 10));
	}
}
