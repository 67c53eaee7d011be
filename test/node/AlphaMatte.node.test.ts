import { NodeOperationError } from 'n8n-workflow';
import sharp from 'sharp';

import { AlphaMatte } from '../../nodes/AlphaMatte/AlphaMatte.node';
import { binaryBytes, binaryItem, fakeExecuteFunctions } from '../helpers/executeFunctions';
import { makeScene, maskIoU, rawPixels, sceneAsJpeg, sceneAsPng } from '../helpers/scene';

// U²-Net-P: a real model, 10× faster than the default ISNet (which the integration suite covers).
const baseParameters = {
	engine: 'local',
	binaryPropertyName: 'data',
	model: 'u2netp',
	operatingResolution: 'native',
	outputType: 'soft',
	outputFormat: 'png',
	options: {},
};

describe('Alpha Matte node', () => {
	const node = new AlphaMatte();
	const scene = makeScene(360, 240);
	let png: Buffer;

	beforeAll(async () => {
		png = await sceneAsPng(scene);
	});

	async function run(parameters: Record<string, unknown>) {
		const ctx = fakeExecuteFunctions({ items: [binaryItem(png, 'scene.png', 'image/png')], parameters: { ...baseParameters, ...parameters } });
		const [[item]] = await node.execute.call(ctx);
		return { item, matte: await rawPixels(binaryBytes(item.binary![(parameters.options as { maskField?: string })?.maskField ?? 'mask'])) };
	}

	it('returns the full-resolution 8-bit greyscale matte per item, keeping json, binaries and pairedItem', async () => {
		const items = [
			binaryItem(await sceneAsJpeg(scene), 'first.jpg', 'image/jpeg', { id: 1 }),
			binaryItem(png, 'second.png', 'image/png', { id: 2 }),
		];
		const ctx = fakeExecuteFunctions({ items, parameters: baseParameters });
		const [output] = await node.execute.call(ctx);
		expect(output).toHaveLength(2);
		for (const [index, item] of output.entries()) {
			expect(item.pairedItem).toEqual({ item: index });
			expect(item.json).toMatchObject({ id: index + 1, width: 360, height: 240, model: 'u2netp', engine: 'local' });
			expect(Object.keys(item.json.timings as object).sort()).toEqual(['decodeMs', 'encodeMs', 'inferMs', 'refineMs']);
			expect(item.json.foregroundFraction).toBeGreaterThan(0.05);
			expect(item.json.subjectBox).toMatchObject({ x: expect.any(Number), width: expect.any(Number) });
			expect(item.binary!.data).toBe(items[index].binary!.data);
			const matte = await rawPixels(binaryBytes(item.binary!.mask));
			expect(matte).toMatchObject({ width: 360, height: 240, channels: 1 });
			expect(maskIoU(matte.data, scene.mask)).toBeGreaterThan(0.8);
		}
		expect(output[0].binary!.mask).toMatchObject({ fileName: 'first-mask.png', mimeType: 'image/png' });
		expect(output[0].binary!.image).toBeUndefined();
	});

	it('binary output holds only 0 and 255, cut at the threshold; invert swaps them', async () => {
		const { matte: soft } = await run({});
		const { matte: binary } = await run({ outputType: 'binary', threshold: 0.5 });
		expect(new Set(binary.data)).toEqual(new Set([0, 255]));
		expect(soft.data.filter((v, i) => binary.data[i] !== (v >= 128 ? 255 : 0)).length).toBe(0);
		const { matte: strict } = await run({ outputType: 'binary', threshold: 0.95 });
		expect(strict.data.filter((v) => v === 255).length).toBeLessThan(binary.data.filter((v) => v === 255).length);
		const { item, matte: inverted } = await run({ outputType: 'binary', threshold: 0.5, options: { invert: true } });
		expect(binary.data.filter((v, i) => inverted.data[i] !== 255 - v).length).toBe(0);
		// Statistics describe the subject, not the inverted image.
		expect(item.json.foregroundFraction).toBeLessThan(0.5);
	});

	it('grows, shrinks and feathers the edge', async () => {
		const area = (m: { data: Buffer }) => m.data.filter((v) => v >= 128).length;
		const { matte: base } = await run({ outputType: 'binary' });
		const { matte: grown } = await run({ outputType: 'binary', options: { grow: 6 } });
		const { matte: shrunk } = await run({ outputType: 'binary', options: { grow: -6 } });
		expect(area(grown)).toBeGreaterThan(area(base) * 1.1);
		expect(area(shrunk)).toBeLessThan(area(base) * 0.9);
		const { matte: feathered } = await run({ outputType: 'binary', options: { feather: 8 } });
		const partial = feathered.data.filter((v) => v > 10 && v < 245).length;
		expect(partial).toBeGreaterThan(base.data.filter((v) => v > 10 && v < 245).length + 1000);
	});

	it('writes 16-bit PNG and lossless WebP, into the configured field', async () => {
		const { matte: eight } = await run({});
		const { item } = await run({ outputFormat: 'png16', options: { maskField: 'alpha' } });
		expect(item.binary!.mask).toBeUndefined();
		const png16 = binaryBytes(item.binary!.alpha);
		expect(await sharp(png16).metadata()).toMatchObject({ depth: 'ushort', channels: 1, width: 360 });
		const webp = await run({ outputFormat: 'webp' });
		expect(webp.item.binary!.mask.mimeType).toBe('image/webp');
		const decoded = await sharp(binaryBytes(webp.item.binary!.mask)).extractChannel(0).raw().toBuffer();
		expect(decoded.equals(eight.data)).toBe(true);
	});

	it('guided upsampling can be turned off', async () => {
		const { matte: guided } = await run({});
		const { matte: linear } = await run({ options: { guidedUpsampling: false } });
		expect(guided.data.equals(linear.data)).toBe(false);
		expect(maskIoU(linear.data, scene.mask)).toBeGreaterThan(0.8);
	});

	it('reports bad items with their itemIndex, or as json.error with Continue On Fail', async () => {
		const items = [binaryItem(png, 'ok.png', 'image/png'), binaryItem(Buffer.from('not an image'), 'x.png', 'image/png')];
		const error = await node.execute.call(fakeExecuteFunctions({ items, parameters: baseParameters })).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(NodeOperationError);
		expect((error as NodeOperationError).context.itemIndex).toBe(1);

		const ctx = fakeExecuteFunctions({
			items: [...items, binaryItem(png, 'ok.png', 'image/png')],
			parameters: { ...baseParameters, outputType: 'binary', threshold: 1.5 },
			continueOnFail: true,
		});
		const [output] = await node.execute.call(ctx);
		expect(output.map((item) => item.json.errorCode)).toEqual(['invalid_option', 'invalid_option', 'invalid_option']);
		expect(output[0].json.error).toMatch(/Threshold must be from 0 to 1/);
	});
});
