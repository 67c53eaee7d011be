import * as ort from 'onnxruntime-node';

import { type InferenceSession, runForOutput } from '../../lib/inference/sessions';

/**
 * A session whose runs take `ms` and record how many overlap. Stands in for ONNX Runtime only to watch
 * the queue in front of it; the real sessions run in the integration tests.
 */
function recordingSession(ms: number, failOn?: number, log = { running: 0, peak: 0, order: [] as number[] }) {
	const session = {
		inputNames: ['input'],
		outputNames: ['output'],
		async run(feeds: Record<string, ort.Tensor>) {
			log.running++;
			log.peak = Math.max(log.peak, log.running);
			const id = (feeds.input.data as Float32Array)[0];
			await new Promise((resolve) => setTimeout(resolve, ms));
			log.running--;
			log.order.push(id);
			if (id === failOn) throw new Error(`run ${id} failed`);
			return { output: feeds.input };
		},
	};
	return { session: session as unknown as InferenceSession, log };
}

const feedsFor = (id: number) => ({ input: new ort.Tensor('float32', Float32Array.of(id), [1]) });

describe('runs on one session', () => {
	it('wait for each other, in the order they were asked for', async () => {
		const { session, log } = recordingSession(20);
		const outputs = await Promise.all([1, 2, 3, 4].map((id) => runForOutput(session, feedsFor(id), 'output')));
		expect(log.peak).toBe(1);
		expect(log.order).toEqual([1, 2, 3, 4]);
		expect(outputs.map((tensor) => (tensor.data as Float32Array)[0])).toEqual([1, 2, 3, 4]);
	});

	it('go on after one fails, and report the failure to its caller only', async () => {
		const { session, log } = recordingSession(5, 2);
		const results = await Promise.allSettled([1, 2, 3].map((id) => runForOutput(session, feedsFor(id), 'output')));
		expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
		expect((results[1] as PromiseRejectedResult).reason.message).toBe('ONNX Runtime failed: run 2 failed');
		expect(log.order).toEqual([1, 2, 3]);
	});

	it('on different sessions do not wait for each other', async () => {
		const first = recordingSession(30);
		const second = recordingSession(30, undefined, first.log);
		await Promise.all([runForOutput(first.session, feedsFor(1), 'output'), runForOutput(second.session, feedsFor(2), 'output')]);
		expect(first.log.peak).toBe(2);
	});
});
