import {
	type IBinaryKeyData,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
	NodeApiError,
	NodeOperationError,
	type JsonObject,
} from 'n8n-workflow';

import { isCutoutError } from '../../lib/errors';

/** What a node produces for one input item: json fields to add and binaries to set (named apart from INodeExecutionData's json/binary on purpose). */
export interface ItemOutput {
	fields: IDataObject;
	binaries: IBinaryKeyData;
}

/**
 * The per-item loop every Cutout node shares: one output item per input item, in order, upstream json
 * and binaries kept, pairedItem set. A failing item becomes an n8n error with its itemIndex, or with
 * "Continue On Fail" an item that keeps its input and carries json.error, while the others go on.
 * A cancelled execution starts no further items.
 */
export async function mapItems(
	ctx: IExecuteFunctions,
	processItem: (itemIndex: number, item: INodeExecutionData) => Promise<ItemOutput>,
): Promise<INodeExecutionData[][]> {
	const items = ctx.getInputData();
	const results: INodeExecutionData[] = [];
	const cancelSignal = ctx.getExecutionCancelSignal?.();
	for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
		if (cancelSignal?.aborted) {
			throw new NodeOperationError(ctx.getNode(), 'The execution was cancelled', { itemIndex });
		}
		const item = items[itemIndex];
		try {
			const output = await processItem(itemIndex, item);
			results.push({
				json: { ...item.json, ...output.fields },
				// A shallow copy keeps upstream binaries by reference, as n8n's own nodes do.
				binary: { ...(item.binary ?? {}), ...output.binaries },
				pairedItem: { item: itemIndex },
			});
		} catch (error) {
			const nodeError = toNodeError(ctx, error, itemIndex);
			if (!ctx.continueOnFail()) throw nodeError;
			results.push({
				json: { ...item.json, error: nodeError.message, ...errorCode(error) },
				binary: item.binary,
				pairedItem: { item: itemIndex },
			});
		}
	}
	return [results];
}

function errorCode(error: unknown): { errorCode?: string } {
	return isCutoutError(error) ? { errorCode: error.code } : {};
}

export function toNodeError(ctx: IExecuteFunctions, error: unknown, itemIndex: number): NodeOperationError | NodeApiError {
	if (error instanceof NodeOperationError || error instanceof NodeApiError) {
		error.context.itemIndex ??= itemIndex;
		return error;
	}
	if (isCutoutError(error)) {
		return new NodeOperationError(ctx.getNode(), error.message, {
			itemIndex,
			description: error.hint ? `${error.hint} (code: ${error.code})` : `Code: ${error.code}`,
		});
	}
	return new NodeOperationError(ctx.getNode(), error as Error | JsonObject, { itemIndex });
}
