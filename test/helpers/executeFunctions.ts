import { mockDeep } from 'jest-mock-extended';
import type { IBinaryData, IDataObject, IExecuteFunctions, INode, INodeExecutionData } from 'n8n-workflow';

/**
 * An IExecuteFunctions double for node-level tests: parameters come from a plain object, binaries live
 * in memory as n8n's default mode stores them (base64 in `data`), and prepareBinaryData behaves like n8n's.
 */
export interface FakeContextOptions {
	items: INodeExecutionData[];
	parameters: Record<string, unknown>;
	continueOnFail?: boolean;
	cancelSignal?: AbortSignal;
}

export const TEST_NODE: INode = {
	id: 'node-under-test',
	name: 'Cutout',
	type: 'n8n-nodes-cutout.test',
	typeVersion: 1,
	position: [0, 0],
	parameters: {},
};

export function fakeExecuteFunctions(options: FakeContextOptions) {
	const ctx = mockDeep<IExecuteFunctions>();
	ctx.getInputData.mockReturnValue(options.items);
	ctx.getNode.mockReturnValue(TEST_NODE);
	ctx.continueOnFail.mockReturnValue(options.continueOnFail ?? false);
	ctx.getExecutionCancelSignal.mockReturnValue(options.cancelSignal);
	ctx.getNodeParameter.mockImplementation(((name: string, _itemIndex: number, fallback?: unknown) => {
		if (name in options.parameters) return options.parameters[name];
		if (fallback !== undefined) return fallback;
		throw new Error(`Test did not set parameter "${name}"`);
	}) as IExecuteFunctions['getNodeParameter']);
	ctx.helpers.assertBinaryData.mockImplementation((itemIndex: number, field: string | IBinaryData) => {
		const binary = options.items[itemIndex].binary?.[field as string];
		if (!binary) throw new Error(`The item has no binary field '${String(field)}' [item ${itemIndex}]`);
		return binary;
	});
	ctx.helpers.getBinaryDataBuffer.mockImplementation(async (itemIndex: number, field: string | IBinaryData) => {
		const binary = options.items[itemIndex].binary?.[field as string];
		if (!binary) throw new Error(`The item has no binary field '${String(field)}' [item ${itemIndex}]`);
		return Buffer.from(binary.data, 'base64');
	});
	ctx.helpers.prepareBinaryData.mockImplementation(async (data: Buffer | NodeJS.ReadableStream, fileName?: string, mimeType?: string) => {
		const buffer = data as Buffer;
		return {
			data: buffer.toString('base64'),
			fileName,
			mimeType: mimeType ?? 'application/octet-stream',
			fileExtension: fileName?.split('.').pop(),
			fileSize: `${buffer.length} B`,
		} as IBinaryData;
	});
	return ctx;
}

export function binaryItem(buffer: Buffer, fileName: string, mimeType: string, json: IDataObject = {}): INodeExecutionData {
	return { json, binary: { data: { data: buffer.toString('base64'), fileName, mimeType } } };
}

export function binaryBytes(binary: IBinaryData | undefined): Buffer {
	if (!binary) throw new Error('Missing binary');
	return Buffer.from(binary.data, 'base64');
}
