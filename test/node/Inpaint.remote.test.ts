import sharp from 'sharp';

import { remoteProviders } from '../../lib/providers/clients';
import { Inpaint } from '../../nodes/Inpaint/Inpaint.node';
import { binaryBytes, binaryItem } from '../helpers/executeFunctions';
import { runOnProviderMock } from '../helpers/remoteNode';
import { makeScene, maskIoU, rawPixels, sceneAsJpeg } from '../helpers/scene';
import { dilate } from '../../lib/matte/morphology';

const node = new Inpaint();
const scene = makeScene(320, 200);
const inpaintProviders = remoteProviders.filter((provider) => provider.operations.inpaint);
const baseParameters = {
	binaryPropertyName: 'data',
	region: 'box',
	maskBinaryPropertyName: 'mask',
	boundingBox: { box: { x: 110, y: 20, width: 100, height: 170 } },
	dilation: 8,
	outputFormat: 'png',
	options: {},
};

async function item() {
	return binaryItem(await sceneAsJpeg(scene), 'photo.jpg', 'image/jpeg', { id: 7 });
}

describe('Inpaint node description', () => {
	it('offers the providers with an inpainting endpoint, and the local fill model only on the local engine', () => {
		const engine = node.description.properties.find((property) => property.name === 'engine');
		expect(engine?.options?.map((option) => (option as { value: string }).value)).toEqual(['local', 'fal', 'knockout', 'clipdrop']);
		expect(node.description.properties.find((property) => property.name === 'inpaintModel')?.displayOptions).toEqual({ show: { engine: ['local'] } });
		expect(node.description.credentials?.map((credential) => credential.name)).toEqual(['falApi', 'knockoutApi', 'clipdropApi']);
	});
});

describe.each(inpaintProviders.map((provider) => [provider.displayName, provider] as const))('Inpaint on %s', (_name, provider) => {
	it('fills the box at full resolution and outputs the filled region as the mask', async () => {
		const { output, error } = await runOnProviderMock(node, provider, { items: [await item()], parameters: baseParameters });
		expect(error).toBeUndefined();
		const [result] = output ?? [];
		expect(result.json).toMatchObject({ id: 7, width: 320, height: 200, mode: 'bbox', engine: provider.id, provider: provider.displayName });
		expect(result.json.holeFraction).toBeCloseTo(((100 + 16) * (170 + 16)) / (320 * 200), 1);
		const image = await rawPixels(binaryBytes(result.binary?.image));
		expect(image).toMatchObject({ width: 320, height: 200 });
		const mask = await rawPixels(binaryBytes(result.binary?.mask));
		expect(mask.data[100 * 320 + 150]).toBe(255);
		expect(mask.data[5 * 320 + 5]).toBe(0);
	});
});

describe('Inpaint on hosted engines', () => {
	const [knockout, fal] = ['knockout', 'fal'].map((id) => remoteProviders.find((provider) => provider.id === id)!);

	it("takes the item's mask binary when the region is the mask", async () => {
		const input = await item();
		const mask = await sharp(scene.mask, { raw: { width: 320, height: 200, channels: 1 } }).png().toBuffer();
		input.binary!.mask = { data: mask.toString('base64'), mimeType: 'image/png', fileName: 'mask.png' };
		const { output, mock } = await runOnProviderMock(node, knockout, { items: [input], parameters: { ...baseParameters, region: 'mask' } });
		expect(output?.[0].json).toMatchObject({ mode: 'mask', providerMeta: { 'x-knockout-mode': 'mask' } });
		expect(mock.requests[0].form?.get('x')).toBeNull();
	});

	it("lets knockout find the subject when there is neither mask nor box, and outputs knockout's matte, grown, as the mask", async () => {
		const { output } = await runOnProviderMock(node, knockout, { items: [await item()], parameters: { ...baseParameters, region: 'subject' } });
		expect(output?.[0].json).toMatchObject({ mode: 'subject', providerMeta: { 'x-knockout-mode': 'auto-subject' } });
		const mask = await rawPixels(binaryBytes(output?.[0].binary?.mask));
		expect(maskIoU(mask.data, dilate(scene.mask, scene, 8))).toBeGreaterThan(0.9);
	});

	it('says fal needs a mask or a box', async () => {
		const { error, mock } = await runOnProviderMock(node, fal, { items: [await item()], parameters: { ...baseParameters, region: 'subject' } });
		expect(error?.message).toBe('photo.jpg: fal.ai needs a mask or a box to know what to inpaint');
		expect(mock.requests).toHaveLength(0);
	});
});
