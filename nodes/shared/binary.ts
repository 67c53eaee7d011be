import type { IBinaryData, IExecuteFunctions } from 'n8n-workflow';

import type { EncodedImage } from '../../lib/image/encode';

/** Reads an input binary through n8n's helpers, which resolve filesystem, database and in-memory modes. */
export async function readInputBinary(
	ctx: IExecuteFunctions,
	itemIndex: number,
	field: string,
): Promise<{ buffer: Buffer; meta: IBinaryData }> {
	const meta = ctx.helpers.assertBinaryData(itemIndex, field);
	const buffer = await ctx.helpers.getBinaryDataBuffer(itemIndex, field);
	return { buffer, meta };
}

/** Output file names follow the input's: photo.jpg → photo.png and photo-mask.png. */
export async function writeOutputBinary(
	ctx: IExecuteFunctions,
	encoded: EncodedImage,
	input: IBinaryData,
	suffix = '',
): Promise<IBinaryData> {
	const stem = (input.fileName ?? 'image').replace(/\.[^.]+$/, '') || 'image';
	return ctx.helpers.prepareBinaryData(encoded.data, `${stem}${suffix}.${encoded.fileExtension}`, encoded.mimeType);
}
