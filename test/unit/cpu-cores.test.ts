import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { intraOpThreadCount } from '../../lib/inference/cpuCores';
import { sessionOptions } from '../../lib/inference/sessions';

/** A sysfs tree with one entry per logical CPU: [package, core] or 'offline'; cpu.max when given. */
function fakeSys(cpus: Array<[number, number] | 'offline'>, cpuMax?: string): string {
	const root = mkdtempSync(join(tmpdir(), 'cutout-sys-'));
	cpus.forEach((cpu, index) => {
		const dir = join(root, 'devices', 'system', 'cpu', `cpu${index}`);
		mkdirSync(dir, { recursive: true });
		if (cpu === 'offline') return;
		mkdirSync(join(dir, 'topology'));
		writeFileSync(join(dir, 'topology', 'physical_package_id'), `${cpu[0]}\n`);
		writeFileSync(join(dir, 'topology', 'core_id'), `${cpu[1]}\n`);
	});
	mkdirSync(join(root, 'devices', 'system', 'cpu', 'cpufreq'), { recursive: true });
	if (cpuMax !== undefined) {
		mkdirSync(join(root, 'fs', 'cgroup'), { recursive: true });
		writeFileSync(join(root, 'fs', 'cgroup', 'cpu.max'), `${cpuMax}\n`);
	}
	return root;
}

describe('ONNX Runtime intra-op threads', () => {
	const roots: string[] = [];
	const sys = (...args: Parameters<typeof fakeSys>) => {
		roots.push(fakeSys(...args));
		return roots[roots.length - 1];
	};
	afterAll(() => roots.forEach((root) => rmSync(root, { recursive: true, force: true })));

	it('counts physical cores, not hyperthreads, and a 2-core VM without SMT as two (ORT guesses one there)', () => {
		expect(intraOpThreadCount(sys([[0, 0], [0, 1]]), 2)).toBe(2);
		expect(intraOpThreadCount(sys([[0, 0], [0, 1], [0, 0], [0, 1]]), 4)).toBe(2);
		// Core ids repeat across packages.
		expect(intraOpThreadCount(sys([[0, 0], [0, 1], [1, 0], [1, 1]]), 4)).toBe(4);
		expect(intraOpThreadCount(sys([[0, 0], 'offline', [0, 2]]), 3)).toBe(2);
	});

	it('stays within the CPUs the process may use and the container quota', () => {
		expect(intraOpThreadCount(sys([[0, 0], [0, 1], [0, 2], [0, 3]]), 3)).toBe(3);
		expect(intraOpThreadCount(sys([[0, 0], [0, 1], [0, 2], [0, 3]], '250000 100000'), 4)).toBe(2);
		expect(intraOpThreadCount(sys([[0, 0], [0, 1]], '50000 100000'), 2)).toBe(1);
		expect(intraOpThreadCount(sys([[0, 0], [0, 1]], 'max 100000'), 2)).toBe(2);
	});

	it("leaves the count to ONNX Runtime where sysfs has no topology", () => {
		expect(intraOpThreadCount(join(tmpdir(), 'no-such-sysfs'), 8)).toBeUndefined();
		expect(intraOpThreadCount(sys(['offline']), 8)).toBeUndefined();
	});

	it('takes CUTOUT_ORT_THREADS over the count, and the count otherwise', () => {
		expect(sessionOptions({ CUTOUT_ORT_THREADS: '3' }).intraOpNumThreads).toBe(3);
		expect(sessionOptions({}).intraOpNumThreads).toBe(intraOpThreadCount() ?? 0);
		expect(sessionOptions({ CUTOUT_ORT_THREADS: 'many' }).intraOpNumThreads).toBe(intraOpThreadCount() ?? 0);
	});
});
