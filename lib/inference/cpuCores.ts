import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';

/**
 * How many intra-op threads ONNX Runtime should run: one per physical core this process may use, which is
 * what ORT means by intraOpNumThreads 0. ORT counts cores with the cpuinfo library, and where cpuinfo cannot
 * initialise (a CPU model it does not know yet, some VMs) it guesses hardware_concurrency / 2, assuming two
 * hyperthreads per core (onnxruntime/core/platform/posix/env.cc, DefaultNumCores). On a 2-core VM without
 * SMT that is one thread: ISNet's forward pass took 1 605 ms there against 841 ms with two.
 *
 * Linux tells the topology in sysfs, so we count it ourselves, within the CPUs this process may run on
 * (taskset, `docker --cpuset-cpus`) and the container's CPU quota (`docker --cpus`, cgroup v2 cpu.max), which
 * ORT's count ignores. Undefined where sysfs says nothing (other systems): ORT's own count then stands.
 */
export function intraOpThreadCount(sysRoot = '/sys', usableCpus = availableParallelism()): number | undefined {
	const cores = physicalCoreCount(join(sysRoot, 'devices', 'system', 'cpu'));
	if (cores === undefined) return undefined;
	return Math.max(1, Math.min(cores, usableCpus, cpuQuota(join(sysRoot, 'fs', 'cgroup', 'cpu.max'))));
}

/** Distinct (package, die, core) triples among the online CPUs; undefined when sysfs has no topology. */
function physicalCoreCount(cpuDir: string): number | undefined {
	let names: string[];
	try {
		names = readdirSync(cpuDir).filter((name) => /^cpu\d+$/.test(name));
	} catch {
		return undefined;
	}
	const cores = new Set<string>();
	for (const name of names) {
		// Offline CPUs have no topology folder.
		const topology = (file: string) => readOptional(join(cpuDir, name, 'topology', file));
		const coreId = topology('core_id');
		if (coreId !== undefined) cores.add(`${topology('physical_package_id')}:${topology('die_id')}:${coreId}`);
	}
	return cores.size > 0 ? cores.size : undefined;
}

/** Whole CPUs the cgroup v2 quota allows (at least one); Infinity without a quota. */
function cpuQuota(cpuMaxPath: string): number {
	const [quota, period] = (readOptional(cpuMaxPath) ?? 'max').split(/\s+/);
	const cpus = Number(quota) / Number(period);
	return Number.isFinite(cpus) && cpus > 0 ? Math.max(1, Math.floor(cpus)) : Infinity;
}

function readOptional(path: string): string | undefined {
	try {
		return readFileSync(path, 'utf8').trim();
	} catch {
		return undefined;
	}
}
