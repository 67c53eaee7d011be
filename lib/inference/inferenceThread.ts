import { Worker } from 'node:worker_threads';

// The main thread needs ORT's tensor type only, which is plain JavaScript; the native runtime loads on the worker.
import * as ort from 'onnxruntime-common';

import { CutoutError } from '../errors';

/**
 * ONNX Runtime on a worker thread of its own. onnxruntime-node loads models and runs them synchronously on
 * the thread that calls it (its `run` is a setImmediate around a blocking call), so on n8n's main thread every
 * forward pass (ISNet: 0.85 s here), model load (1.2 s), first-ever graph optimisation (9 s) and int8 build
 * froze the whole process for that long: the editor, webhooks, other executions, a queue worker's job-lock
 * renewals. Here one thread holds every session; the main thread sends inputs and gets outputs back.
 *
 * The worker's code is a string evaluated by Node (no file to find beside compiled or ts-node sources); it
 * requires onnxruntime-node from this package's own dependencies. Where its native library cannot load (musl:
 * Alpine, on which n8n's official Docker image is built; onnxruntime-node ships glibc binaries), every request
 * gets that reason back, so our nodes still load and the hosted engines still work.
 */
const WORKER_CODE = `
const { createHash } = require('node:crypto');
const { open } = require('node:fs/promises');
const { parentPort, workerData } = require('node:worker_threads');
let ort;
let runtimeError;
try {
	ort = require('node:module').createRequire(workerData.requireFrom)('onnxruntime-node');
} catch (error) {
	runtimeError = String(error && error.message ? error.message : error).split('\\n')[0];
}
const sessions = new Map();
/** The file bytes a session's weights live in (ORT format, used in place): kept exactly as long as it. */
const sessionBytes = new Map();
let nextSession = 1;
class IntegrityError extends Error {}
/**
 * A cached ORT-format graph (lib/models/ortFormat.ts), checked against the SHA-256 its manifest gives before
 * ORT sees it, so the hash covers the very bytes that run. Only the ranges in use are read, into memory whose
 * start is page-aligned, so the weights keep the 64-byte alignment they have in the file. A fresh buffer's
 * pages are faulted in by the thread that first writes them, which is most of a read's time on a VM (about
 * 13 µs a page here), and this thread's first read of each page costs several µs more again, so the work is
 * spread over three threads: two of libuv's read the file's pieces in order, two at a time, while this one
 * hashes each piece as soon as it is in. ISNet's 176 MB: 0.54-0.57 s, against 0.62-0.66 s reading in two
 * halves and then hashing (bench/RESULTS.md).
 */
async function readCheckedFile({ path, sha256, size, ranges }) {
	const file = await open(path);
	const reads = [];
	try {
		const bytes = pageAligned(size);
		const parts = pieces(ranges);
		const hash = createHash('sha256');
		const readPart = (index) => {
			if (index >= parts.length) return;
			const read = readRange(file, bytes, parts[index]);
			// Awaited in turn below; until then a failure must not count as unhandled.
			read.catch(() => {});
			reads.push(read);
		};
		readPart(0);
		readPart(1);
		for (const [index, [start, end]] of parts.entries()) {
			await reads[index];
			readPart(index + 2);
			hash.update(bytes.subarray(start, end));
		}
		if (hash.digest('hex') !== sha256) throw new IntegrityError(path + ' does not match the SHA-256 its manifest gives');
		return bytes;
	} finally {
		await Promise.allSettled(reads);
		await file.close();
	}
}
/** WebAssembly memory starts on a page; its pages, like a Buffer's, are only backed once written. */
function pageAligned(size) {
	try {
		return Buffer.from(new WebAssembly.Memory({ initial: Math.ceil(size / 65536) }).buffer, 0, size);
	} catch {
		return Buffer.allocUnsafeSlow(size);
	}
}
/** The ranges cut into pieces of at most 8 MiB, in order: small enough that hashing trails reading closely. */
function pieces(ranges) {
	const list = [];
	for (const [start, end] of ranges) {
		for (let at = start; at < end; at += PIECE_BYTES) list.push([at, Math.min(end, at + PIECE_BYTES)]);
	}
	return list;
}
const PIECE_BYTES = 8 << 20;
async function readRange(file, bytes, [start, end]) {
	for (let at = start; at < end; ) {
		const { bytesRead } = await file.read(bytes, at, end - at, at);
		if (bytesRead === 0) throw new IntegrityError('the file ended before byte ' + end);
		at += bytesRead;
	}
}
/** ORT's session options for a model held in place: no copy of the file's bytes, nor of its weights. */
function inPlaceOptions(options) {
	const extra = options.extra || {};
	const session = { ...extra.session, use_ort_model_bytes_directly: '1', use_ort_model_bytes_for_initializers: '1' };
	return { ...options, extra: { ...extra, session } };
}
function tensorMessage(tensor) {
	return { type: tensor.type, data: tensor.data, dims: tensor.dims };
}
async function handle(request) {
	if (runtimeError !== undefined) return { transfer: [], reply: { runtimeError } };
	switch (request.kind) {
		case 'create': {
			const checked = request.model.checkedOrtFile;
			const bytes = checked ? await readCheckedFile(checked) : undefined;
			const session = bytes
				? await ort.InferenceSession.create(bytes, inPlaceOptions(request.options))
				: await ort.InferenceSession.create(request.model, request.options);
			if (request.releaseAtOnce) {
				await session.release();
				return { transfer: [], reply: {} };
			}
			const handle = nextSession++;
			sessions.set(handle, session);
			if (bytes) sessionBytes.set(handle, bytes);
			return { transfer: [], reply: { handle, inputNames: session.inputNames, outputNames: session.outputNames } };
		}
		case 'run': {
			const session = sessions.get(request.handle);
			if (!session) throw new Error('the session was released');
			const feeds = {};
			for (const [name, feed] of Object.entries(request.feeds)) feeds[name] = new ort.Tensor(feed.type, feed.data, feed.dims);
			const results = await session.run(feeds, request.fetches);
			const outputs = {};
			const transfer = [];
			for (const [name, tensor] of Object.entries(results)) {
				outputs[name] = tensorMessage(tensor);
				transfer.push(tensor.data.buffer);
			}
			return { transfer, reply: { outputs } };
		}
		case 'release': {
			const session = sessions.get(request.handle);
			sessions.delete(request.handle);
			if (session) await session.release();
			sessionBytes.delete(request.handle);
			return { transfer: [], reply: {} };
		}
	}
	throw new Error('unknown request ' + request.kind);
}
parentPort.on('message', (request) => {
	handle(request).then(
		({ transfer, reply }) => {
			// Outputs are moved, not copied, where ONNX Runtime's buffers allow it.
			try {
				parentPort.postMessage({ id: request.id, ...reply }, transfer);
			} catch {
				parentPort.postMessage({ id: request.id, ...reply });
			}
		},
		(error) =>
			parentPort.postMessage({
				id: request.id,
				error: String(error && error.message ? error.message : error),
				...(error instanceof IntegrityError ? { integrity: true } : {}),
			}),
	);
});
`;

