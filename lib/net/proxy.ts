import * as http from 'node:http';
import * as https from 'node:https';
import { isIP, type Socket } from 'node:net';
import * as tls from 'node:tls';

import { CutoutError } from '../errors';

/**
 * The forward proxy for one request, read from the standard variables as n8n reads them for its own requests
 * (through the proxy-from-env package): `<scheme>_proxy`, then `all_proxy`, each lowercase before uppercase,
 * unless `no_proxy` lists the host.
 */
export interface ProxyRoute {
	/** Credentials included: for connecting only, never for messages. */
	url: URL;
	/** The variable it came from, e.g. HTTPS_PROXY. */
	variable: string;
	/** "the proxy http://host:port (from HTTPS_PROXY)", without credentials: safe for messages and logs. */
	description: string;
}

type Environment = Record<string, string | undefined>;

const DEFAULT_PORTS: Record<string, number> = { 'http:': 80, 'https:': 443 };

/**
 * The proxy to send a request for `target` through, or undefined to connect directly. NO_PROXY entries are
 * separated by commas or spaces: `*` (every host), `host` (that host only), `.example.com` or `*.example.com`
 * (hosts ending so), each optionally with `:port`. Loopback hosts get no special treatment, as in n8n:
 * list them to keep them off the proxy.
 */
export function proxyForUrl(target: URL, env: Environment = process.env): ProxyRoute | undefined {
	if (!(target.protocol in DEFAULT_PORTS)) return undefined;
	const noProxy = readVariable(env, 'no_proxy');
	if (noProxy && listedInNoProxy(target, noProxy.value)) return undefined;
	const scheme = target.protocol.slice(0, -1);
	const setting = readVariable(env, `${scheme}_proxy`) ?? readVariable(env, 'all_proxy');
	return setting && parseProxy(setting.name, setting.value);
}

/**
 * Sends a GET for `target`, directly or through `route`: plain http as an absolute-URI request to the proxy,
 * https through a CONNECT tunnel with TLS end to end, so the proxy never sees the content and the target's
 * certificate is checked as on a direct connection. Each call has its own connection, closed afterwards.
 */
export async function httpGet(
	target: URL,
	route: ProxyRoute | undefined,
	headers: http.OutgoingHttpHeaders,
	signal: AbortSignal,
): Promise<http.IncomingMessage> {
	if (!route) return await responseTo(clientFor(target), { ...requestTarget(target), agent: false, headers, signal });
	if (target.protocol === 'http:') {
		return await responseTo(clientFor(route.url), {
			...requestTarget(route.url),
			path: `${target.protocol}//${target.host}${target.pathname}${target.search}`,
			agent: false,
			headers: { ...headers, host: target.host, ...proxyAuthorization(route.url) },
			signal,
		});
	}
	const tunnel = await openTunnel(target, route, signal);
	const hostname = unbracketed(target.hostname);
	// No agent, so node:https uses this connection; host and servername let TLS check the target's certificate.
	const createConnection = () => tls.connect({ socket: tunnel, host: hostname, servername: isIP(hostname) ? undefined : hostname });
	return await responseTo(https, { ...requestTarget(target), createConnection, headers: { ...headers, host: target.host }, signal });
}

/** Lowercase first, as proxy-from-env reads them; an empty value counts as unset. */
function readVariable(env: Environment, lowercaseName: string): { name: string; value: string } | undefined {
	for (const name of [lowercaseName, lowercaseName.toUpperCase()]) {
		const value = env[name]?.trim();
		if (value) return { name, value };
	}
	return undefined;
}

function listedInNoProxy(target: URL, noProxy: string): boolean {
	const host = target.hostname;
	const port = Number(target.port) || DEFAULT_PORTS[target.protocol];
	return noProxy
		.toLowerCase()
		.split(/[\s,]+/)
		.some((entry) => {
			if (!entry) return false;
			// A bare IPv6 address has colons of its own: compare it in the brackets URL puts around it.
			const parts = entry.startsWith('[') || entry.split(':').length <= 2 ? /^(.+?)(?::(\d+))?$/.exec(entry) : undefined;
			const entryHost = parts ? parts[1] : `[${entry}]`;
			if (parts?.[2] !== undefined && Number(parts[2]) !== port) return false;
			if (entryHost.startsWith('*')) return host.endsWith(entryHost.slice(1));
			return entryHost.startsWith('.') ? host.endsWith(entryHost) : host === entryHost;
		});
}

