import type { IBinaryData, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

/**
 * A plain IExecuteFunctions for running a node outside jest (the tests' double uses jest-mock-extended,
 * which only works inside jest): parameters from an object, binaries in memory as n8n's default mode keeps them.
 */
export function benchContext(items: INodeExecutionData[], parameters: Record<string, unknown>): IExecuteFunctions {
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
				({ data: data.toString('base64'), fileName, mimeType: mimeType ?? 'application/octet-stream' }) as IBinaryData,
		},
	};
	return context as unknown as IExecuteFunctions;
}
