import { isLoopbackHost } from '../net/loopback';
import type { ProviderSession } from './session';

const DEFAULT_MAX_DOWNLOAD_BYTES = 200 * 1024 * 1024;

/**
 * Fetches a result file a provider linked to (fal's image.url), without the API key: those files live on a
 * separate file host. Only https is followed, except plain http between loopback hosts when the provider's
 * own base URL is loopback (a local mock or proxy). The body is streamed and capped.
 */
export async function downloadResultFile(session: ProviderSession, url: unknown, what: string): Promise<Buffer> {
	const target = checkedResultUrl(session, url, what);
	const response = await session.image({
		method: 'GET',
		url: target.href,
		authenticate: false,
		maxResponseBytes: session.context.maxDownloadBytes ?? DEFAULT_MAX_DOWNLOAD_BYTES,
	});
	return response.body;
}

function checkedResultUrl(session: ProviderSession, url: unknown, what: string): URL {
	let target: URL;
	try {
		target = new URL(String(url));
	} catch {
		throw session.badResponse(undefined, `the ${what} URL ${JSON.stringify(url)} is not a URL`);
	}
	if (target.protocol === 'https:') return target;
	const base = new URL(session.context.baseUrl);
	if (target.protocol === 'http:' && isLoopbackHost(base.hostname) && isLoopbackHost(target.hostname)) return target;
	throw session.badResponse(undefined, `refused to fetch the ${what} from ${target.protocol}//${target.host}: only https is allowed`);
}
