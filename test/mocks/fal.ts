import { MockProviderServer, type MockRequest, type MockResponse, pngResponse } from './server';
import { readPlane, toyCutoutPng, toyInpaintPng, toyMaskPng } from './toyModels';

/**
 * fal.ai: `Authorization: Key <key>`, JSON bodies with data: URIs, the queue protocol (submit → status
 * IN_QUEUE → IN_PROGRESS → COMPLETED → result, cancel), the sync host under /sync, and result files on a
 * separate, unauthenticated file host (/files here). The returned status and response URLs drop the model's
 * subpath (/v2), as fal's do. With `sync_mode` the files come back inline as data: URIs and nothing is
 * stored (fal's request history keeps no copy); `inlineFileData` sends them as File.file_data instead.
 */
export interface FalMockState {
	/** Jobs stay IN_PROGRESS forever. */
	neverComplete: boolean;
	/** Where result file URLs point; the mock's own origin unless a test changes it. */
	fileBase?: string;
	cancelled: string[];
	/** Result files carry their bytes in `file_data`, next to a URL that serves nothing. */
	inlineFileData: boolean;
	/** The content type inline results claim (fal's own is the output format's). */
	inlineContentType: string;
}

interface Job {
	model: string;
	input: Record<string, unknown>;
	polls: number;
}

const MODELS: Record<string, string> = { 'fal-ai/birefnet/v2': 'fal-ai/birefnet', 'fal-ai/bria/eraser': 'fal-ai/bria' };
const DYNAMIC = 'General Use (Dynamic)';
/** USD per image; Bria Eraser's from its page, BiRefNet's is not published (fal shows $0). */
const PRICES: Record<string, number> = { 'fal-ai/birefnet/v2': 0, 'fal-ai/bria/eraser': 0.04 };