/**
 * A model for ONNX Runtime: a file's path, its bytes, or a graph cached in ORT format and laid out by
 * lib/models/ortFormat.ts, which the thread reads, checks and runs in place (its weights are not copied out
 * of the file's bytes).
 */
export type ThreadModel = string | Uint8Array | CheckedOrtFile;

export interface CheckedOrtFile {
	checkedOrtFile: {
		path: string;
		/** SHA-256 of the bytes in `ranges`, in order. */
		sha256: string;
		size: number;
		/** [start, end) of each range of bytes in use, ascending. */
		ranges: Array<[number, number]>;
	};
}

type Request =
	| { kind: 'create'; model: ThreadModel; options: ort.InferenceSession.SessionOptions; releaseAtOnce?: boolean }
	| { kind: 'run'; handle: number; feeds: Record<string, TensorMessage>; fetches: readonly string[] }
	| { kind: 'release'; handle: number };

interface TensorMessage {
	type: ort.Tensor.Type;
	data: ort.Tensor.DataType;
	dims: readonly number[];
}

interface Reply {
	id: number;
	error?: string;
	/** Why onnxruntime-node could not be loaded at all. */
	runtimeError?: string;
	/** The error is a checked file that is not what its manifest says. */
	integrity?: true;
	handle?: number;
	inputNames?: string[];
	outputNames?: string[];
	outputs?: Record<string, TensorMessage>;
}

/** What the rest of the core uses of a session; ThreadSession provides it. */
export interface InferenceSession {
	readonly inputNames: readonly string[];
	readonly outputNames: readonly string[];
	run(feeds: Record<string, ort.Tensor>, fetches: readonly string[]): Promise<Record<string, ort.Tensor>>;
	release(): Promise<void>;
}

let thread: InferenceThread | undefined;

/** Called when the worker stopped: its sessions are gone, so whoever keeps them must forget them. */
const lostListeners = new Set<() => void>();

