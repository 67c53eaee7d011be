import * as ort from 'onnxruntime-common';

import { CutoutError } from '../errors';
import type { ModelWeights } from '../models/weights';
import { intraOpThreadCount } from './cpuCores';
import {
	type CheckedOrtFile,
	createThreadSession,
	type InferenceSession,
	loadAndRelease,
	onInferenceThreadLost,
	stopInferenceThread,
	type ThreadModel,
} from './inferenceThread';

export type { CheckedOrtFile, InferenceSession } from './inferenceThread';

/**
 * One ONNX session per model per process, created on first use and shared by every item and execution.
 * The map holds promises so that concurrent first uses wait for the same creation; a failed creation is
 * forgotten so the next item can try again (after a fixed download, say).
 */
const sessions = new Map<string, Promise<InferenceSession>>();
onInferenceThreadLost(() => sessions.clear());

export function getSession(key: string, loadWeights: () => Promise<ModelWeights>): Promise<InferenceSession> {
	return sharedSession(key, async () => openSession(key, await loadWeights()));
}

/** getSession for callers that open the session themselves (see optimizedGraphCache.ts). */
export function sharedSession(key: string, open: () => Promise<InferenceSession>): Promise<InferenceSession> {
	let session = sessions.get(key);
	if (!session) {
		session = open();
		sessions.set(key, session);
		session.catch(() => sessions.delete(key));
	}
	return session;
}

export async function releaseSessions(): Promise<void> {
	const all = [...sessions.values()];
	sessions.clear();
	await Promise.all(all.map((session) => session.then((s) => s.release(), () => undefined)));
	await stopInferenceThread();
}

export function sessionCount(): number {
	return sessions.size;
}

export function sessionOptions(env: NodeJS.ProcessEnv = process.env): ort.InferenceSession.SessionOptions {
	const threads = Number(env.CUTOUT_ORT_THREADS ?? 0);
	return {
		graphOptimizationLevel: 'all',
		executionMode: 'sequential',
		// One per physical core, counted by us where ORT's own count (0) can be wrong: see cpuCores.ts.
		intraOpNumThreads: Number.isInteger(threads) && threads > 0 ? threads : (intraOpThreadCount() ?? 0),
		// No memory pattern: from the second run on it plans one block for a whole run and takes it from the
		// arena beside what the first run left there, for good (ISNet at 1024²: +450 MB over the arena's 470 MB),
		// while CPU time per run was no higher without it (bench/RESULTS.md).
		enableMemPattern: false,
		// CUTOUT_LOW_MEMORY=1 also turns the arena off: a run then hands its memory back, but every run maps
		// and zeroes its tensors afresh (forward 15–25 % slower), so it is opt-in.
		...(env.CUTOUT_LOW_MEMORY === '1' ? { enableCpuMemArena: false } : {}),
	};
}

/** The ONNX Runtime this process runs: an optimised graph saved by one version is not for another. */
export const ORT_VERSION: string = ort.env.versions.common;

/**
 * Lets ONNX Runtime optimise a graph up to `level` and save the result to `path` as ONNX or in ORT's own format
 * (a flatbuffer whose weights a later session can use where they lie: see openSession); the session is only
 * a means to that end and is released at once. Errors only in ORT's log: at level 'all' it warns that the file
 * is tied to this CPU, which the caller keys it by (lib/models/layoutFingerprint.ts).
 */
export async function writeOptimizedGraph(
	graph: Uint8Array,
	path: string,
	level: ort.InferenceSession.SessionOptions['graphOptimizationLevel'],
	format: 'ONNX' | 'ORT',
): Promise<void> {
	const options = {
		...sessionOptions(),
		graphOptimizationLevel: level,
		optimizedModelFilePath: path,
		logSeverityLevel: 3 as const,
		extra: { session: { save_model_format: format } },
	};
	await loadAndRelease(graph, options);
}

export async function openSession(key: string, weights: ModelWeights | CheckedOrtFile): Promise<InferenceSession> {
	const model: ThreadModel = 'path' in weights ? weights.path : 'bytes' in weights ? weights.bytes : weights;
	try {
		return await createThreadSession(model, sessionOptions());
	} catch (error) {
		// Already says what is wrong (ONNX Runtime itself cannot load here, a checked file is damaged).
		if (error instanceof CutoutError) throw error;
		throw new CutoutError(
			'model_unavailable',
			`ONNX Runtime could not load model "${key}": ${(error as Error).message.split('\n')[0]}`,
			'The file is not a valid ONNX model for this ONNX Runtime version.',
		);
	}
}

/**
 * Runs the session for one named output, after checking that the inputs and the output exist (a model
 * whose tensors do not match its contract is reported as such). The caller disposes the returned tensor.
 */
export async function runForOutput(
	session: InferenceSession,
	feeds: Record<string, ort.Tensor>,
	outputName: string | undefined,
	outputLabel = outputName,
): Promise<ort.Tensor> {
	const inputNames = Object.keys(feeds);
	if (!inputNames.every((name) => session.inputNames.includes(name)) || !outputName || !session.outputNames.includes(outputName)) {
		throw new CutoutError(
			'inference_failed',
			`The model does not have the tensors its contract names (input ${inputNames.map((name) => `"${name}"`).join(', ')}, output "${outputName ?? outputLabel}"); it has inputs ${session.inputNames.join(', ')} and outputs ${session.outputNames.slice(0, 4).join(', ')}`,
		);
	}
	let results: Record<string, ort.Tensor>;
	try {
		// Fetch only this output: models often expose large side outputs we would copy for nothing.
		results = await oneAtATime(session, () => session.run(feeds, [outputName]));
	} catch (error) {
		throw new CutoutError('inference_failed', `ONNX Runtime failed: ${(error as Error).message.split('\n')[0]}`);
	}
	return results[outputName];
}

/** The tail of each session's queue of runs. */
const runQueues = new WeakMap<InferenceSession, Promise<unknown>>();

/**
 * Runs on one session wait for each other. A run already uses every core, so two at once only fight
 * over them; waiting instead lets the items around it (several in flight, several executions) decode and
 * encode while the model runs, and each run finishes as early as it can.
 */
function oneAtATime<T>(session: InferenceSession, run: () => Promise<T>): Promise<T> {
	const previous = runQueues.get(session) ?? Promise.resolve();
	const turn = previous.then(run, run);
	runQueues.set(session, turn.catch(() => undefined));
	return turn;
}
