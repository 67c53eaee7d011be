import { sniffImageFormat } from '../../image/format';
import { isLoopbackHost } from '../../net/loopback';
import type { ProviderSession } from './session';

const DEFAULT_MAX_DOWNLOAD_BYTES = 200 * 1024 * 1024;

/**
 * A result file a provider returned, as fal's File type carries it: inline as `file_data` (base64) or a
 * `data:` URI in `url` (fal's sync_mode, which keeps results out of its request history), or a link to a
 * separate file host. Inline data is decoded under the same cap as a download and must sniff as an image.
 */
export async function readResultFile(session: ProviderSession, file: Record<string, unknown>, what: string): Promise<Buffer> {
	const maxBytes = session.context.maxDownloadBytes ?? DEFAULT_MAX_DOWNLOAD_BYTES;
	if (typeof file.file_data === 'string' && file.file_data) return inlineImage(session, file.file_data, 'file_data', what, maxBytes);
	if (typeof file.url === 'string' && /^data:/i.test(file.url)) {
		const match = /^data:[^,]*?(;base64)?,(.*)$/is.exec(file.url);
		if (!match) throw session.badResponse(undefined, `the ${what} is a data: URI that could not be read`);
		if (!match[1]) throw session.badResponse(undefined, `the ${what} is a data: URI that is not base64`);
		return inlineImage(session, match[2], 'data: URI', what, maxBytes);
	}
	return downloadResultFile(session, file.url, what, maxBytes);
}

function inlineImage(session: ProviderSession, base64: string, carrier: string, what: string, maxBytes: number): Buffer {
	// 4 base64 characters per 3 bytes: a result over the cap is refused before it is decoded.
	if (Math.floor((base64.replace(/[=\s]+$/, '').length * 3) / 4) > maxBytes) {
		throw session.badResponse(undefined, `the ${what} (${carrier}) is more than ${maxBytes} bytes, the limit for a result file`);
	}
	const data = Buffer.from(base64, 'base64');
	// The declared content type is not trusted: the bytes must be an image a decoder recognises.
	if (!sniffImageFormat(data)) throw session.badResponse(undefined, `the ${what} (${carrier}) is not an image`);
	return data;
}

/**
 * Fetches a linked result file without the API key: those files live on a separate file host. Only https
 * is followed, except plain http between loopback hosts when the provider's own base URL is loopback (a
 * local mock or proxy). The body is streamed and capped.
 */
async function downloadResultFile(session: ProviderSession, url: unknown, what: string, maxBytes: number): Promise<Buffer> {
	const target = checkedResultUrl(session, url, what);
	const response = await session.image({ method: 'GET', url: target.href, authenticate: false, maxResponseBytes: maxBytes });
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
