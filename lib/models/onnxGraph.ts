import { encode, type Field, parse } from './fp16ToFp32';

/**
 * Just enough of an ONNX model to rewrite its graph's nodes and initializers: every other field (metadata,
 * value infos, attributes) is kept as the protobuf bytes it came as.
 */
export interface OnnxModel {
	/** ModelProto fields other than the graph. */
	modelFields: Field[];
	/** GraphProto fields other than nodes and initializers (name, inputs, outputs, value infos). */
	graphFields: Field[];
	nodes: OnnxNode[];
	initializers: Map<string, OnnxTensor>;
}

export interface OnnxNode {
	opType: string;
	inputs: string[];
	outputs: string[];
	/** NodeProto fields other than inputs, outputs and op_type (name, attributes, domain). */
	fields: Field[];
}

export interface OnnxTensor {
	name: string;
	dataType: number;
	dims: number[];
	/** Little-endian element bytes. */
	raw: Buffer;
}

export const TensorType = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7 } as const;

const WIRE_VARINT = 0;
const WIRE_LENGTH = 2;

export const varint = (number: number, value: number | bigint): Field => ({ number, wire: WIRE_VARINT, varint: BigInt(value) });
export const bytes = (number: number, value: Buffer | string): Field => ({ number, wire: WIRE_LENGTH, bytes: Buffer.from(value) });
export const message = (number: number, fields: Field[]): Field => bytes(number, encode(fields));

/** ModelProto.graph = 7; GraphProto: node = 1, initializer = 5. */
export function decodeModel(model: Uint8Array): OnnxModel {
	const fields = parse(Buffer.from(model.buffer, model.byteOffset, model.byteLength));
	const graph = fields.find((field) => field.number === 7)?.bytes;
	if (!graph) throw new Error('Not an ONNX model: no graph');
	const graphFields: Field[] = [];
	const nodes: OnnxNode[] = [];
	const initializers = new Map<string, OnnxTensor>();
	for (const field of parse(graph)) {
		if (field.number === 1 && field.bytes) nodes.push(decodeNode(field.bytes));
		else if (field.number === 5 && field.bytes) {
			const tensor = decodeTensor(field.bytes);
			initializers.set(tensor.name, tensor);
		} else graphFields.push(field);
	}
	return { modelFields: fields.filter((field) => field.number !== 7), graphFields, nodes, initializers };
}

export function encodeModel(model: OnnxModel): Buffer {
	const graph = encode([
		...model.nodes.map((node) => bytes(1, encodeNode(node))),
		...[...model.initializers.values()].map((tensor) => bytes(5, encodeTensor(tensor))),
		...model.graphFields,
	]);
	return encode([...model.modelFields, bytes(7, graph)]);
}

/** NodeProto: input = 1, output = 2, op_type = 4. */
function decodeNode(node: Buffer): OnnxNode {
	const decoded: OnnxNode = { opType: '', inputs: [], outputs: [], fields: [] };
	for (const field of parse(node)) {
		if (field.number === 1) decoded.inputs.push(field.bytes!.toString('utf8'));
		else if (field.number === 2) decoded.outputs.push(field.bytes!.toString('utf8'));
		else if (field.number === 4) decoded.opType = field.bytes!.toString('utf8');
		else decoded.fields.push(field);
	}
	return decoded;
}

function encodeNode(node: OnnxNode): Buffer {
	return encode([
		...node.inputs.map((name) => bytes(1, name)),
		...node.outputs.map((name) => bytes(2, name)),
		bytes(4, node.opType),
		...node.fields,
	]);
}

/** A node with integer attributes (AttributeProto: name = 1, i = 3, type = 20, INT = 2). */
export function newNode(opType: string, inputs: string[], outputs: string[], name: string, attributes: Record<string, number> = {}): OnnxNode {
	const attributeFields = Object.entries(attributes).map(([key, value]) => message(5, [bytes(1, key), varint(3, value), varint(20, 2)]));
	return { opType, inputs, outputs, fields: [bytes(3, name), ...attributeFields] };
}

/** NodeProto.name = 3. */
export function nodeName(node: OnnxNode): string {
	return node.fields.find((field) => field.number === 3)?.bytes?.toString('utf8') ?? '';
}

/** TensorProto: dims = 1, data_type = 2, float_data = 4 (packed), name = 8, raw_data = 9. */
function decodeTensor(tensor: Buffer): OnnxTensor {
	const decoded: OnnxTensor = { name: '', dataType: 0, dims: [], raw: Buffer.alloc(0) };
	const floats: Buffer[] = [];
	for (const field of parse(tensor)) {
		if (field.number === 1) decoded.dims.push(...(field.varint !== undefined ? [Number(field.varint)] : packedVarints(field.bytes!)));
		else if (field.number === 2) decoded.dataType = Number(field.varint);
		else if (field.number === 4) floats.push(field.bytes!);
		else if (field.number === 8) decoded.name = field.bytes!.toString('utf8');
		else if (field.number === 9) decoded.raw = field.bytes!;
	}
	if (floats.length > 0) decoded.raw = Buffer.concat(floats);
	return decoded;
}

function encodeTensor(tensor: OnnxTensor): Buffer {
	return encode([...tensor.dims.map((dim) => varint(1, dim)), varint(2, tensor.dataType), bytes(8, tensor.name), bytes(9, tensor.raw)]);
}

function packedVarints(packed: Buffer): number[] {
	const values: number[] = [];
	let value = 0n;
	let shift = 0n;
	for (const byte of packed) {
		value |= BigInt(byte & 0x7f) << shift;
		shift += 7n;
		if ((byte & 0x80) === 0) {
			values.push(Number(BigInt.asIntN(64, value)));
			value = 0n;
			shift = 0n;
		}
	}
	return values;
}

export function floatsOf(tensor: OnnxTensor): Float32Array {
	if (tensor.dataType !== TensorType.FLOAT) throw new Error(`Tensor ${tensor.name} is not float`);
	const copy = Buffer.from(tensor.raw);
	return new Float32Array(copy.buffer, copy.byteOffset, copy.byteLength / 4);
}

export function tensorOf(name: string, dataType: number, dims: number[], data: Float32Array | Int32Array | Int8Array | Uint8Array | BigInt64Array): OnnxTensor {
	return { name, dataType, dims, raw: Buffer.from(data.buffer, data.byteOffset, data.byteLength) };
}
