import type { INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import sharp from 'sharp';

import { decodeImage } from '../../lib/image/decode';
import { Inpaint } from '../../nodes/Inpaint/Inpaint.node';
import { binaryBytes, binaryItem, fakeExecuteFunctions } from '../helpers/executeFunctions';
import { makeScene, rawPixels, sceneAsJpeg, sceneAsPng } from '../helpers/scene';
import { greyPng } from '../mocks/toyModels';

// U²-Net-P finds the subject in auto-subject mode: a real model, 10× faster than the default ISNet.
const baseParameters = {
	engine: 'local',
	binaryPropertyName: 'data',
	inpaintModel: 'patch',
	region: 'subject',
	maskBinaryPropertyName: 'mask',
	model: 'u2netp',
	operatingResolution: 'native',
	dilation: 8,
	outputFormat: 'png',
	options: {},
};
const limits = { maxPixels: 64_000_000, maxInputBytes: 100 * 1024 * 1024 };
const WIDTH = 360;
const HEIGHT = 240;

function withMask(item: INodeExecutionData, mask: Buffer, field = 'mask'): INodeExecutionData {
	item.binary![field] = { data: mask.toString('base64'), mimeType: 'image/png', fileName: 'mask.png' };
	return item;
}

function boxPlane(x0: number, y0: number, w: number, h: number, width = WIDTH, height = HEIGHT): Buffer {
	const plane = Buffer.alloc(width * height);
	for (let y = y0; y < y0 + h; y++) plane.fill(255, y * width + x0, y * width + x0 + w);
	return plane;
}

/** Output pixels outside the mask the node reports must be the decoded input's, byte for byte. */
async function differingOutside(item: INodeExecutionData, input: Buffer): Promise<number> {
	const original = await decodeImage(input, limits);
	const out = await rawPixels(binaryBytes(item.binary!.image));
	const mask = await rawPixels(binaryBytes(item.binary!.mask));
	expect([out.width, out.height, mask.channels]).toEqual([original.width, original.height, 1]);
	let differing = 0;
	for (let i = 0; i < mask.data.length; i++) {
		if (mask.data[i] === 0) for (let c = 0; c < 3; c++) if (out.data[i * 3 + c] !== original.rgb[i * 3 + c]) differing++;
	}
	return differing;
}

function meanColor(rgb: Buffer, select: (i: number) => boolean): number[] {
	const sum = [0, 0, 0];
	let n = 0;
	for (let i = 0; i < rgb.length / 3; i++) {
		if (!select(i)) continue;
		for (let c = 0; c < 3; c++) sum[c] += rgb[i * 3 + c];
		n++;
	}
	return sum.map((v) => v / n);
}

describe('Inpaint node', () => {
	const node = new Inpaint();
	const scene = makeScene(WIDTH, HEIGHT);
	let png: Buffer;

	beforeAll(async () => {
		png = await sceneAsPng(scene);
	});

	async function run(items: INodeExecutionData[], parameters: Record<string, unknown> = {}, continueOnFail = false) {
		const ctx = fakeExecuteFunctions({ items, parameters: { ...baseParameters, ...parameters }, continueOnFail });
		return (await node.execute.call(ctx))[0];
	}

	it('auto-subject: with only the photo, the subject disappears into the background', async () => {
		const [item] = await run([binaryItem(png, 'photo.png', 'image/png', { id: 7 })]);
		expect(item.json).toMatchObject({ id: 7, mode: 'subject', model: 'patch', engine: 'local', subjectModel: 'u2netp', width: WIDTH, height: HEIGHT });
		expect(item.json.warning).toBeUndefined();
		expect(Object.keys(item.json.timings as object).sort()).toEqual(['decodeMs', 'encodeMs', 'fillMs', 'maskMs']);
		expect(item.pairedItem).toEqual({ item: 0 });
		expect(await differingOutside(item, png)).toBe(0);

		const out = await rawPixels(binaryBytes(item.binary!.image));
		const used = await rawPixels(binaryBytes(item.binary!.mask));
		// The filled region covers the object, and no longer looks like it: its colors match the background.
		const object = (i: number) => scene.mask[i] === 255;
		expect(scene.mask.filter((v, i) => v === 255 && used.data[i] === 0).length).toBeLessThan(0.02 * scene.mask.filter((v) => v === 255).length);
		// The object's color (blue below 80; the background's is above 100) is gone from where it was.
		let objectLike = 0;
		for (let i = 0; i < scene.mask.length; i++) if (object(i) && out.data[i * 3 + 2] < 80) objectLike++;
		expect(objectLike).toBeLessThan(0.02 * scene.mask.filter((v) => v === 255).length);
		const background = (i: number) => used.data[i] === 0;
		const filledMean = meanColor(out.data, object);
		const backgroundMean = meanColor(out.data, background);
		for (let c = 0; c < 3; c++) expect(Math.abs(filledMean[c] - backgroundMean[c])).toBeLessThan(25);
		expect(Math.abs(filledMean[2] - meanColor(scene.rgb, object)[2])).toBeGreaterThan(50);
		expect(item.binary!.image).toMatchObject({ fileName: 'photo.png', mimeType: 'image/png' });
		expect(item.binary!.mask).toMatchObject({ fileName: 'photo-mask.png', mimeType: 'image/png' });
		expect(item.json.holeFraction).toBeGreaterThan(0.1);
	});

	it('fills the region chosen: the mask, or the box even when the item has a mask', async () => {
		const maskPng = await greyPng(boxPlane(10, 10, 30, 20), WIDTH, HEIGHT);
		const box = { boundingBox: { box: { x: 300, y: 180, width: 40, height: 40 } } };
		const [maskAndBox, boxOnly] = [
			await run([withMask(binaryItem(png, 'a.png', 'image/png'), maskPng)], { region: 'mask', ...box, dilation: 0 }),
			await run([withMask(binaryItem(png, 'b.png', 'image/png'), maskPng)], { region: 'box', ...box, dilation: 0 }),
		];
		expect(maskAndBox[0].json).toMatchObject({ mode: 'mask', holeFraction: Number(((30 * 20) / (WIDTH * HEIGHT)).toFixed(4)) });
		expect(maskAndBox[0].json.subjectModel).toBeNull();
		expect(boxOnly[0].json).toMatchObject({ mode: 'bbox', holeFraction: Number(((40 * 40) / (WIDTH * HEIGHT)).toFixed(4)) });
		for (const [item] of [maskAndBox, boxOnly]) expect(await differingOutside(item, png)).toBe(0);
		expect(maskAndBox[0].binary!.data).toBeDefined();
	});

	it('Automatic (the default, also for workflows saved without Region to Fill): the mask, else the box, else the subject', async () => {
		const maskPng = await greyPng(boxPlane(10, 10, 30, 20), WIDTH, HEIGHT);
		const box = { boundingBox: { box: { x: 300, y: 180, width: 40, height: 40 } } };
		const { region: _region, ...withoutRegion } = baseParameters;
		const auto = (items: INodeExecutionData[], parameters: Record<string, unknown>) =>
			new Inpaint().execute.call(fakeExecuteFunctions({ items, parameters: { ...withoutRegion, ...parameters } })).then(([output]) => output);
		const [maskWins] = await auto([withMask(binaryItem(png, 'a.png', 'image/png'), maskPng)], { ...box, dilation: 0 });
		const [boxWhenNoMask] = await auto([binaryItem(png, 'b.png', 'image/png')], { ...box, dilation: 0 });
		const [subjectWhenNeither] = await auto([binaryItem(png, 'c.png', 'image/png')], { boundingBox: {} });
		expect(maskWins.json).toMatchObject({ mode: 'mask', holeFraction: Number(((30 * 20) / (WIDTH * HEIGHT)).toFixed(4)) });
		expect(boxWhenNoMask.json).toMatchObject({ mode: 'bbox', holeFraction: Number(((40 * 40) / (WIDTH * HEIGHT)).toFixed(4)) });
		expect(subjectWhenNeither.json).toMatchObject({ mode: 'subject', subjectModel: 'u2netp' });
		// The mask that was used replaced the input mask binary; the input image binary is kept.
		expect(maskWins.binary!.data).toBeDefined();
	});

	it('dilates the region before filling, and keeps every byte outside it (JPEG input, WebP output)', async () => {
		const jpeg = await sceneAsJpeg(scene);
		const [item] = await run([binaryItem(jpeg, 'photo.jpg', 'image/jpeg')], {
			region: 'box', boundingBox: { box: { x: 100, y: 60, width: 50, height: 40 } },
			dilation: 12,
			outputFormat: 'webp',
			options: { imageField: 'erased', maskField: 'filled' },
		});
		const used = await rawPixels(binaryBytes(item.binary!.filled));
		const area = used.data.filter((v) => v === 255).length;
		expect(area).toBeGreaterThan((50 + 24) * (40 + 24) * 0.9);
		expect(item.binary!.erased).toMatchObject({ mimeType: 'image/webp', fileName: 'photo.webp' });
		expect(await sharp(binaryBytes(item.binary!.erased)).metadata()).toMatchObject({ format: 'webp', width: WIDTH });
		// PNG output, to compare bytes: the decoded JPEG's pixels are kept outside the region.
		const [lossless] = await run([binaryItem(jpeg, 'photo.jpg', 'image/jpeg')], { region: 'box', boundingBox: { box: { x: 100, y: 60, width: 50, height: 40 } }, dilation: 12 });
		expect(await differingOutside(lossless, jpeg)).toBe(0);
	});

	it('passes PNG Effort to both encoders: the same pixels, fast writes the image into a larger file, small the mask with the full search', async () => {
		const parameters = { region: 'box', boundingBox: { box: { x: 100, y: 60, width: 50, height: 40 } } };
		const [balanced, fast, small] = await Promise.all(
			[undefined, 'fast', 'small'].map(async (pngEffort) => (await run([binaryItem(png, 'a.png', 'image/png')], { ...parameters, options: pngEffort ? { pngEffort } : {} }))[0]),
		);
		const bytes = (item: INodeExecutionData, field: string) => binaryBytes(item.binary![field]);
		expect(bytes(fast, 'image').length).toBeGreaterThan(bytes(balanced, 'image').length);
		// Masks are deflated as runs at fast and balanced (the same file), with zlib's full search at small.
		expect(bytes(fast, 'mask').equals(bytes(balanced, 'mask'))).toBe(true);
		expect(bytes(small, 'mask').equals(bytes(balanced, 'mask'))).toBe(false);
		for (const field of ['image', 'mask']) {
			const pixels = await Promise.all([balanced, fast, small].map(async (item) => (await rawPixels(bytes(item, field))).data));
			expect(pixels[1].equals(pixels[0]) && pixels[2].equals(pixels[0])).toBe(true);
		}
		expect(await differingOutside(fast, png)).toBe(0);
	});

	it('warns when the region covers more than half the image', async () => {
		const [item] = await run([binaryItem(png, 'a.png', 'image/png')], {
			inpaintModel: 'smooth',
			region: 'box', boundingBox: { box: { x: 0, y: 0, width: 240, height: 200 } },
			dilation: 0,
		});
		expect(item.json.holeFraction).toBeCloseTo((240 * 200) / (WIDTH * HEIGHT), 3);
		expect(item.json.warning).toMatch(/covers 56 % of the image/);
		expect(item.json.model).toBe('smooth');
		expect(await differingOutside(item, png)).toBe(0);
	});

	it('reports every region error with its code (Continue On Fail) and the itemIndex', async () => {
		const item = () => binaryItem(png, 'a.png', 'image/png');
		const outputs = await Promise.all([
			run([withMask(item(), await greyPng(Buffer.alloc(100 * 100), 100, 100))], { region: 'mask' }, true),
			run([withMask(item(), await greyPng(Buffer.alloc(WIDTH * HEIGHT), WIDTH, HEIGHT))], { region: 'mask' }, true),
			run([item()], { region: 'box', boundingBox: { box: { x: 0, y: 0, width: 0, height: 0 } } }, true),
			run([item()], { region: 'box', boundingBox: { box: { x: 350, y: 0, width: 20, height: 10 } } }, true),
			run([item()], { region: 'box', boundingBox: { box: { x: 0, y: 0, width: 20, height: 10 } }, dilation: 40 }, true),
			run([item()], { region: 'box', boundingBox: { box: { x: 0, y: 0, width: 20, height: 10 } }, dilation: 2.5 }, true),
			run([item()], { region: 'box', boundingBox: { box: { x: 0, y: 0, width: 20, height: 10 } }, dilation: 33 }, true),
			run([item()], { region: 'box', boundingBox: { box: { x: 0, y: 0, width: 20, height: 10 } }, dilation: -1 }, true),
		]);
		expect(outputs.map(([out]) => out.json.errorCode)).toEqual([
			'mask_size_mismatch',
			'empty_mask',
			'invalid_bbox',
			'invalid_bbox',
			'invalid_dilation',
			'invalid_dilation',
			'invalid_dilation',
			'invalid_dilation',
		]);
		expect(outputs[0][0].json.error).toMatch(/100×100.*360×240/);
		expect(outputs[2][0].json.error).toMatch(/no area/);
		expect(outputs[0][0].binary!.data).toBeDefined();

		const flat = await sharp({ create: { width: 200, height: 150, channels: 3, background: '#808080' } }).png().toBuffer();
		const [noSubject] = await run([binaryItem(flat, 'flat.png', 'image/png')], {}, true);
		expect(noSubject.json.errorCode).toBe('no_subject_detected');

		const error = await run([item(), item()], { region: 'box', boundingBox: { box: { x: -5, y: 0, width: 20, height: 10 } } }).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(NodeOperationError);
		expect((error as NodeOperationError).context.itemIndex).toBe(0);
		expect((error as NodeOperationError).description).toMatch(/invalid_bbox/);
	});
});
