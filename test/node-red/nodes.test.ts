/**
 * The Node-RED nodes in the REAL Node-RED 4.1 runtime (node-red-node-test-helper), on the local engine:
 * the msg contract (result in the output property, msg.mask, msg.cutout), settings reaching the core,
 * the status dot, and errors reaching a Catch node with their code.
 */
import sharp from 'sharp';

import { type FlowNode, cutoutModules, helper, nextMessage, nodeRedForEachTest, type RuntimeNode } from '../helpers/nodeRed';
import { makeScene, maskIoU, rawPixels, sceneAsPng } from '../helpers/scene';

const scene = makeScene(320, 240);
const TIMINGS = ['decodeMs', 'inferMs', 'refineMs', 'encodeMs'];

/** A flow of the given nodes plus a Catch node (all nodes) wired to the "helper" node `caught`. */
function withCatch(nodes: FlowNode[]): FlowNode[] {
	return [...nodes, { id: 'catcher', type: 'catch', scope: null, uncaught: false, wires: [['caught']] }, { id: 'caught', type: 'helper' }];
}

/** Pixels of `after` that differ from `before` (same size and channels). */
function changedPixels(before: { data: Buffer; channels: number }, after: { data: Buffer; channels: number }): number[] {
	const changed: number[] = [];
	for (let i = 0; i < before.data.length / before.channels; i++) {
		const offset = i * before.channels;
		if (before.data.compare(after.data, offset, offset + before.channels, offset, offset + before.channels) !== 0) changed.push(i);
	}
	return changed;
}

/** The texts of every status the node set, in order (the helper spies on Node.prototype.status, for all nodes at once). */
function statusTexts(node: RuntimeNode): string[] {
	return node.status.args.filter((_, call) => node.status.thisValues[call] === node).map(([status]) => (status as { text?: string }).text ?? '');
}