export function onInferenceThreadLost(listener: () => void): void {
	lostListeners.add(listener);
}

class InferenceThread {
	private readonly worker: Worker;
	private readonly pending = new Map<number, { resolve: (reply: Reply) => void; reject: (error: Error) => void }>();
	private nextId = 1;
	private stopped: Error | undefined;

	constructor() {
		this.worker = new Worker(WORKER_CODE, { eval: true, workerData: { requireFrom: __filename } });
		// Only a request in flight keeps the process alive (see ask).
		this.worker.unref();
		this.worker.on('message', (reply: Reply) => this.settle(reply));
		this.worker.on('error', (error) => this.stop(error));
		this.worker.on('exit', (code) => this.stop(new Error(`the inference thread exited (code ${code})`)));
	}

	ask(request: Request, transfer: ArrayBuffer[] = []): Promise<Reply> {
		if (this.stopped) return Promise.reject(this.stopped);
		const id = this.nextId++;
		if (this.pending.size === 0) this.worker.ref();
		return new Promise<Reply>((resolve, reject) => {
			this.pending.set(id, { resolve, reject });
			this.worker.postMessage({ ...request, id }, transfer);
		});
	}

	terminate(): Promise<number> {
		this.stop(new Error('the inference thread was stopped'));
		return this.worker.terminate();
	}

	private settle(reply: Reply): void {
		const waiting = this.pending.get(reply.id);
		this.pending.delete(reply.id);
		if (this.pending.size === 0) this.worker.unref();
		if (!waiting) return;
		if (reply.runtimeError !== undefined) waiting.reject(runtimeUnavailable(reply.runtimeError));
		else if (reply.integrity) waiting.reject(new CutoutError('model_integrity', reply.error ?? 'model file damaged'));
		else if (reply.error !== undefined) waiting.reject(new Error(reply.error));
		else waiting.resolve(reply);
	}

	private stop(error: Error): void {
		if (this.stopped) return;
		this.stopped = error;
		for (const { reject } of this.pending.values()) reject(error);
		this.pending.clear();
		if (thread === this) thread = undefined;
		for (const listener of lostListeners) listener();
	}
}

function runtimeUnavailable(reason: string): CutoutError {
	return new CutoutError(
		'model_unavailable',
		`ONNX Runtime cannot run on this system: ${reason}`,
		"onnxruntime-node ships binaries for glibc Linux, macOS and Windows, not for musl (Alpine, the base of n8n's official Docker image). Run n8n on a glibc-based image such as Debian or Ubuntu, or choose a hosted engine.",
	);
}

function inferenceThread(): InferenceThread {
	thread ??= new InferenceThread();
	return thread;
}

class ThreadSession implements InferenceSession {
	constructor(
		private readonly owner: InferenceThread,
		private readonly handle: number,
		readonly inputNames: readonly string[],
		readonly outputNames: readonly string[],
	) {}

	async run(feeds: Record<string, ort.Tensor>, fetches: readonly string[]): Promise<Record<string, ort.Tensor>> {
		const messages: Record<string, TensorMessage> = {};
		// Copied, not transferred: the caller's buffers stay its own (they are often lent by the pixel pool).
		for (const [name, tensor] of Object.entries(feeds)) messages[name] = { type: tensor.type, data: tensor.data, dims: tensor.dims };
		const { outputs = {} } = await this.owner.ask({ kind: 'run', handle: this.handle, feeds: messages, fetches });
		return Object.fromEntries(Object.entries(outputs).map(([name, output]) => [name, new ort.Tensor(output.type, output.data, output.dims)]));
	}

	async release(): Promise<void> {
		await this.owner.ask({ kind: 'release', handle: this.handle }).catch(() => undefined);
	}
}

/** A session on the inference thread (bytes are copied to it). */
export async function createThreadSession(model: ThreadModel, options: ort.InferenceSession.SessionOptions): Promise<InferenceSession> {
	const owner = inferenceThread();
	const reply = await owner.ask({ kind: 'create', model, options });
	return new ThreadSession(owner, reply.handle!, reply.inputNames!, reply.outputNames!);
}

/** Lets ONNX Runtime load (and, given optimizedModelFilePath, optimise and save) a model without keeping it. */
export async function loadAndRelease(model: Uint8Array, options: ort.InferenceSession.SessionOptions): Promise<void> {
	await inferenceThread().ask({ kind: 'create', model, options, releaseAtOnce: true });
}

/** Stops the thread (its sessions with it); the next session starts a new one. */
export async function stopInferenceThread(): Promise<void> {
	await thread?.terminate();
}
