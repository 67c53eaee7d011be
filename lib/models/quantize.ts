import { parse } from './fp16ToFp32';
import { bytes, decodeModel, encodeModel, floatsOf, message, newNode, nodeName, type OnnxModel, type OnnxNode, tensorOf, TensorType, varint } from './onnxGraph';

/**
 * Static int8 quantisation of a float ONNX graph, in the QDQ form ONNX Runtime fuses into integer kernels:
 * each calibrated activation gets a QuantizeLinear → DequantizeLinear pair (uint8, one scale per tensor, from
 * the range calibration measured), and each Conv whose input is calibrated reads its weights through a
 * DequantizeLinear of int8 values with one symmetric scale per output channel, and its bias as int32 at the
 * input scale × the weight scale. ORT then runs DQ → Conv → Q as one QLinearConv (u8s8, VNNI where the CPU has
 * it). The weights are rounded here, at build time, from the float graph: the int8 graph is derived data,
 * never shipped.
 */

/** Bump when the rewrite changes, so that int8 graphs cached by an older one are rebuilt. */
export const QUANTIZE_VERSION = 1;

/** Activation ranges measured on calibration images, by tensor name of the float graph. */
export interface CalibrationTable {
	format: 1;
	/** What the ranges were measured on; informative. */
	images: string;
	ranges: Record<string, [number, number]>;
	/**
	 * Convs left float, by node name: where rounding moves the matte most for the time it saves. Their
	 * weights stay float, and activations only float nodes read lose their Q/DQ pairs, which can leave the
	 * Convs before those float too. ORT's level 'all' still rounds (per tensor) a float Conv whose input and
	 * output both stay uint8.
	 */
	floatNodes?: string[];
}

/**
 * The activations to quantise: what the integer-capable ops read (Conv, Concat, Add, MaxPool, Resize), and,
 * through the ops that do not change values (MaxPool, Resize, an identity Cast), what those read in turn,
 * so that data stays uint8 from one Conv to the next. Left float: shape arithmetic, and the head, where the
 * last Conv's output goes through Resize and Sigmoid to `output` (the matte, whose fine steps matter).
 * Conv outputs are quantised after their Relu, which ORT then folds away (zero point 0).
 */
export function activationTensors(model: OnnxModel, output: string): string[] {
	const producers = new Map(model.nodes.flatMap((node) => node.outputs.map((name) => [name, node] as const)));
	const shapes = shapeTensors(model);
	const dataInputs = (node: OnnxNode) => node.inputs.filter((name) => name && !shapes.has(name));
	const head = new Set<string>();
	for (const pending = [output]; pending.length > 0; ) {
		const tensor = pending.pop()!;
		if (head.has(tensor)) continue;
		head.add(tensor);
		const producer = producers.get(tensor);
		if (producer && producer.opType !== 'Conv') pending.push(...dataInputs(producer));
	}
	const tensors = new Set<string>();
	const add = (tensor: string) => {
		if (shapes.has(tensor) || head.has(tensor) || tensors.has(tensor)) return;
		tensors.add(tensor);
		const producer = producers.get(tensor);
		if (producer && VALUE_PRESERVING_OPS.has(producer.opType)) add(producer.inputs[0]);
	};
	for (const node of model.nodes) {
		if (node.opType === 'Concat' || node.opType === 'Add') dataInputs(node).forEach(add);
		else if (INTEGER_OPS.has(node.opType)) add(node.inputs[0]);
	}
	return [...tensors];
}

const INTEGER_OPS = new Set(['Conv', 'Concat', 'Add', 'MaxPool', 'Resize']);
/** Their outputs lie within their input's range, so they share its quantisation, and ORT runs them on uint8. */
const VALUE_PRESERVING_OPS = new Set(['MaxPool', 'Resize', 'Cast']);

/** Initializers, Constants, Shapes and whatever is computed from those alone: int64 shape arithmetic. */
function shapeTensors(model: OnnxModel): Set<string> {
	const shapes = new Set(model.initializers.keys());
	for (let grew = true; grew; ) {
		grew = false;
		for (const node of model.nodes) {
			const derived = node.opType === 'Shape' || node.opType === 'Constant' || node.inputs.every((name) => !name || shapes.has(name));
			if (!derived || node.outputs.every((name) => shapes.has(name))) continue;
			node.outputs.forEach((name) => shapes.add(name));
			grew = true;
		}
	}
	return shapes;
}

/**
 * Upper tails a calibration can clip at: the values exceeded by this share of a tensor's elements. A few
 * ISNet activations near image borders run 50× past the rest (721 where 99.99 % stay under 7, on one
 * alphamatting image): a range stretched to them leaves the bulk a handful of levels.
 */
export const TAIL_SHARES = [1e-3, 1e-4, 1e-5] as const;

/**
 * The float graph plus, for each tensor, outputs `<tensor>:min`, `<tensor>:max` (ReduceMin, ReduceMax) and
 * `<tensor>:tail`, the values at TAIL_SHARES from the top (TopK of the largest elements, read at those
 * ranks): running it on an image yields the ranges without fetching the activations themselves.
 */