function parseProxy(variable: string, value: string): ProxyRoute {
	// A bare host:port is an http proxy, as curl reads it (proxy-from-env would borrow the target's scheme).
	const text = value.includes('://') ? value : `http://${value}`;
	if (!URL.canParse(text)) {
		throw proxyConfigError(variable, `${variable} is not a valid proxy URL: "${text.replace(/\/\/.*@/, '//…@')}"`);
	}
	const url = new URL(text);
	if (!(url.protocol in DEFAULT_PORTS)) {
		throw proxyConfigError(variable, `${variable} names a ${url.protocol} proxy; only http:// and https:// proxies are supported`);
	}
	return { url, variable, description: `the proxy ${url.protocol}//${url.host} (from ${variable})` };
}

function proxyConfigError(variable: string, message: string): CutoutError {
	return new CutoutError('invalid_option', message, `Correct ${variable}, or unset it to connect directly.`);
}

/** Asks the proxy for a raw TCP connection to the target's host and port. */
function openTunnel(target: URL, route: ProxyRoute, signal: AbortSignal): Promise<Socket> {
	const authority = `${target.hostname}:${target.port || DEFAULT_PORTS[target.protocol]}`;
	return new Promise((resolveTunnel, reject) => {
		const request = clientFor(route.url).request({
			...requestTarget(route.url),
			method: 'CONNECT',
			path: authority,
			agent: false,
			headers: { host: authority, ...proxyAuthorization(route.url) },
		});
		// Not the request's own signal option: once the tunnel is up, the https request on it owns the socket.
		const onAbort = () => request.destroy(signal.reason);
		signal.addEventListener('abort', onAbort, { once: true });
		request.on('error', (error) => {
			signal.removeEventListener('abort', onAbort);
			reject(error);
		});
		request.on('connect', (response: http.IncomingMessage, socket: Socket) => {
			signal.removeEventListener('abort', onAbort);
			const status = response.statusCode ?? 0;
			if (status >= 200 && status <= 299) {
				resolveTunnel(socket);
				return;
			}
			socket.destroy();
			reject(new Error(`the proxy answered CONNECT ${authority} with HTTP ${status} ${response.statusMessage ?? ''}`.trimEnd()));
		});
		request.end();
	});
}

function responseTo(client: typeof http | typeof https, options: http.RequestOptions): Promise<http.IncomingMessage> {
	return new Promise((resolveResponse, reject) => {
		const request = client.get(options, resolveResponse);
		request.on('error', reject);
	});
}

function clientFor(url: URL): typeof http | typeof https {
	return url.protocol === 'https:' ? https : http;
}

/** Where node:http(s) connects for `url`, and what it asks for; never the userinfo. */
function requestTarget(url: URL): http.RequestOptions {
	return {
		protocol: url.protocol,
		hostname: unbracketed(url.hostname),
		port: Number(url.port) || DEFAULT_PORTS[url.protocol],
		defaultPort: DEFAULT_PORTS[url.protocol],
		path: `${url.pathname}${url.search}`,
	};
}

/** Basic credentials from the proxy URL's userinfo, percent-decoded as curl does. */
function proxyAuthorization(proxy: URL): { 'proxy-authorization'?: string } {
	if (!proxy.username && !proxy.password) return {};
	const credentials = `${safeDecode(proxy.username)}:${safeDecode(proxy.password)}`;
	return { 'proxy-authorization': `Basic ${Buffer.from(credentials).toString('base64')}` };
}

function safeDecode(text: string): string {
	try {
		return decodeURIComponent(text);
	} catch {
		return text;
	}
}

function unbracketed(hostname: string): string {
	return hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
}