export function falMock(apiKey: string): MockProviderServer & { fal: FalMockState } {
	const state: FalMockState = { neverComplete: false, cancelled: [], inlineFileData: false, inlineContentType: 'image/png' };
	const jobs = new Map<string, Job>();
	const files = new Map<string, Buffer>();
	let counter = 0;

	const fileUrl = async (id: string, name: string, data: Buffer, inline: boolean) => {
		const described = { content_type: 'image/png', file_name: name, file_size: data.length };
		if (inline) return { ...described, url: `data:${state.inlineContentType};base64,${data.toString('base64')}` };
		if (state.inlineFileData) return { ...described, url: `${state.fileBase ?? server.baseUrl}/files/${id}/gone`, file_data: data.toString('base64') };
		files.set(`${id}/${name}`, data);
		return { ...described, url: `${state.fileBase ?? server.baseUrl}/files/${id}/${name}` };
	};

	const decodeDataUri = (value: unknown): Buffer | undefined => {
		const match = typeof value === 'string' ? /^data:image\/[\w.+-]+;base64,(.+)$/.exec(value) : null;
		return match ? Buffer.from(match[1], 'base64') : undefined;
	};

	/** Runs the model, or answers as fal does for invalid input (422, detail list). */
	const run = async (id: string, job: Job): Promise<MockResponse> => {
		const inline = job.input.sync_mode === true;
		const image = decodeDataUri(job.input.image_url);
		if (!image) return { status: 422, body: { detail: [{ loc: ['body', 'image_url'], msg: 'Could not read the image', type: 'image_load_error' }] } };
		if (job.model === 'fal-ai/bria/eraser') {
			const mask = decodeDataUri(job.input.mask_url);
			if (!mask) return { status: 422, body: { detail: [{ loc: ['body', 'mask_url'], msg: 'Field required', type: 'missing' }] } };
			return { body: { image: await fileUrl(id, 'erased.png', await toyInpaintPng(image, (await readPlane(mask)).plane, server.alterOutsideRegion), inline) } };
		}
		if (job.input.operating_resolution === '2304x2304' && job.input.model !== DYNAMIC) {
			return {
				status: 422,
				body: { detail: [{ loc: ['body', 'operating_resolution'], msg: '2304x2304 needs General Use (Dynamic)', type: 'value_error' }] },
			};
		}
		const output: Record<string, unknown> = { image: await fileUrl(id, 'cutout.png', await toyCutoutPng(image), inline) };
		if (job.input.output_mask === true) output.mask_image = await fileUrl(id, 'mask.png', await toyMaskPng(image), inline);
		return { body: output };
	};

	const submit = (model: string) => (request: MockRequest): MockResponse => {
		const id = `req-${++counter}`;
		jobs.set(id, { model, input: request.json as Record<string, unknown>, polls: 0 });
		const requestBase = `${server.baseUrl}/${MODELS[model]}/requests/${id}`;
		return {
			body: { request_id: id, response_url: requestBase, status_url: `${requestBase}/status`, cancel_url: `${requestBase}/cancel`, queue_position: 2 },
		};
	};

	const status = (request: MockRequest, match: RegExpExecArray): MockResponse => {
		const job = jobs.get(match[1]);
		if (!job) return { status: 404, body: { detail: 'Request not found' } };
		job.polls++;
		if (job.polls === 1) return { status: 202, body: { status: 'IN_QUEUE', queue_position: 1, response_url: request.path } };
		if (job.polls === 2 || state.neverComplete) return { status: 202, body: { status: 'IN_PROGRESS', logs: [] } };
		return { body: { status: 'COMPLETED', logs: [], metrics: { inference_time: 0.42 } } };
	};

	const result = async (_request: MockRequest, match: RegExpExecArray): Promise<MockResponse> => {
		const job = jobs.get(match[1]);
		if (!job) return { status: 404, body: { detail: 'Request not found' } };
		if (job.polls < 3 || state.neverComplete) return { status: 400, body: { detail: 'Request is still in progress' } };
		return run(match[1], job);
	};

	const sync = (model: string) => async (request: MockRequest): Promise<MockResponse> => {
		const id = `sync-${++counter}`;
		const response = await run(id, { model, input: request.json as Record<string, unknown>, polls: 3 });
		return { ...response, headers: { 'x-fal-request-id': id } };
	};

	const server = new MockProviderServer(
		{ header: 'authorization', expected: `Key ${apiKey}`, reject: () => ({ status: 401, body: { detail: 'Invalid Key' } }) },
		[
			{ method: 'POST', path: /^\/fal-ai\/birefnet\/v2$/, handle: submit('fal-ai/birefnet/v2') },
			{ method: 'POST', path: /^\/fal-ai\/bria\/eraser$/, handle: submit('fal-ai/bria/eraser') },
			{ method: 'GET', path: /^\/fal-ai\/(?:birefnet|bria)\/requests\/([\w-]+)\/status$/, handle: status },
			{ method: 'GET', path: /^\/fal-ai\/(?:birefnet|bria)\/requests\/([\w-]+)$/, handle: result },
			{
				method: 'PUT',
				path: /^\/fal-ai\/(?:birefnet|bria)\/requests\/([\w-]+)\/cancel$/,
				handle: (_request, match) => {
					state.cancelled.push(match[1]);
					return { status: 202, body: { status: 'CANCELLATION_REQUESTED' } };
				},
			},
			// The Platform API's pricing lookup (api.fal.ai in production), served on this one host.
			{
				method: 'GET',
				path: /^\/v1\/models\/pricing$/,
				handle: (request) => {
					const endpoint = request.query.get('endpoint_id') ?? '';
					const price = PRICES[endpoint];
					if (price === undefined) return { status: 404, body: { detail: `No pricing for ${endpoint}` } };
					return { body: { prices: [{ endpoint_id: endpoint, unit_price: price, unit: 'image', currency: 'USD' }], next_cursor: null, has_more: false } };
				},
			},
			{ method: 'POST', path: /^\/sync\/fal-ai\/birefnet\/v2$/, handle: sync('fal-ai/birefnet/v2') },
			{ method: 'POST', path: /^\/sync\/fal-ai\/bria\/eraser$/, handle: sync('fal-ai/bria/eraser') },
			{
				method: 'GET',
				path: /^\/files\/([\w-]+\/[\w.-]+)$/,
				auth: false,
				handle: (_request, match) => {
					const data = files.get(match[1]);
					return data ? pngResponse(data) : { status: 404, body: { detail: 'No such file' } };
				},
			},
		],
	);
	return Object.assign(server, { fal: state });
}
