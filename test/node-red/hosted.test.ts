/**
 * The Node-RED nodes on a hosted engine: the cutout-provider config node holds the key as a Node-RED
 * credential, the nodes reach the repo's loopback provider mocks over real HTTP, and the key never shows in
 * a status, a log line, an error or a message. Also the editor's choices endpoint.
 */
import type { ModelChoice } from '../../lib';
import { removeBgMock } from '../mocks/removebg';
import type { MockProviderServer } from '../mocks/server';
import { clipdropMock } from '../mocks/clipdrop';
import { type FlowNode, cutoutModules, helper, nextMessage, nodeRedForEachTest, reportedText } from '../helpers/nodeRed';
import { SENTINEL_KEY } from '../helpers/providers';
import { makeScene, rawPixels, sceneAsPng } from '../helpers/scene';

const scene = makeScene(200, 150);

/** A provider config node (credentials apart, as Node-RED keeps them), a node using it, a Catch node and their outputs. */
function hostedFlow(provider: string, baseUrl: string, node: FlowNode): FlowNode[] {
	return [
		{ id: 'provider', type: 'cutout-provider', provider, baseUrl },
		{ ...node, engine: 'hosted', provider: 'provider', wires: [['out']] },
		{ id: 'out', type: 'helper' },
		{ id: 'catcher', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
		{ id: 'caught', type: 'helper' },
	];
}

const credentials = (apiKey: string) => ({ provider: { apiKey } });

/** What GET <admin>/cutout/choices answers. */
interface Choices {
	segmentationModels: ModelChoice[];
	inpaintingModels: ModelChoice[];
	providers: Array<{ id: string; displayName: string; operations: string[] }>;
}

describe('Node-RED nodes on a hosted engine', () => {
	let input: Buffer;
	const mocks: MockProviderServer[] = [];

	async function started(mock: MockProviderServer): Promise<MockProviderServer> {
		mocks.push(mock);
		return await mock.start();
	}

	beforeAll(async () => {
		input = await sceneAsPng(scene);
	});

	nodeRedForEachTest();

	afterEach(async () => {
		await Promise.all(mocks.splice(0).map((mock) => mock.stop()));
	});

	it('Remove Background through remove.bg: the key from the credential reaches the provider and nowhere else', async () => {
		const mock = await started(removeBgMock(SENTINEL_KEY));
		await helper.load(cutoutModules, hostedFlow('removebg', mock.baseUrl, { id: 'rb', type: 'cutout-remove-background' }), credentials(SENTINEL_KEY));
		expect(helper._redNodes.getCredentialDefinition('cutout-provider')).toEqual({ apiKey: { type: 'password' } });

		const reached = nextMessage(helper.getNode('out'));
		helper.getNode('rb').receive({ payload: input });
		const msg = await reached;

		expect(mock.requestsTo(/removebg/)).toHaveLength(1);
		expect(mock.requestsTo(/removebg/)[0].headers['x-api-key']).toBe(SENTINEL_KEY);
		expect(msg.cutout).toMatchObject({ engine: 'removebg', width: 200, height: 150 });
		expect(Object.keys(msg.cutout.timings).sort()).toEqual(['decodeMs', 'encodeMs', 'inferMs', 'refineMs']);
		expect(await rawPixels(msg.payload)).toMatchObject({ width: 200, height: 150, channels: 4 });
		expect(await rawPixels(msg.mask)).toMatchObject({ width: 200, height: 150, channels: 1 });
		const text = reportedText([helper.getNode('rb'), helper.getNode('provider')], [msg]);
		expect(text).toContain('removebg');
		expect(text).not.toContain(SENTINEL_KEY);
	});

	it('a key the provider refuses reaches the Catch node as invalid_key, with the key in no error, status or log', async () => {
		const mock = await started(removeBgMock('the-key-the-provider-expects'));
		await helper.load(cutoutModules, hostedFlow('removebg', mock.baseUrl, { id: 'matte', type: 'cutout-alpha-matte' }), credentials(SENTINEL_KEY));
		const reached = nextMessage(helper.getNode('caught'));
		helper.getNode('matte').receive({ payload: input });
		const { error } = await reached;

		expect(error.code).toBe('invalid_key');
		expect(error.message).toMatch(/remove\.bg.*\(code: invalid_key\)/);
		expect(mock.requestsTo(/removebg/)[0].headers['x-api-key']).toBe(SENTINEL_KEY);
		const node = helper.getNode('matte');
		expect(node.status.args.filter((_, call) => node.status.thisValues[call] === node).pop()).toEqual([{ fill: 'red', shape: 'dot', text: 'invalid_key' }]);
		expect(reportedText([node], [error])).not.toContain(SENTINEL_KEY);
	});

	it('Inpaint through Clipdrop fills msg.box and reports the same msg.cutout fields as the local engine', async () => {
		const mock = await started(clipdropMock(SENTINEL_KEY));
		const inpaint = { type: 'cutout-inpaint', dilation: '0' };
		await helper.load(
			cutoutModules,
			[
				...hostedFlow('clipdrop', mock.baseUrl, { ...inpaint, id: 'inpaint' }),
				{ ...inpaint, id: 'localInpaint', wires: [['localOut']] },
				{ id: 'localOut', type: 'helper' },
			],
			credentials(SENTINEL_KEY),
		);
		const box = { x: 20, y: 30, width: 40, height: 20 };
		const [hosted, local] = await Promise.all(
			[
				['inpaint', 'out'],
				['localInpaint', 'localOut'],
			].map(([from, to]) => {
				const reached = nextMessage(helper.getNode(to));
				helper.getNode(from).receive({ payload: input, box });
				return reached;
			}),
		);
		expect(hosted.cutout).toMatchObject({ engine: 'clipdrop', mode: 'bbox', width: 200, height: 150 });
		expect(local.cutout).toMatchObject({ engine: 'local', mode: 'bbox', width: 200, height: 150 });
		expect(Object.keys(hosted.cutout).sort()).toEqual(Object.keys(local.cutout).sort());
		expect(Object.keys(hosted.cutout.timings).sort()).toEqual(Object.keys(local.cutout.timings).sort());
		expect(reportedText([helper.getNode('inpaint')], [hosted])).not.toContain(SENTINEL_KEY);
	});

	it('serves the editor the models and the providers of each operation from the core', async () => {
		await helper.load(cutoutModules, []);
		const response = await helper.request().get('/cutout/choices');
		expect(response.status).toBe(200);
		const { segmentationModels, inpaintingModels, providers } = response.body as Choices;
		expect(segmentationModels.find((model) => model.isDefault)?.id).toBe('isnet-general-fp16');
		expect(inpaintingModels.map((model) => model.id)).toEqual(expect.arrayContaining(['patch', 'smooth']));
		// remove.bg has no matte endpoint: Alpha Matte keeps its cutout's alpha; it offers no inpainting.
		expect(providers.find((provider) => provider.id === 'removebg')).toEqual({
			id: 'removebg',
			displayName: 'remove.bg',
			operations: ['removeBackground', 'alphaMatte'],
		});
		expect(providers.find((provider) => provider.id === 'clipdrop')?.operations).toContain('inpaint');
	});
});