describe('Node-RED nodes over the core (local engine)', () => {
	let input: Buffer;

	beforeAll(async () => {
		input = await sceneAsPng(scene);
	});

	nodeRedForEachTest();

	it('Remove Background puts the RGBA cutout in the output property, the mask in msg.mask and the fields in msg.cutout; Inpaint erases that mask', async () => {
		await helper.load(cutoutModules, [
			{ id: 'rb', type: 'cutout-remove-background', property: 'image', wires: [['afterCutout', 'inpaint']] },
			{ id: 'inpaint', type: 'cutout-inpaint', wires: [['afterInpaint']] },
			{ id: 'afterCutout', type: 'helper' },
			{ id: 'afterInpaint', type: 'helper' },
		]);
		const cutoutReached = nextMessage(helper.getNode('afterCutout'));
		const inpaintReached = nextMessage(helper.getNode('afterInpaint'));
		helper.getNode('rb').receive({ payload: input, topic: 'scene' });

		const cut = await cutoutReached;
		expect(cut.payload).toBe(input);
		expect(cut.topic).toBe('scene');
		const image = await rawPixels(cut.image);
		expect(image).toMatchObject({ width: 320, height: 240, channels: 4 });
		const alpha = Buffer.from(Array.from({ length: 320 * 240 }, (_, i) => image.data[i * 4 + 3]));
		expect(maskIoU(alpha, scene.mask)).toBeGreaterThan(0.8);
		const mask = await rawPixels(cut.mask);
		expect(mask).toMatchObject({ width: 320, height: 240, channels: 1 });
		expect(maskIoU(mask.data, scene.mask)).toBeGreaterThan(0.8);
		expect(cut.cutout).toMatchObject({ width: 320, height: 240, engine: 'local', model: 'isnet-general-fp16', provider: null });
		expect(Object.keys(cut.cutout.timings).sort()).toEqual([...TIMINGS].sort());
		expect(cut.cutout.foregroundFraction).toBeGreaterThan(0.05);

		// Inpaint got the original in payload and Remove Background's mask in msg.mask: mask > box > subject.
		const filled = await inpaintReached;
		expect(filled.cutout).toMatchObject({ mode: 'mask', engine: 'local', model: 'patch', width: 320, height: 240 });
		const [before, after, region] = await Promise.all([rawPixels(input), rawPixels(filled.payload), rawPixels(filled.mask)]);
		expect(after).toMatchObject({ width: 320, height: 240, channels: 3 });
		const changed = changedPixels(before, after);
		expect(changed.length).toBeGreaterThan(0);
		expect(changed.every((i) => region.data[i] > 0)).toBe(true);
		expect(maskIoU(region.data, scene.mask)).toBeGreaterThan(0.6);

		expect(statusTexts(helper.getNode('rb'))[0]).toBe('running');
		expect(statusTexts(helper.getNode('inpaint')).pop()).toMatch(/^done in \d+\.\d s at /);
	});

	it('Remove Background passes format, background color and crop to the core', async () => {
		await helper.load(cutoutModules, [
			{
				id: 'rb',
				type: 'cutout-remove-background',
				model: 'u2netp',
				format: 'jpeg',
				background: 'color',
				backgroundColor: '#0000ff',
				crop: true,
				cropMargin: '4',
				includeMask: false,
				wires: [['out']],
			},
			{ id: 'out', type: 'helper' },
		]);
		const reached = nextMessage(helper.getNode('out'));
		helper.getNode('rb').receive({ payload: input, mask: 'upstream' });
		const msg = await reached;
		expect(msg.cutout.model).toBe('u2netp');
		expect(msg.mask).toBe('upstream');
		const cutout = await rawPixels(msg.payload);
		expect((await sharp(msg.payload).metadata()).format).toBe('jpeg');
		expect(cutout.channels).toBe(3);
		expect(cutout.width).toBe(Math.min(320, msg.cutout.subjectBox!.width + 8));
		// The corner is background, flattened onto blue.
		expect([cutout.data[0] < 60, cutout.data[2] > 200]).toEqual([true, true]);
	});

	it('Alpha Matte: model, binary threshold, grow and invert reach the core; the matte replaces msg.payload', async () => {
		await helper.load(cutoutModules, [
			{ id: 'matte', type: 'cutout-alpha-matte', model: 'u2netp', output: 'binary', threshold: '0.5', grow: '0', invert: true, wires: [['out']] },
			{ id: 'out', type: 'helper' },
		]);
		const reached = nextMessage(helper.getNode('out'));
		helper.getNode('matte').receive({ payload: input });
		const msg = await reached;
		expect(msg.cutout).toMatchObject({ model: 'u2netp', engine: 'local', width: 320, height: 240 });
		expect(msg.mask).toBeUndefined();
		const matte = await rawPixels(msg.payload);
		expect(matte.channels).toBe(1);
		expect(new Set(matte.data)).toEqual(new Set([0, 255]));
		// Inverted: the subject is black.
		const subject = Buffer.from(matte.data.map((value) => 255 - value));
		expect(maskIoU(subject, scene.mask)).toBeGreaterThan(0.8);
	});

	it("Inpaint fills msg.box, else the node's own box, and keeps every other pixel", async () => {
		await helper.load(cutoutModules, [
			{ id: 'inpaint', type: 'cutout-inpaint', dilation: '0', boxX: '10', boxY: '20', boxWidth: '30', boxHeight: '40', wires: [['out']] },
			{ id: 'out', type: 'helper' },
		]);
		const out = helper.getNode('out');
		const before = await rawPixels(input);
		for (const [box, expected] of [
			[undefined, { x: 10, y: 20, width: 30, height: 40 }],
			[{ x: 200, y: 100, width: 16, height: 8 }, { x: 200, y: 100, width: 16, height: 8 }],
		] as const) {
			const reached = nextMessage(out);
			helper.getNode('inpaint').receive({ payload: input, box });
			const msg = await reached;
			expect(msg.cutout.mode).toBe('bbox');
			const changed = changedPixels(before, await rawPixels(msg.payload));
			const inBox = (i: number) => {
				const [x, y] = [i % 320, Math.floor(i / 320)];
				return x >= expected.x && x < expected.x + expected.width && y >= expected.y && y < expected.y + expected.height;
			};
			expect(changed.length).toBeGreaterThan(0);
			expect(changed.filter((i) => !inBox(i))).toEqual([]);
		}
	});

	it('errors reach a Catch node with their code, in the message and as msg.error.code; the status shows the code', async () => {
		await helper.load(
			cutoutModules,
			withCatch([
				{ id: 'rb', type: 'cutout-remove-background', wires: [['out']] },
				{ id: 'reserved', type: 'cutout-remove-background', property: 'cutout', wires: [['out']] },
				{ id: 'inpaint', type: 'cutout-inpaint', wires: [['out']] },
				{ id: 'effort', type: 'cutout-remove-background', model: 'u2netp', pngEffort: 'max', wires: [['out']] },
				// Not named 'hosted': Node-RED takes a string property equal to a node id for a reference to that node.
				{ id: 'matte', type: 'cutout-alpha-matte', engine: 'hosted', wires: [['out']] },
				{ id: 'out', type: 'helper' },
			]),
		);
		const caught = helper.getNode('caught');
		let passedOn = 0;
		helper.getNode('out').on('input', () => (passedOn += 1));
		const cases: Array<[string, Record<string, unknown>, string, RegExp]> = [
			['rb', { payload: Buffer.from('definitely not an image') }, 'unsupported_format', /format/i],
			['rb', { payload: 'photo.jpg' }, 'unsupported_format', /msg\.payload is a string, not a Buffer/],
			['rb', {}, 'empty_input', /msg\.payload holds no image/],
			['reserved', { payload: input }, 'invalid_option', /msg\.cutout would be overwritten/],
			['inpaint', { payload: input, mask: 'white.png' }, 'invalid_option', /msg\.mask is a string/],
			// The node's PNG effort reaches the core, which names the bad value.
			['effort', { payload: input }, 'invalid_option', /PNG effort "max"/],
			['inpaint', { payload: input, box: [1, 2, 3, 4] }, 'invalid_bbox', /msg\.box is an array/],
			['inpaint', { payload: input, box: { x: 0, y: 0, width: 0, height: 10 } }, 'invalid_bbox', /box/i],
			['matte', { payload: input }, 'invalid_option', /no Cutout provider/],
		];
		for (const [nodeId, msg, code, message] of cases) {
			const reached = nextMessage(caught, 30_000);
			helper.getNode(nodeId).receive({ ...msg, _msgid: `${nodeId}-${code}` });
			const error = (await reached).error;
			expect({ nodeId, code: error.code, source: error.source.id }).toEqual({ nodeId, code, source: nodeId });
			expect(error.message).toMatch(message);
			expect(error.message).toContain(`(code: ${code})`);
		}
		expect(statusTexts(helper.getNode('inpaint')).pop()).toBe('invalid_bbox');
		expect(passedOn).toBe(0);
	});

	it('clears the status when the flow stops', async () => {
		await helper.load(cutoutModules, [{ id: 'inpaint', type: 'cutout-inpaint', wires: [] }]);
		const node = helper.getNode('inpaint');
		node.receive({ payload: 'not an image' });
		await new Promise((resolve) => setImmediate(resolve));
		expect(statusTexts(node).pop()).toBe('unsupported_format');
		// Stops the flows and keeps the spies (unload would restore them first).
		await helper.clearFlows();
		expect(node.status.args.filter((_, call) => node.status.thisValues[call] === node).pop()).toEqual([{}]);
	});
});