export function rangeProbeModel(fp32: Uint8Array, tensors: string[]): Buffer {
	const model = decodeModel(fp32);
	const constant = (name: string, type: number, dims: number[], values: Float32Array | BigInt64Array) => model.initializers.set(name, tensorOf(name, type, dims, values));
	constant('probe:shares', TensorType.FLOAT, [TAIL_SHARES.length], Float32Array.from(TAIL_SHARES));
	constant('probe:largest', TensorType.FLOAT, [], Float32Array.of(Math.max(...TAIL_SHARES)));
	constant('probe:one', TensorType.INT64, [], BigInt64Array.of(1n));
	constant('probe:zero', TensorType.INT64, [], BigInt64Array.of(0n));
	constant('probe:flat', TensorType.INT64, [1], BigInt64Array.of(-1n));
	const output = (name: string) => model.graphFields.push(message(12, [bytes(1, name), message(2, [message(1, [varint(1, TensorType.FLOAT)])])]));
	for (const tensor of tensors) {
		const at = (step: string) => `${tensor}:probe:${step}`;
		const node = (op: string, inputs: string[], out: string, attributes: Record<string, number> = {}) => model.nodes.push(newNode(op, inputs, [out], out, attributes));
		node('ReduceMin', [tensor], `${tensor}:min`, { keepdims: 0 });
		node('ReduceMax', [tensor], `${tensor}:max`, { keepdims: 0 });
		// k = ceil(elements × the largest share); the tail values sit at ranks ceil(elements × share) − 1.
		node('Size', [tensor], at('size'));
		node('Cast', [at('size')], at('count'), { to: TensorType.FLOAT });
		node('Mul', [at('count'), 'probe:largest'], at('k-float'));
		node('Ceil', [at('k-float')], at('k-ceil'));
		node('Cast', [at('k-ceil')], at('k-int'), { to: TensorType.INT64 });
		node('Max', [at('k-int'), 'probe:one'], at('k-scalar'));
		node('Reshape', [at('k-scalar'), 'probe:flat'], at('k'));
		node('Reshape', [tensor, 'probe:flat'], at('flat'));
		model.nodes.push(newNode('TopK', [at('flat'), at('k')], [at('top'), at('indices')], at('topk'), { largest: 1, sorted: 1 }));
		node('Mul', [at('count'), 'probe:shares'], at('ranks-float'));
		node('Ceil', [at('ranks-float')], at('ranks-ceil'));
		node('Cast', [at('ranks-ceil')], at('ranks-int'), { to: TensorType.INT64 });
		node('Sub', [at('ranks-int'), 'probe:one'], at('ranks-below'));
		node('Max', [at('ranks-below'), 'probe:zero'], at('ranks'));
		node('Gather', [at('top'), at('ranks')], `${tensor}:tail`);
		for (const name of ['min', 'max', 'tail']) output(`${tensor}:${name}`);
	}
	return encodeModel(model);
}

/** uint8 scale and zero point of a range, widened to include 0 so that zero (padding, Relu) is exact. */
export function activationQuantization([min, max]: [number, number]): { scale: number; zeroPoint: number } {
	const low = Math.min(min, 0);
	const high = Math.max(max, 0);
	const scale = high > low ? (high - low) / 255 : 1;
	return { scale, zeroPoint: Math.min(255, Math.max(0, Math.round(-low / scale))) };
}

export function quantizeModel(fp32: Uint8Array, table: CalibrationTable): Buffer {
	const model = decodeModel(fp32);
	const producers = new Map(model.nodes.flatMap((node) => node.outputs.map((name) => [name, node] as const)));
	const quantization = (tensor: string): { scale: number; zeroPoint: number } => {
		const producer = producers.get(tensor);
		const tied = producer && VALUE_PRESERVING_OPS.has(producer.opType) && producer.inputs[0] in table.ranges;
		return tied ? quantization(producer.inputs[0]) : activationQuantization(table.ranges[tensor]);
	};
	const floatNodes = new Set(table.floatNodes);
	const convs = new Set(model.nodes.filter((node) => node.opType === 'Conv').map(nodeName));
	const unknown = [...floatNodes].filter((name) => !convs.has(name));
	if (unknown.length > 0) throw new Error(`The calibration table names float Convs the graph does not have: ${unknown.join(', ')}`);
	const quantized = new Map([...integerTensors(model, Object.keys(table.ranges), floatNodes)].map((name) => [name, quantization(name)]));
	const renamed = (name: string) => (quantized.has(name) ? `${name}:dq` : name);
	const nodes: OnnxNode[] = [];
	const pairAfter = (tensor: string) => {
		const { scale, zeroPoint } = quantized.get(tensor)!;
		model.initializers.set(`${tensor}:scale`, tensorOf(`${tensor}:scale`, TensorType.FLOAT, [], Float32Array.of(scale)));
		model.initializers.set(`${tensor}:zero`, tensorOf(`${tensor}:zero`, TensorType.UINT8, [], Uint8Array.of(zeroPoint)));
		nodes.push(
			newNode('QuantizeLinear', [tensor, `${tensor}:scale`, `${tensor}:zero`], [`${tensor}:q`], `${tensor}/quantize`),
			newNode('DequantizeLinear', [`${tensor}:q`, `${tensor}:scale`, `${tensor}:zero`], [`${tensor}:dq`], `${tensor}/dequantize`),
		);
	};
	const graphInputs = new Set(model.graphFields.filter((field) => field.number === 11).map((field) => inputName(field.bytes!)));
	for (const tensor of quantized.keys()) if (graphInputs.has(tensor)) pairAfter(tensor);

	for (const node of model.nodes) {
		const original = node.inputs;
		const input = quantized.get(original[0]);
		if (!floatNodes.has(nodeName(node))) {
			node.inputs = node.inputs.map(renamed);
			if (node.opType === 'Conv' && input && model.initializers.has(original[1])) {
				nodes.push(...quantizeConvWeights(model, node, original, input.scale));
			}
		}
		nodes.push(node);
		for (const output of node.outputs) if (quantized.has(output)) pairAfter(output);
	}
	model.nodes = nodes;
	return encodeModel(model);
}

