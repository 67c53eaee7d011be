import type { IDataObject, INodeExecutionData, INodeType } from 'n8n-workflow';

import { remoteProviders } from '../../lib/providers/clients';
import type { OperationName } from '../../lib/providers/types';
import { AlphaMatte } from '../../nodes/AlphaMatte/AlphaMatte.node';
import { Inpaint } from '../../nodes/Inpaint/Inpaint.node';
import { RemoveBackground } from '../../nodes/RemoveBackground/RemoveBackground.node';
import { binaryItem, fakeExecuteFunctions } from '../helpers/executeFunctions';
import { LOCAL_U2NETP_PARAMETERS } from '../helpers/nodeParameters';
import { runOnProviderMock } from '../helpers/remoteNode';
import { makeScene, sceneAsJpeg } from '../helpers/scene';

/**
 * A workflow must not depend on which engine ran: the same operation returns the same json field names
 * (and timing names) on the local engine and on every hosted provider, with null where an engine has
 * nothing to say.
 */
function withoutEngine({ engine: _engine, ...parameters }: IDataObject): IDataObject {
	return parameters;
}

const operations: Array<{ operation: OperationName; node: INodeType; parameters: IDataObject }> = [
	{ operation: 'removeBackground', node: new RemoveBackground(), parameters: withoutEngine(LOCAL_U2NETP_PARAMETERS) },
	{
		operation: 'alphaMatte',
		node: new AlphaMatte(),
		parameters: { binaryPropertyName: 'data', model: 'u2netp', operatingResolution: 'native', outputType: 'soft', outputFormat: 'png', options: {} },
	},
	{
		operation: 'inpaint',
		node: new Inpaint(),
		parameters: {
			binaryPropertyName: 'data',
			inpaintModel: 'smooth',
			region: 'box',
			boundingBox: { box: { x: 110, y: 20, width: 100, height: 170 } },
			dilation: 8,
			outputFormat: 'png',
			options: {},
		},
	},
];

/** Every key path of the json, nested objects included; providerMeta's keys vary by provider and upload is null locally. */
function fieldNames(json: IDataObject, prefix = ''): string[] {
	return Object.entries(json).flatMap(([key, value]) => {
		const path = `${prefix}${key}`;
		const nested = value !== null && typeof value === 'object' && !Array.isArray(value) && !['providerMeta', 'upload'].includes(key);
		return nested ? [path, ...fieldNames(value as IDataObject, `${path}.`)] : [path];
	});
}

let item: () => INodeExecutionData;
beforeAll(async () => {
	const jpeg = await sceneAsJpeg(makeScene(320, 200));
	item = () => binaryItem(jpeg, 'photo.jpg', 'image/jpeg');
});

describe.each(operations)('$operation: json field names', ({ operation, node, parameters }) => {
	let local: string[];
	beforeAll(async () => {
		const execute = node.execute as (this: unknown) => Promise<INodeExecutionData[][]>;
		const [[output]] = await execute.call(fakeExecuteFunctions({ items: [item()], parameters: { ...parameters, engine: 'local' } }));
		local = fieldNames(output.json).sort();
	});

	it('on the local engine: engine, model, the provider fields as null, timings', () => {
		expect(local).toEqual(expect.arrayContaining(['engine', 'model', 'provider', 'providerRequestId', 'providerMeta', 'upload', 'width', 'height']));
		expect(local.filter((name) => name.startsWith('timings.'))).toHaveLength(4);
	});

	it.each(remoteProviders.filter((provider) => provider.operations[operation] || operation === 'alphaMatte').map((provider) => [provider.id, provider]))(
		'on %s: the same names as on the local engine',
		async (_id, provider) => {
			const { output, error } = await runOnProviderMock(node, provider, { items: [item()], parameters });
			expect(error).toBeUndefined();
			expect(output![0].json.engine).toBe(provider.id);
			expect(fieldNames(output![0].json).sort()).toEqual(local);
		},
	);
});
