import * as ort from 'onnxruntime-node';

import { CutoutError } from '../errors';
import type { ModelWeights } from '../models/weights';

export type InferenceSession = ort.InferenceSession;

/**
 * One ONNX session per model per process, created on first use and shared by every item and execution.
 * The map holds promises so that concurrent first uses wait for the same creation; a failed creation is
 * forgotten so the next item can try again (after a fixed download, say).
 */
const sessions = new Map<string, Promise<InferenceSession>>();

export function getSession(key: string, loadWeights: () => Promise<ModelWeights>): Promise<InferenceSession> {
	let session = sessions.get(key);
	if (!session) {
		session = loadWeights().then((weights) => createSession(key, weights));
		sessions.set(key, session);
		session.catch(() => sessions.delete(key));
	}
	return session;
}

export async function releaseSessions(): Promise<void> {
	const all = [...sessions.values()];
	sessions.clear();
	await Promise.all(all.map((session) => session.then((s) => s.release(), () => undefined)));
}

export function sessionCount(): number {
	return sessions.size;
}

export function sessionOptions(env: NodeJS.ProcessEnv = process.env): ort.InferenceSession.SessionOptions {
	const threads = Number(env.CUTOUT_ORT_THREADS ?? 0);
	return {
		graphOptimizationLevel: 'all',
		executionMode: 'sequential',
		// 0 lets ONNX Runtime use one thread per physical core.
		intraOpNumThreads: Number.isInteger(threads) && threads >= 0 ? threads : 0,
	};
}

async function createSession(key: string, weights: ModelWeights): Promise<InferenceSession> {
	try {
		return 'path' in weights
			? await ort.InferenceSession.create(weights.path, sessionOptions())
			: await ort.InferenceSession.create(weights.bytes, sessionOptions());
	} catch (error) {
		throw new CutoutError(
			'model_unavailable',
			`ONNX Runtime could not load model "${key}": ${(error as Error).message.split('\n')[0]}`,
			'The file is not a valid ONNX model for this ONNX Runtime version.',
		);
	}
}
