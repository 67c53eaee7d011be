import { encode, parse } from './fp16ToFp32';

/**
 * Drops every graph output but `keep`, and the nodes and weights that only fed the others. ONNX Runtime runs
 * the whole graph whatever a run fetches: ISNet's file also outputs five side mattes and six decoder feature
 * maps, each side matte upsampled to 1024² in a 16-channel blocked layout (64 MB) before its sigmoid. Pruned,
 * a 1024² run computes `keep` by the same nodes and holds none of that (measured in bench/RESULTS.md).
 *
 * Same field-preserving protobuf rewrite as fp16ToFp32.ts. Returns the model unchanged when it has no output
 * named `keep`, or when a node carries a subgraph (whose references to outer names this walk cannot see).
 */
export function pruneToOutput(model: Uint8Array, keep: string): Buffer {
	const bytes = Buffer.from(model);
	const fields = parse(bytes);
	const graphField = fields.find((field) => field.number === MODEL_GRAPH);
	if (!graphField?.bytes) return bytes;
	const graph = parse(graphField.bytes);
	const outputs = graph.filter((field) => field.number === GRAPH_OUTPUT);
	if (!outputs.some((output) => nameOf(output.bytes!, VALUE_INFO_NAME) === keep)) return bytes;

	const nodes = graph.filter((field) => field.number === GRAPH_NODE).map((field) => parse(field.bytes!));
	if (nodes.some((node) => node.filter((field) => field.number === NODE_ATTRIBUTE).some((attribute) => carriesSubgraph(attribute.bytes!)))) {
		return bytes;
	}
	// Files need not list nodes in topological order: follow each needed name to the node that produces it.
	const producer = new Map<string, number>();
	nodes.forEach((node, index) => {
		for (const output of node.filter((field) => field.number === NODE_OUTPUT)) producer.set(output.bytes!.toString('utf8'), index);
	});
	const needed = new Set<string>();
	const kept = new Set<number>();
	const pending = [keep];
	for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
		if (needed.has(name)) continue;
		needed.add(name);
		const index = producer.get(name);
		if (index === undefined || kept.has(index)) continue;
		kept.add(index);
		for (const input of nodes[index].filter((field) => field.number === NODE_INPUT)) pending.push(input.bytes!.toString('utf8'));
	}

	let nodeIndex = 0;
	const pruned = graph.filter((field) => {
		switch (field.number) {
			case GRAPH_NODE:
				return kept.has(nodeIndex++);
			case GRAPH_OUTPUT:
				return nameOf(field.bytes!, VALUE_INFO_NAME) === keep;
			case GRAPH_INITIALIZER:
				return needed.has(nameOf(field.bytes!, TENSOR_NAME));
			case GRAPH_VALUE_INFO:
				return needed.has(nameOf(field.bytes!, VALUE_INFO_NAME));
			default:
				return true;
		}
	});
	return encode(fields.map((field) => (field === graphField ? { ...field, bytes: encode(pruned) } : field)));
}

// ModelProto.graph; GraphProto: node, initializer, output, value_info; NodeProto: input, output, attribute.
const MODEL_GRAPH = 7;
const GRAPH_NODE = 1;
const GRAPH_INITIALIZER = 5;
const GRAPH_OUTPUT = 12;
const GRAPH_VALUE_INFO = 13;
const NODE_INPUT = 1;
const NODE_OUTPUT = 2;
const NODE_ATTRIBUTE = 5;
const VALUE_INFO_NAME = 1;
const TENSOR_NAME = 8;
/** AttributeProto.g and .graphs: If, Loop and Scan bodies. */
const ATTRIBUTE_SUBGRAPHS = [6, 11];

function nameOf(message: Buffer, nameField: number): string {
	return (
		parse(message)
			.find((field) => field.number === nameField)
			?.bytes?.toString('utf8') ?? ''
	);
}

function carriesSubgraph(attribute: Buffer): boolean {
	return parse(attribute).some((field) => ATTRIBUTE_SUBGRAPHS.includes(field.number));
}
