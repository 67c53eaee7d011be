import { NodeOperationError } from 'n8n-workflow';

import { RemoveBackground } from '../../nodes/RemoveBackground/RemoveBackground.node';
import { TEST_NODE, binaryBytes, binaryItem, fakeExecuteFunctions } from '../helpers/executeFunctions';
import { LOCAL_U2NETP_PARAMETERS } from '../helpers/nodeParameters';
import { makeScene, maskIoU, rawPixels, sceneAsJpeg, sceneAsPng } from '../helpers/scene';

const baseParameters = LOCAL_U2NETP_PARAMETERS;

describe('Remove Background node', () => {
	const node = new RemoveBackground();
	const scene = makeScene(360, 240);

	it('processes several items in order, keeps upstream json and binaries, sets pairedItem', async () => {
		const jpeg = await sceneAsJpeg(scene);
		const png = await sceneAsPng(scene);
		const items = [
			binaryItem(jpeg, 'first.jpg', 'image/jpeg', { id: 1 }),
			binaryItem(png, 'second.png', 'image/png', { id: 2 }),
		];
		items[1].binary!.extra = { data: Buffer.from('keep me').toString('base64'), mimeType: 'text/plain' };
		const ctx = fakeExecuteFunctions({ items, parameters: baseParameters });

		const [output] = await node.execute.call(ctx);

		expect(output).toHaveLength(2);
		for (const [index, item] of output.entries()) {
			expect(item.pairedItem).toEqual({ item: index });
			expect(item.json.id).toBe(index + 1);
			expect(item.json).toMatchObject({ width: 360, height: 240, model: 'u2netp', engine: 'local' });
			expect(Object.keys(item.json.timings as object).sort()).toEqual(['decodeMs', 'encodeMs', 'inferMs', 'refineMs']);
			expect(item.binary!.data).toBe(items[index].binary!.data);
			const cutout = await rawPixels(binaryBytes(item.binary!.image));
			expect(cutout).toMatchObject({ width: 360, height: 240, channels: 4 });
			const mask = await rawPixels(binaryBytes(item.binary!.mask));
			expect(mask).toMatchObject({ width: 360, height: 240, channels: 1 });
			expect(maskIoU(mask.data, scene.mask)).toBeGreaterThan(0.8);
			expect(item.json.foregroundFraction).toBeGreaterThan(0.05);
		}
		expect(output[1].binary!.extra).toBe(items[1].binary!.extra);
		expect(output[0].binary!.image.fileName).toBe('first.png');
		expect(output[0].binary!.mask.fileName).toBe('first-mask.png');
		expect(output[0].binary!.mask.mimeType).toBe('image/png');
	});

	it('writes to the configured fields, flattens JPEG onto the color and crops to the subject', async () => {
		const items = [binaryItem(await sceneAsPng(scene), 'scene.png', 'image/png')];
		const ctx = fakeExecuteFunctions({
			items,
			parameters: {
				...baseParameters,
				outputFormat: 'jpeg',
				background: 'color',
				backgroundColor: '#0000ff',
				cropToSubject: true,
				cropMargin: 4,
				options: { imageField: 'cutout', maskField: 'alpha' },
			},
		});
		const [[item]] = await node.execute.call(ctx);
		expect(item.binary!.image).toBeUndefined();
		expect(item.binary!.cutout.mimeType).toBe('image/jpeg');
		const cutout = await rawPixels(binaryBytes(item.binary!.cutout));
		const box = item.json.subjectBox as { width: number; height: number };
		expect(cutout.channels).toBe(3);
		expect(cutout.width).toBeLessThan(360);
		expect(cutout.width).toBe(Math.min(360, box.width + 8));
		// The corner is background, flattened onto blue.
		expect(cutout.data[2]).toBeGreaterThan(200);
		expect(cutout.data[0]).toBeLessThan(60);
		const alpha = await rawPixels(binaryBytes(item.binary!.alpha));
		expect([alpha.width, alpha.height]).toEqual([cutout.width, cutout.height]);
	});

	it('passes PNG Effort to the encoder: fast writes the same pixels into a larger file', async () => {
		const items = [binaryItem(await sceneAsPng(scene), 'scene.png', 'image/png')];
		const run = async (options: object) => {
			const [[item]] = await node.execute.call(fakeExecuteFunctions({ items, parameters: { ...baseParameters, options } }));
			return binaryBytes(item.binary!.image);
		};
		const balanced = await run({});
		const fast = await run({ pngEffort: 'fast' });
		expect(fast.length).toBeGreaterThan(balanced.length);
		expect((await rawPixels(fast)).data.equals((await rawPixels(balanced)).data)).toBe(true);
	});

	it('omits the mask when asked', async () => {
		const ctx = fakeExecuteFunctions({
			items: [binaryItem(await sceneAsPng(scene), 'scene.png', 'image/png')],
			parameters: { ...baseParameters, includeMask: false },
		});
		const [[item]] = await node.execute.call(ctx);
		expect(item.binary!.mask).toBeUndefined();
		expect(item.binary!.image).toBeDefined();
	});

	it('throws a NodeOperationError with the itemIndex and a specific message', async () => {
		const items = [
			binaryItem(await sceneAsPng(scene), 'ok.png', 'image/png'),
			binaryItem(Buffer.from('definitely not an image'), 'note.png', 'image/png'),
		];
		const ctx = fakeExecuteFunctions({ items, parameters: baseParameters });
		const error = await node.execute.call(ctx).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(NodeOperationError);
		expect((error as NodeOperationError).context.itemIndex).toBe(1);
		expect((error as NodeOperationError).message).toMatch(/^note\.png: .*(text|not an image|unsupported)/i);
	});

	it('with Continue On Fail, a bad item carries json.error and the others are processed in order', async () => {
		const good = await sceneAsPng(scene);
		const items = [
			binaryItem(good, 'a.png', 'image/png', { n: 0 }),
			binaryItem(Buffer.alloc(0), 'empty.png', 'image/png', { n: 1 }),
			{ json: { n: 2 }, binary: {} },
			binaryItem(good, 'd.png', 'image/png', { n: 3 }),
		];
		const ctx = fakeExecuteFunctions({ items, parameters: baseParameters, continueOnFail: true });
		const [output] = await node.execute.call(ctx);
		expect(output.map((item) => item.json.n)).toEqual([0, 1, 2, 3]);
		expect(output.map((item) => item.pairedItem)).toEqual([0, 1, 2, 3].map((item) => ({ item })));
		expect(output[0].binary!.image).toBeDefined();
		expect(output[1].json.errorCode).toBe('empty_input');
		// The message names the file, so a report of a batch says which input to look at.
		expect(output[1].json.error).toMatch(/^empty\.png: .*empty/i);
		expect(output[2].json.error).toMatch(/^The item has no binary field 'data'/);
		expect(output[3].binary!.image).toBeDefined();
	});

	it('with "Continue (using error output)", a bad item is shaped for n8n to send it to the error output', async () => {
		const items = [binaryItem(await sceneAsPng(scene), 'a.png', 'image/png', { n: 0 }), binaryItem(Buffer.from('a note'), 'bad.jpg', 'image/jpeg', { n: 1 })];
		const ctx = fakeExecuteFunctions({ items, parameters: baseParameters, continueOnFail: true });
		ctx.getNode.mockReturnValue({ ...TEST_NODE, onError: 'continueErrorOutput' });
		const [output] = await node.execute.call(ctx);
		expect(output[0].binary!.image).toBeDefined();
		// n8n 2.8 routes by json.error being json's only key, then merges the input item's json back in.
		expect(output[1].json).toEqual({ error: expect.stringMatching(/^bad\.jpg: .*\(code: unsupported_format\)$/) });
		expect(output[1].binary).toBe(items[1].binary);
		expect(output[1].pairedItem).toEqual({ item: 1 });
	});

	it('refuses an image over the pixel limit before decoding it', async () => {
		const ctx = fakeExecuteFunctions({
			items: [binaryItem(await sceneAsPng(scene), 'big.png', 'image/png')],
			parameters: { ...baseParameters, options: { maxMegapixels: 0.05 } },
			continueOnFail: true,
		});
		const [[item]] = await node.execute.call(ctx);
		expect(item.json.errorCode).toBe('too_many_pixels');
		expect(item.json.error).toMatch(/360.*240|86,?400/);
	});

	it('refuses a resolution the model cannot run at, naming the model', async () => {
		const ctx = fakeExecuteFunctions({
			items: [binaryItem(await sceneAsPng(scene), 'a.png', 'image/png')],
			parameters: { ...baseParameters, operatingResolution: '2048' },
		});
		await expect(node.execute.call(ctx)).rejects.toThrow('Model "u2netp" cannot run at 2048×2048');
	});

	it('passes Matte Quality to the model run: "high" works, an unknown value is refused by name', async () => {
		const items = [binaryItem(await sceneAsPng(scene), 'a.png', 'image/png')];
		const [[item]] = await node.execute.call(fakeExecuteFunctions({ items, parameters: { ...baseParameters, matteQuality: 'high' } }));
		expect(maskIoU((await rawPixels(binaryBytes(item.binary!.mask))).data, scene.mask)).toBeGreaterThan(0.8);
		const ctx = fakeExecuteFunctions({ items, parameters: { ...baseParameters, matteQuality: 'ultra' } });
		await expect(node.execute.call(ctx)).rejects.toThrow('Matte quality must be one of "standard", "high", "speed", got "ultra"');
	});

	it('refuses a custom model outside the allowed folders', async () => {
		const ctx = fakeExecuteFunctions({
			items: [binaryItem(await sceneAsPng(scene), 'a.png', 'image/png')],
			parameters: {
				...baseParameters,
				model: 'custom',
				customModelPath: '/etc/passwd.onnx',
				customInputSize: 320,
				customNormalization: 'imagenet',
				customSigmoid: false,
				customMinMax: true,
			},
			continueOnFail: true,
		});
		const [[item]] = await node.execute.call(ctx);
		expect(item.json.errorCode).toBe('custom_model_refused');
	});

	it('stops starting items once the execution is cancelled', async () => {
		const controller = new AbortController();
		controller.abort();
		const ctx = fakeExecuteFunctions({
			items: [binaryItem(await sceneAsPng(scene), 'a.png', 'image/png')],
			parameters: baseParameters,
			cancelSignal: controller.signal,
		});
		await expect(node.execute.call(ctx)).rejects.toThrow('cancelled');
	});
});
