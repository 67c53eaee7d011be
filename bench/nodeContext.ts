import type { IBinaryData, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

/**
 * A plain IExecuteFunctions for running a node outside jest (the tests' double uses jest-mock-extended,
 * which only works inside jest): parameters from an object, binaries in memory as n8n's default mode keeps them.
 * With `keepOutputs` false, output binaries are dropped once made, as n8n's filesystem mode hands them to disk
 * and keeps only an id: what the node itself holds is then all that is measured.
 */
export function benchContext(items: INodeExecutionData[], parameters: Record<string, unknown>, { keepOutputs = true } = {}): IExecuteFunctions {
	const binaryOf = (itemIndex: number, field: string | IBinaryData) => {
		const binary = items[itemIndex].binary?.[field as string];
		if (!binary) throw new Error(`No binary field '${String(field)}' on item ${itemIndex}`);
		return binary;
	};
	const context = {
		getInputData: () => items,
		getNode: () => ({ id: 'bench', name: 'Bench', type: 'bench', typeVersion: 1, position: [0, 0], parameters: {} }),
		continueOnFail: () => false,
		getExecutionCancelSignal: () => undefined,
		getNodeParameter: (name: string, _itemIndex: number, fallback?: unknown) => (name in parameters ? parameters[name] : fallback),
		logger: { info: () => undefined, debug: () => undefined, warn: () => undefined, error: () => undefined },
		helpers: {
			assertBinaryData: binaryOf,
			getBinaryDataBuffer: async (itemIndex: number, field: string) => Buffer.from(binaryOf(itemIndex, field).data, 'base64'),
			prepareBinaryData: async (data: Buffer, fileName?: string, mimeType?: string) =>
				({
					data: keepOutputs ? data.toString('base64') : '',
					fileSize: String(data.length),
					fileName,
					mimeType: mimeType ?? 'application/octet-stream',
				}) as IBinaryData,
		},
	};
	return context as unknown as IExecuteFunctions;
}
