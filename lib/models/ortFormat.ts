/**
 * Lays out a model saved in ONNX Runtime's own format (a FlatBuffers file, schema
 * onnxruntime/core/flatbuffers/schema/ort.fbs) so that every initializer's data starts on a 64-byte boundary.
 *
 * Why: a session can use the weights where the file's bytes lie (use_ort_model_bytes_for_initializers), but
 * ORT's writer places each raw_data vector only 4-byte aligned, and its float kernels then load 64-byte
 * vectors across cache lines: ISNet's forward pass ran 3 % slower than on ORT's own aligned copies, and as fast
 * once the data was moved to aligned places (bench/RESULTS.md).
 *
 * How: each initializer's raw_data vector is copied to the end of the file, aligned, and the one offset that
 * points at it is changed; nothing else in the file moves. The places the data left are never written, so
 * they are holes in the file that a reader skips: `ranges` lists the bytes in use, and a reader allocates
 * `size` bytes (page-aligned, so file offsets keep their alignment in memory), reads only those ranges and
 * never touches the rest. Only the path InferenceSession → model → graph → initializers → raw_data is read,
 * and ORT verifies the whole buffer when it loads it.
 */

const ALIGNMENT = 64;
/** A vector is its uint32 length followed by its elements, so its elements start 4 bytes after it. */
const LENGTH_BYTES = 4;

/** Field numbers in ort.fbs. */
const INFERENCE_SESSION_MODEL = 1;
const MODEL_GRAPH = 7;
const GRAPH_INITIALIZERS = 0;
const GRAPH_NODES = 2;
const NODE_OP_TYPE = 5;
const TENSOR_RAW_DATA = 4;

export interface AlignedOrtModel {
	/** Length of the laid-out file. */
	size: number;
	/** The bytes in use, in file order, each with its offset; whatever lies between them is unused. */
	pieces: Array<{ at: number; bytes: Buffer }>;
}

/** Throws when the bytes are not an ORT-format model this reader understands. */
export function alignInitializerData(file: Buffer): AlignedOrtModel {
	const reader = new FlatBufferReader(file);
	const graph = mainGraph(reader, file);
	const initializers = graph === undefined ? undefined : reader.referenceField(graph, GRAPH_INITIALIZERS);
	if (initializers === undefined) return asWritten(file);

	const patched = Buffer.from(file);
	const moved: Array<{ from: number; end: number; to: number }> = [];
	let tail = roundUp(file.length, ALIGNMENT);
	for (let i = 0; i < reader.uint32(initializers); i++) {
		const tensor = reader.reference(initializers + LENGTH_BYTES + 4 * i);
		const rawDataField = reader.fieldPosition(tensor, TENSOR_RAW_DATA);
		if (rawDataField === undefined) continue;
		const vector = reader.reference(rawDataField);
		const end = vector + LENGTH_BYTES + reader.uint32(vector);
		reader.check(end);
		const to = tail + ALIGNMENT - LENGTH_BYTES;
		moved.push({ from: vector, end, to });
		patched.writeUInt32LE(to - rawDataField, rawDataField);
		tail = roundUp(to + (end - vector), ALIGNMENT);
	}
	if (moved.length === 0) return asWritten(file);

	const pieces: AlignedOrtModel['pieces'] = [];
	let kept = 0;
	for (const { from, end } of [...moved].sort((a, b) => a.from - b.from)) {
		if (from < kept) throw new Error(`raw_data vectors overlap at byte ${from}`);
		if (from > kept) pieces.push({ at: kept, bytes: patched.subarray(kept, from) });
		kept = end;
	}
	if (kept < file.length) pieces.push({ at: kept, bytes: patched.subarray(kept) });
	for (const { from, end, to } of moved) pieces.push({ at: to, bytes: file.subarray(from, end) });
	const last = moved[moved.length - 1];
	return { size: last.to + (last.end - last.from), pieces };
}

/** The file as ORT wrote it, one piece: what a graph without initializers, or one not understood, is cached as. */
export function asWritten(file: Buffer): AlignedOrtModel {
	return { size: file.length, pieces: [{ at: 0, bytes: file }] };
}

/** The operator of each node of the main graph, in order: what ORT's optimisations made of a graph. */
export function graphOpTypes(file: Buffer): string[] {
	const reader = new FlatBufferReader(file);
	const graph = mainGraph(reader, file);
	const nodes = graph === undefined ? undefined : reader.referenceField(graph, GRAPH_NODES);
	if (nodes === undefined) return [];
	return Array.from({ length: reader.uint32(nodes) }, (_, i) => {
		const opType = reader.referenceField(reader.reference(nodes + LENGTH_BYTES + 4 * i), NODE_OP_TYPE);
		return opType === undefined ? '' : reader.string(opType);
	});
}

function mainGraph(reader: FlatBufferReader, file: Buffer): number | undefined {
	if (file.length < 8 || file.toString('latin1', 4, 8) !== 'ORTM') throw new Error('not an ORT-format model (no ORTM identifier)');
	const model = reader.referenceField(reader.reference(0), INFERENCE_SESSION_MODEL);
	return model === undefined ? undefined : reader.referenceField(model, MODEL_GRAPH);
}

function roundUp(value: number, multiple: number): number {
	return Math.ceil(value / multiple) * multiple;
}

/** Just enough of FlatBuffers' binary format to follow offsets, every read checked against the buffer. */
class FlatBufferReader {
	constructor(private readonly bytes: Buffer) {}

	check(position: number): void {
		if (!Number.isInteger(position) || position < 0 || position > this.bytes.length) {
			throw new Error(`ORT-format model refers to byte ${position}, outside its ${this.bytes.length} bytes`);
		}
	}

	uint32(position: number): number {
		this.check(position + 4);
		return this.bytes.readUInt32LE(position);
	}

	/** A string: its uint32 length, then its UTF-8 bytes. */
	string(position: number): string {
		const end = position + LENGTH_BYTES + this.uint32(position);
		this.check(end);
		return this.bytes.toString('utf8', position + LENGTH_BYTES, end);
	}

	/** Where the unsigned offset stored at `position` points (offsets count from where they are stored). */
	reference(position: number): number {
		const target = position + this.uint32(position);
		this.check(target);
		return target;
	}

	/** Where a table's field is stored, or undefined when the table leaves it out. */
	fieldPosition(table: number, field: number): number | undefined {
		this.check(table + 4);
		const vtable = table - this.bytes.readInt32LE(table);
		this.check(vtable + 4);
		const vtableBytes = this.bytes.readUInt16LE(vtable);
		const entry = 4 + 2 * field;
		if (entry + 2 > vtableBytes) return undefined;
		this.check(vtable + entry + 2);
		const offset = this.bytes.readUInt16LE(vtable + entry);
		return offset === 0 ? undefined : table + offset;
	}

	referenceField(table: number, field: number): number | undefined {
		const position = this.fieldPosition(table, field);
		return position === undefined ? undefined : this.reference(position);
	}
}
