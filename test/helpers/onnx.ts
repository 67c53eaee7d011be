/**
 * Writes small ONNX models from the test itself (the protobuf encoded by hand: a few message types, no
 * dependency), so the inpainting wiring can run through ONNX Runtime against graphs that honour the real
 * models' contracts (tensor names, types, shapes, mask polarity, value ranges) without their weights.
 */

type ElementType = 'float32' | 'uint8';
const ELEMENT_TYPES: Record<ElementType, number> = { float32: 1, uint8: 2 };

interface ValueInfo {
	name: string;
	type: ElementType;
	/** Numbers are fixed sizes, strings named dynamic axes. */
	dims: Array<number | string>;
}

interface Constant {
	name: string;
	/** Float constants only; shape [] is a scalar. */
	dims: number[];
	values: number[];
}

interface Node {
	op: string;
	inputs: string[];
	outputs: string[];
	/** Integer attributes (Cast's `to`). */
	attributes?: Record<string, number>;
}

export interface OnnxGraph {
	inputs: ValueInfo[];
	outputs: ValueInfo[];
	constants: Constant[];
	nodes: Node[];
}

export function onnxModel(graph: OnnxGraph): Buffer {
	const graphBytes = Buffer.concat([
		...graph.nodes.map((node, i) => message(1, nodeProto(node, i))),
		string(2, 'cutout-test-graph'),
		...graph.constants.map((constant) => message(5, tensorProto(constant))),
		...graph.inputs.map((input) => message(11, valueInfo(input))),
		...graph.outputs.map((output) => message(12, valueInfo(output))),
	]);
	return Buffer.concat([
		integer(1, 8), // IR version 8 (ONNX 1.10+), read by every supported ONNX Runtime
		string(2, 'n8n-nodes-cutout tests'),
		message(7, graphBytes),
		message(8, Buffer.concat([string(1, ''), integer(2, 17)])), // default domain, opset 17
	]);
}

/**
 * Like MI-GAN pipeline v2: `image` uint8 [1,3,H,W] and `mask` uint8 [1,1,H,W] with 255 = keep, 0 = hole,
 * dynamic H and W; `result` uint8 [1,3,H,W] keeps the image where the mask keeps and paints `fill` in holes.
 */
export function toyMiganModel(fill: [number, number, number]): Buffer {
	const dims = (channels: number) => [1, channels, 'H', 'W'];
	return onnxModel({
		inputs: [
			{ name: 'image', type: 'uint8', dims: dims(3) },
			{ name: 'mask', type: 'uint8', dims: dims(1) },
		],
		outputs: [{ name: 'result', type: 'uint8', dims: dims(3) }],
		constants: [
			{ name: 'full', dims: [], values: [255] },
			{ name: 'one', dims: [], values: [1] },
			{ name: 'fill', dims: [1, 3, 1, 1], values: fill },
		],
		nodes: [
			{ op: 'Cast', inputs: ['image'], outputs: ['imageF'], attributes: { to: 1 } },
			{ op: 'Cast', inputs: ['mask'], outputs: ['maskF'], attributes: { to: 1 } },
			{ op: 'Div', inputs: ['maskF', 'full'], outputs: ['keep'] },
			{ op: 'Sub', inputs: ['one', 'keep'], outputs: ['hole'] },
			{ op: 'Mul', inputs: ['imageF', 'keep'], outputs: ['kept'] },
			{ op: 'Mul', inputs: ['hole', 'fill'], outputs: ['painted'] },
			{ op: 'Add', inputs: ['kept', 'painted'], outputs: ['sum'] },
			{ op: 'Cast', inputs: ['sum'], outputs: ['result'], attributes: { to: 2 } },
		],
	});
}

/**
 * Like LaMa (Carve's lama_fp32.onnx): `image` float [1,3,512,512] in 0..1 and `mask` float [1,1,512,512]
 * with 1 = fill; `output` float in 0..255. Kept pixels come back as image × 255, hole pixels as
 * image × 127.5 + 100, so a test can tell both the polarity and both ranges from the result.
 */
export function toyLamaModel(size = 512): Buffer {
	const dims = (channels: number) => [1, channels, size, size];
	return onnxModel({
		inputs: [
			{ name: 'image', type: 'float32', dims: dims(3) },
			{ name: 'mask', type: 'float32', dims: dims(1) },
		],
		outputs: [{ name: 'output', type: 'float32', dims: dims(3) }],
		constants: [
			{ name: 'half', dims: [], values: [0.5] },
			{ name: 'one', dims: [], values: [1] },
			{ name: 'full', dims: [], values: [255] },
			{ name: 'offset', dims: [], values: [100] },
		],
		nodes: [
			{ op: 'Mul', inputs: ['mask', 'half'], outputs: ['halfMask'] },
			{ op: 'Sub', inputs: ['one', 'halfMask'], outputs: ['gain'] },
			{ op: 'Mul', inputs: ['image', 'gain'], outputs: ['scaled'] },
			{ op: 'Mul', inputs: ['scaled', 'full'], outputs: ['bytes'] },
			{ op: 'Mul', inputs: ['mask', 'offset'], outputs: ['lift'] },
			{ op: 'Add', inputs: ['bytes', 'lift'], outputs: ['output'] },
		],
	});
}

/** What the toy LaMa writes into a hole pixel whose model input was `pixel` (0–255). */
export function toyLamaHoleValue(pixel: number): number {
	return (pixel / 255) * 127.5 + 100;
}

// ---- Protobuf encoding ----

function nodeProto(node: Node, index: number): Buffer {
	return Buffer.concat([
		...node.inputs.map((input) => string(1, input)),
		...node.outputs.map((output) => string(2, output)),
		string(3, `${node.op.toLowerCase()}_${index}`),
		string(4, node.op),
		...Object.entries(node.attributes ?? {}).map(([name, value]) =>
			message(5, Buffer.concat([string(1, name), integer(3, value), integer(20, 2 /* INT */)])),
		),
	]);
}

function tensorProto(constant: Constant): Buffer {
	const raw = Buffer.alloc(constant.values.length * 4);
	constant.values.forEach((value, i) => raw.writeFloatLE(value, i * 4));
	return Buffer.concat([
		...constant.dims.map((dim) => integer(1, dim)),
		integer(2, ELEMENT_TYPES.float32),
		string(8, constant.name),
		bytes(9, raw),
	]);
}

function valueInfo(info: ValueInfo): Buffer {
	const shape = Buffer.concat(
		info.dims.map((dim) => message(1, typeof dim === 'number' ? integer(1, dim) : string(2, dim))),
	);
	const tensorType = Buffer.concat([integer(1, ELEMENT_TYPES[info.type]), message(2, shape)]);
	return Buffer.concat([string(1, info.name), message(2, message(1, tensorType))]);
}

function varint(value: number): Buffer {
	const out: number[] = [];
	let v = value;
	while (v >= 0x80) {
		out.push((v % 0x80) | 0x80);
		v = Math.floor(v / 0x80);
	}
	out.push(v);
	return Buffer.from(out);
}

function key(field: number, wireType: number): Buffer {
	return varint(field * 8 + wireType);
}

function integer(field: number, value: number): Buffer {
	return Buffer.concat([key(field, 0), varint(value)]);
}

function bytes(field: number, value: Buffer): Buffer {
	return Buffer.concat([key(field, 2), varint(value.length), value]);
}

function string(field: number, value: string): Buffer {
	return bytes(field, Buffer.from(value, 'utf8'));
}

function message(field: number, value: Buffer): Buffer {
	return bytes(field, value);
}
