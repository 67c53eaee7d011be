/** Small helpers shared by the benchmark scripts: timing, medians, a results table. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';


export function median(values: number[]): number {
	const sorted = [...values].sort((a, b) => a - b);
	const middle = Math.floor(sorted.length / 2);
	return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Runs `task` once to warm up, then `repetitions` times; returns the median wall time in ms. */
export async function medianMs(task: () => Promise<unknown>, repetitions: number): Promise<number> {
	return (await medianCost(task, repetitions)).ms;
}

/**
 * As medianMs, with the median CPU time of a run too: every thread of this process (the inference thread,
 * libuv's pool, libvips' workers, the garbage collector's helpers). `between`, if given, runs untimed before
 * each timed run: a baseline measured in turn with the task, so that the machine's drift weighs on both alike.
 */
export async function medianCost(
	task: () => Promise<unknown>,
	repetitions: number,
	between?: () => Promise<unknown>,
): Promise<{ ms: number; cpuMs: number }> {
	await task();
	const times: number[] = [];
	const cpuTimes: number[] = [];
	for (let i = 0; i < repetitions; i++) {
		await between?.();
		const cpu = process.cpuUsage();
		const started = performance.now();
		await task();
		times.push(performance.now() - started);
		const used = process.cpuUsage(cpu);
		cpuTimes.push((used.user + used.system) / 1000);
	}
	return { ms: median(times), cpuMs: median(cpuTimes) };
}

export interface ResultRow {
	id: string;
	what: string;
	figure: string;
	target?: string;
	met?: boolean;
}

export function ratioRow(id: string, what: string, ratio: number, target: { op: '<=' | '>='; value: number }): ResultRow {
	const met = target.op === '<=' ? ratio <= target.value : ratio >= target.value;
	return { id, what, figure: `${ratio.toFixed(2)}×`, target: `${target.op} ${target.value}×`, met };
}

export function markdownTable(rows: ResultRow[]): string {
	const lines = ['| id | measurement | figure | target | met |', '|---|---|---|---|---|'];
	for (const row of rows) {
		const met = row.met === undefined ? '' : row.met ? 'yes' : '**no**';
		lines.push(`| ${row.id} | ${row.what} | ${row.figure} | ${row.target ?? ''} | ${met} |`);
	}
	return lines.join('\n');
}

/**
 * Replaces one script's section of bench/RESULTS.md (between `<!-- name -->` and `<!-- /name -->`), so
 * `npm run bench` and `npm run eval` each rewrite their own figures and keep the other's.
 */
export function writeResultsSection(path: string, name: string, markdown: string): void {
	const begin = `<!-- ${name} -->`;
	const end = `<!-- /${name} -->`;
	const section = `${begin}\n${markdown.trim()}\n${end}`;
	const current = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmark and evaluation results\n';
	const start = current.indexOf(begin);
	const stop = current.indexOf(end);
	const next =
		start >= 0 && stop > start ? current.slice(0, start) + section + current.slice(stop + end.length) : `${current.trimEnd()}\n\n${section}\n`;
	writeFileSync(path, next);
}
