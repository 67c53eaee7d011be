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
import { mapWithLimit } from '../../lib/concurrency';
import { isProviderError, type ProviderError } from '../../lib/providers/http/errors';

/** What a node produces for one input item: json fields to add and binaries to set (named apart from INodeExecutionData's json/binary on purpose). */
export interface ItemOutput {
	/** The operation's fields (lib/pipeline), the same whichever engine ran; copied into json as plain data. */
	fields: object;
	binaries: IBinaryKeyData;
}

export interface MapItemsOptions {
	/** Items processed at once (default 1); the output keeps the input order either way. */
	concurrency?: number;
}

/**
 * The per-item loop every Cutout node shares: one output item per input item, in order, upstream json
 * and binaries kept, pairedItem set. A failing item becomes an n8n error with its itemIndex, or with
 * "Continue On Fail" an item that keeps its input and carries json.error and json.errorCode (or, with
 * "Continue (using error output)", an item on the error output), while the others go on.
 * A cancelled execution starts no further items.
 */
export async function mapItems(
	ctx: IExecuteFunctions,
	processItem: (itemIndex: number, item: INodeExecutionData) => Promise<ItemOutput>,
	options: MapItemsOptions = {},
): Promise<INodeExecutionData[][]> {
	const cancelSignal = ctx.getExecutionCancelSignal?.();
	const results = await mapWithLimit(ctx.getInputData(), options.concurrency ?? 1, async (item, itemIndex): Promise<INodeExecutionData> => {
		if (cancelSignal?.aborted) {
			throw new NodeOperationError(ctx.getNode(), 'The execution was cancelled', { itemIndex });
		}
		try {
			const output = await processItem(itemIndex, item);
			return {
				json: { ...item.json, ...(JSON.parse(JSON.stringify(output.fields)) as IDataObject) },
				// A shallow copy keeps upstream binaries by reference, as n8n's own nodes do.
				binary: { ...(item.binary ?? {}), ...output.binaries },
				pairedItem: { item: itemIndex },
			};
		} catch (error) {
			const nodeError = withFileName(toNodeError(ctx, error, itemIndex), inputFileName(ctx, item, itemIndex));
			if (!ctx.continueOnFail()) throw nodeError;
			const codes = errorCode(error);
			if (ctx.getNode().onError === 'continueErrorOutput') {
				// n8n 2.8 routes an item to the error output only when json.error is json's single key (setting
				// item.error instead makes n8n cut json down to the message), and merges the input's json back in;
				// so the code travels in the message there.
				const code = codes.errorCode ? ` (code: ${codes.errorCode})` : '';
				return { json: { error: `${nodeError.message}${code}` }, binary: item.binary, pairedItem: { item: itemIndex } };
			}
			return {
				json: { ...item.json, error: nodeError.message, ...codes },
				binary: item.binary,
				pairedItem: { item: itemIndex },
			};
		}
	});
	return [results];
}

/** The file name of the item's input binary (the nodes' `binaryPropertyName`), when it has one. */
function inputFileName(ctx: IExecuteFunctions, item: INodeExecutionData, itemIndex: number): string | undefined {
	let field: unknown;
	try {
		field = ctx.getNodeParameter('binaryPropertyName', itemIndex, 'data');
	} catch {
		// A broken expression in the field name is the item's error already; the file name is only a courtesy.
		return undefined;
	}
	return typeof field === 'string' ? item.binary?.[field]?.fileName : undefined;
}

/** In a batch, "bad.jpg: The input is not a supported image …" says which file to look at (also in json.error). */
function withFileName<E extends NodeOperationError | NodeApiError>(error: E, fileName: string | undefined): E {
	if (fileName && !error.message.startsWith(`${fileName}: `)) error.message = `${fileName}: ${error.message}`;
	return error;
}

function errorCode(error: unknown): { errorCode?: string; providerRequestId?: string } {
	if (isProviderError(error)) return { errorCode: error.code, ...(error.requestId ? { providerRequestId: error.requestId } : {}) };
	return isCutoutError(error) ? { errorCode: error.code } : {};
}

export function toNodeError(ctx: IExecuteFunctions, error: unknown, itemIndex: number): NodeOperationError | NodeApiError {
	if (error instanceof NodeOperationError || error instanceof NodeApiError) {
		error.context.itemIndex ??= itemIndex;
		return error;
	}
	if (isProviderError(error)) {
		// A plain object, not the error: n8n keeps errorResponse with the execution.
		const response = { provider: error.provider, errorCode: error.code, providerRequestId: error.requestId ?? null };
		return new NodeApiError(ctx.getNode(), response as JsonObject, {
			message: error.message,
			description: providerErrorDescription(error),
			httpCode: error.status === undefined ? undefined : String(error.status),
			itemIndex,
		});
	}
	if (isCutoutError(error)) {
		return new NodeOperationError(ctx.getNode(), error.message, {
			itemIndex,
			description: error.hint ? `${error.hint} (code: ${error.code})` : `Code: ${error.code}`,
		});
	}
	return new NodeOperationError(ctx.getNode(), error as Error | JsonObject, { itemIndex });
}

function providerErrorDescription(error: ProviderError): string {
	// n8n swaps a message naming a network code (ECONNREFUSED, …) for its own wording; keep ours visible.
	const original = error.code === 'unreachable' ? `${error.message}. ` : '';
	const details = [
		error.providerCode ? `provider code: ${error.providerCode}` : undefined,
		error.requestId ? `provider request ID: ${error.requestId}` : undefined,
		`code: ${error.code}`,
	].filter(Boolean);
	return `${original}${error.hint ? `${error.hint} ` : ''}(${details.join(', ')})`;
}
