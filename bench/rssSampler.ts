import { Worker } from 'node:worker_threads';

/** One RSS reading: when (ms on this process's performance clock) and how much (MiB). */
export interface RssSample {
	at: number;
	mb: number;
}

/**
 * Reads the process's resident set from /proc every few milliseconds on a worker thread, so the readings
 * go on while the main thread is busy in a loop of its own (refinement, the matte's conversion).
 * Linux only (the benchmark machine).
 */
export function sampleRss(periodMs = 5): { stop: () => Promise<RssSample[]> } {
	const stopFlag = new Int32Array(new SharedArrayBuffer(4));
	const script = `
		const { readFileSync } = require('node:fs');
		const { parentPort, workerData } = require('node:worker_threads');
		const { flag, period, origin } = workerData;
		const samples = [];
		while (Atomics.load(flag, 0) === 0) {
			const kb = Number(/VmRSS:\\s+(\\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]);
			samples.push({ at: performance.timeOrigin + performance.now() - origin, mb: kb / 1024 });
			Atomics.wait(flag, 0, 0, period);
		}
		parentPort.postMessage(samples);`;
	const worker = new Worker(script, { eval: true, workerData: { flag: stopFlag, period: periodMs, origin: performance.timeOrigin } });
	const samples = new Promise<RssSample[]>((resolve, reject) => {
		worker.once('message', resolve);
		worker.once('error', reject);
	});
	return {
		stop: async () => {
			Atomics.store(stopFlag, 0, 1);
			Atomics.notify(stopFlag, 0);
			const result = await samples;
			await worker.terminate();
			return result;
		},
	};
}

/** The highest reading in each named span [start, end) of the clock; spans are given in order. */
export function peakPerSpan(samples: RssSample[], spans: Array<{ name: string; start: number; end: number }>): Record<string, number> {
	const peaks: Record<string, number> = {};
	for (const { name, start, end } of spans) {
		const inSpan = samples.filter((sample) => sample.at >= start && sample.at < end).map((sample) => sample.mb);
		peaks[name] = Math.round(Math.max(0, ...inSpan));
	}
	return peaks;
}
