/**
 * fal's Platform API (pricing, usage) lives on api.fal.ai, not on the queue host. With the default Base URL
 * it is reached there; a custom Base URL (a proxy or gateway serving fal's APIs under one host, or a test's
 * 127.0.0.1) is taken to serve it too. The credential test and the execution's account lookup share this rule.
 */
const DEFAULT_QUEUE_URL = 'https://queue.fal.run';
const PLATFORM_URL = 'https://api.fal.ai';

export function falPlatformUrl(baseUrl: string): string {
	return baseUrl.startsWith(DEFAULT_QUEUE_URL) ? PLATFORM_URL : baseUrl;
}

/** falPlatformUrl as an n8n expression over the credential, for the declarative credential test. */
export const FAL_PLATFORM_URL_EXPRESSION = `={{ $credentials.baseUrl.startsWith('${DEFAULT_QUEUE_URL}') ? '${PLATFORM_URL}' : $credentials.baseUrl }}`;
