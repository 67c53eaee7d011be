import { createHash, randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { writeOptimizedGraph } from '../inference/sessions';
import { encode, parse } from './fp16ToFp32';

/**
 * What ONNX Runtime's layout rewrites (level 'all') make of a probe graph on this CPU, as a SHA-256. They are
 * the CPU-specific part of an optimised graph: a float Conv's weights are reordered into NCHWc blocks of the
 * width the CPU's kernels use (8 with AVX2, 16 with AVX-512), a quantised Conv is moved to NHWC. Machines whose
 * probes hash alike get the same rewrites, so a graph saved at level 'all' on one runs correctly on the other.
 * Computed once per process (a tiny session, tens of milliseconds). A change to the probe changes every
 * fingerprint: bump GRAPH_REWRITE_VERSION with it, or files keyed by the old one stay as another CPU's.
 */
export function layoutFingerprint(): Promise<string> {
	fingerprint ??= probeFingerprint();
	return fingerprint;
}

let fingerprint: Promise<string> | undefined;

async function probeFingerprint(): Promise<string> {
	const path = join(tmpdir(), `cutout-layout-probe-${process.pid}-${randomBytes(4).toString('hex')}.onnx`);
	try {
		await writeOptimizedGraph(probeGraph(), path, 'all', 'ONNX');
		const hash = createHash('sha256');
		for (const part of withoutNames(await readFile(path))) hash.update(part);
		return hash.digest('hex');
	} finally {
		await rm(path, { force: true });
	}
}

/** NodeProto: input = 1, output = 2, name = 3, doc_string = 6. TensorProto: name = 8, doc_string = 12. */
const NODE_NAMES = [1, 2, 3, 6];
const TENSOR_NAMES = [8, 12];

/**
 * The optimised graph's nodes (operator, domain, attributes) and initializers (type, shape, data), each as a
 * SHA-256, sorted: ORT numbers the nodes it inserts in no fixed order (ISNet's 'all' graph differs by its
 * ReorderOutput names from one build to the next), and those names say nothing about the CPU.
 */
function withoutNames(model: Buffer): string[] {
	const graph = parse(model).find((field) => field.number === 7)?.bytes ?? Buffer.alloc(0);
	const drop = (message: Buffer, numbers: number[]) => encode(parse(message).filter((field) => !numbers.includes(field.number)));
	return parse(graph)
		.flatMap((field) => (field.number === 1 ? [drop(field.bytes!, NODE_NAMES)] : field.number === 5 ? [drop(field.bytes!, TENSOR_NAMES)] : []))
		.map((part) => createHash('sha256').update(part).digest('hex'))
		.sort();
}

const FLOAT = 1;
const UINT8 = 2;
const INT8 = 3;
const INTS = 7;
const CHANNELS_IN = 16;
const CHANNELS_OUT = 32;
const KERNEL = 3;
const SIDE = 8;

const varint = (number: number, value: number) => ({ number, wire: 0, varint: BigInt(value) });
const bytes = (number: number, value: Buffer | string) => ({ number, wire: 2, bytes: Buffer.from(value) });
const message = (number: number, fields: ReturnType<typeof varint | typeof bytes>[]) => bytes(number, encode(fields));

/** TensorProto: dims = 1, data_type = 2, name = 8, raw_data = 9. */
function tensor(name: string, type: number, dims: number[], raw: Buffer) {
	return message(5, [...dims.map((dim) => varint(1, dim)), varint(2, type), bytes(8, name), bytes(9, raw)]);
}

/** ValueInfoProto: name = 1, type = 2 → TypeProto.tensor_type = 1 → elem_type = 1, shape = 2 → dim = 1 → dim_value = 1. */
function value(field: number, name: string, type: number, channels: number) {
	const shape = [1, channels, SIDE, SIDE].map((dim) => message(1, [varint(1, dim)]));
	return message(field, [bytes(1, name), message(2, [message(1, [varint(1, type), message(2, shape)])])]);
}

/** NodeProto: input = 1, output = 2, op_type = 4, attribute = 5 (pads of 1: name = 1, ints = 8, type = 20). */
function node(op: string, inputs: string[], output: string) {
	const pads = message(5, [bytes(1, 'pads'), ...[1, 1, 1, 1].map((pad) => varint(8, pad)), varint(20, INTS)]);
	return message(1, [...inputs.map((input) => bytes(1, input)), bytes(2, output), bytes(4, op), pads]);
}

/** A float Conv and a quantised one, 16 → 32 channels, 3×3, on 8×8 inputs; weights are arbitrary but fixed. */
function probeGraph(): Buffer {
	const weightCount = CHANNELS_OUT * CHANNELS_IN * KERNEL * KERNEL;
	const weightDims = [CHANNELS_OUT, CHANNELS_IN, KERNEL, KERNEL];
	const floats = Float32Array.from({ length: weightCount }, (_, i) => ((i * 7919) % 97) / 97 - 0.5);
	const int8s = Int8Array.from({ length: weightCount }, (_, i) => ((i * 31) % 21) - 10);
	const scalar = (name: string, type: number, raw: Buffer) => tensor(name, type, [], raw);
	const graph = [
		node('Conv', ['x', 'w'], 'y'),
		node('QLinearConv', ['xq', 'xs', 'xz', 'wq', 'ws', 'wz', 'ys', 'yz'], 'yq'),
		bytes(2, 'layout-probe'),
		tensor('w', FLOAT, weightDims, Buffer.from(floats.buffer)),
		tensor('wq', INT8, weightDims, Buffer.from(int8s.buffer)),
		scalar('xs', FLOAT, Buffer.from(Float32Array.of(0.02).buffer)),
		scalar('ws', FLOAT, Buffer.from(Float32Array.of(0.01).buffer)),
		scalar('ys', FLOAT, Buffer.from(Float32Array.of(0.05).buffer)),
		scalar('xz', UINT8, Buffer.of(128)),
		scalar('wz', INT8, Buffer.of(0)),
		scalar('yz', UINT8, Buffer.of(128)),
		value(11, 'x', FLOAT, CHANNELS_IN),
		value(11, 'xq', UINT8, CHANNELS_IN),
		value(12, 'y', FLOAT, CHANNELS_OUT),
		value(12, 'yq', UINT8, CHANNELS_OUT),
	];
	// ModelProto: ir_version = 1 (8), graph = 7, opset_import = 8 (default domain, opset 17).
	return encode([varint(1, 8), message(7, graph), message(8, [bytes(1, ''), varint(2, 17)])]);
}