/**
 * The calibrated tensors still read as uint8 once `floatNodes` run float: a tensor keeps its Q/DQ pair while
 * an integer Conv reads it, or an op that passes uint8 on (Concat, Add, MaxPool, Resize, Cast) whose output
 * keeps its pair. So a float Conv reads unrounded values through the Concats and pools before it.
 */
function integerTensors(model: OnnxModel, calibrated: string[], floatNodes: Set<string>): Set<string> {
	const kept = new Set(calibrated);
	const readsInteger = (node: OnnxNode) => !floatNodes.has(nodeName(node)) && (node.opType === 'Conv' || node.outputs.some((name) => kept.has(name)));
	for (let shrunk = true; shrunk; ) {
		shrunk = false;
		for (const tensor of kept) {
			if (model.nodes.some((node) => node.inputs.includes(tensor) && readsInteger(node))) continue;
			kept.delete(tensor);
			shrunk = true;
		}
	}
	return kept;
}

/** ValueInfoProto.name = 1. */
function inputName(valueInfo: Buffer): string {
	return parse(valueInfo).find((field) => field.number === 1)?.bytes?.toString('utf8') ?? '';
}

/**
 * Replaces a Conv's float weights (and bias) with int8 (int32) initializers read through DequantizeLinear
 * nodes, which it returns; the float initializers are dropped.
 */
function quantizeConvWeights(model: OnnxModel, conv: OnnxNode, original: string[], inputScale: number): OnnxNode[] {
	const weight = model.initializers.get(original[1])!;
	const values = floatsOf(weight);
	const channels = weight.dims[0];
	const perChannel = values.length / channels;
	const scales = new Float32Array(channels);
	const levels = new Int8Array(values.length);
	for (let c = 0; c < channels; c++) {
		let peak = 0;
		for (let i = c * perChannel; i < (c + 1) * perChannel; i++) peak = Math.max(peak, Math.abs(values[i]));
		scales[c] = peak > 0 ? peak / 127 : 1;
		for (let i = c * perChannel; i < (c + 1) * perChannel; i++) levels[i] = Math.round(values[i] / scales[c]);
	}
	const name = original[1];
	model.initializers.delete(name);
	model.initializers.set(`${name}:q`, tensorOf(`${name}:q`, TensorType.INT8, weight.dims, levels));
	model.initializers.set(`${name}:scale`, tensorOf(`${name}:scale`, TensorType.FLOAT, [channels], scales));
	model.initializers.set(`${name}:zero`, tensorOf(`${name}:zero`, TensorType.INT8, [channels], new Int8Array(channels)));
	const nodes = [newNode('DequantizeLinear', [`${name}:q`, `${name}:scale`, `${name}:zero`], [`${name}:dq`], `${name}/dequantize`, { axis: 0 })];
	conv.inputs[1] = `${name}:dq`;

	const biasName = original[2];
	const bias = biasName ? model.initializers.get(biasName) : undefined;
	if (bias) {
		const biasValues = floatsOf(bias);
		const biasScales = scales.map((scale) => scale * inputScale);
		const biasLevels = Int32Array.from(biasValues, (value, c) => Math.round(value / biasScales[c]));
		model.initializers.delete(biasName);
		model.initializers.set(`${biasName}:q`, tensorOf(`${biasName}:q`, TensorType.INT32, bias.dims, biasLevels));
		model.initializers.set(`${biasName}:scale`, tensorOf(`${biasName}:scale`, TensorType.FLOAT, [channels], biasScales));
		nodes.push(newNode('DequantizeLinear', [`${biasName}:q`, `${biasName}:scale`], [`${biasName}:dq`], `${biasName}/dequantize`, { axis: 0 }));
		conv.inputs[2] = `${biasName}:dq`;
	}
	return nodes;
}
