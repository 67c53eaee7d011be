import { describeErrorBody, errorFromResponse, ProviderError, statusMeaning } from '../../lib/providers/http/errors';
import { removebg } from '../../lib/providers/clients/removebg';
import { withoutbg } from '../../lib/providers/clients/withoutbg';

const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const noRedaction = (text: string) => text;

describe('describeErrorBody', () => {
	it('reads FastAPI detail strings and validation lists (fal, withoutBG, knockout)', () => {
		expect(describeErrorBody(json({ detail: 'Insufficient credit' }), 'application/json')).toEqual({ message: 'Insufficient credit' });
		expect(
			describeErrorBody(
				json({ detail: [{ loc: ['body', 'operating_resolution'], msg: 'Input should be 1024x1024', type: 'literal_error' }, { msg: 'second' }] }),
				'application/json',
			).message,
		).toBe('body.operating_resolution: Input should be 1024x1024; second');
	});

	it("reads remove.bg's errors list with codes", () => {
		const body = json({ errors: [{ title: 'File too large', code: 'file_too_large', detail: 'Max 12 MB' }, { title: 'Also this' }] });
		expect(describeErrorBody(body, 'application/json')).toEqual({ message: 'File too large – Max 12 MB; Also this', code: 'file_too_large' });
	});

	it("reads Clipdrop's error string and coded error objects with request ids", () => {
		expect(describeErrorBody(json({ error: 'Invalid API key' }), 'application/json')).toEqual({ message: 'Invalid API key' });
		expect(
			describeErrorBody(json({ error: { code: 'empty_mask', message: 'Mask has no pixels to inpaint.' }, request_id: 'req_9' }), 'application/json'),
		).toEqual({ message: 'Mask has no pixels to inpaint.', code: 'empty_mask', requestId: 'req_9' });
	});

	it('summarises HTML error pages by their title, never their markup', () => {
		const html = Buffer.from('<!DOCTYPE html><html><head><title>502 Bad Gateway</title><style>x{}</style></head><body>…</body></html>');
		expect(describeErrorBody(html, 'text/html').message).toBe('an HTML error page ("502 Bad Gateway")');
		expect(describeErrorBody(Buffer.from('<html><body>oops</body></html>'), '').message).toBe('an HTML error page');
	});

	it('keeps malformed JSON and plain text as clipped text', () => {
		expect(describeErrorBody(Buffer.from('{"detail": "trunc'), 'application/json').message).toBe('{"detail": "trunc');
		expect(describeErrorBody(Buffer.from('x'.repeat(1000)), 'text/plain').message).toHaveLength(300);
		expect(describeErrorBody(Buffer.alloc(0), '')).toEqual({});
	});
});

describe('status meanings', () => {
	it('say plainly what 401, 402 and 403 mean for each provider', () => {
		expect(statusMeaning(401)).toBe('invalid_key');
		expect(statusMeaning(402)).toBe('out_of_credits');
		expect(statusMeaning(403, withoutbg.statusMeanings)).toBe('credits_expired');
		expect(statusMeaning(403, removebg.statusMeanings)).toBe('invalid_key');
		expect(statusMeaning(429)).toBe('rate_limited');
		expect(statusMeaning(503)).toBe('provider_error');
		expect(statusMeaning(400)).toBe('rejected');
		expect(statusMeaning(413)).toBe('too_many_bytes');
		expect(statusMeaning(415)).toBe('unsupported_format');
		expect(statusMeaning(422)).toBe('invalid_option');
	});

	it('builds one readable message with status, provider words, code, request id and a hint', () => {
		const error = errorFromResponse(
			'withoutBG',
			{ status: 403, headers: { 'content-type': 'application/json', 'x-request-id': 'abc-123' }, body: json({ detail: 'Credits expired on 2026-09-05' }) },
			withoutbg.statusMeanings ?? {},
			noRedaction,
		);
		expect(error).toBeInstanceOf(ProviderError);
		expect(error.message).toBe(
			"withoutBG: credits expired (HTTP 403): Credits expired on 2026-09-05 (request abc-123). The account's credits have expired; renew them in the provider's dashboard, or switch Engine to Local.",
		);
		expect(error).toMatchObject({ status: 403, code: 'credits_expired', requestId: 'abc-123', provider: 'withoutBG' });
		// Said in the message, so not again as the description's hint.
		expect(error.hint).toBeUndefined();
	});
});
