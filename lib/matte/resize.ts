import sharp from 'sharp';

export type ResizeKernel = 'nearest' | 'linear' | 'cubic' | 'lanczos3';

/**
 * Resizes a single-channel 8-bit plane. sharp widens a 1-channel raw input to 3 channels when it
 * resizes unless told to stay greyscale, so the output length is checked, not assumed.
 */
export async function resizePlane(
	plane: Buffer,
	from: { width: number; height: number },
	to: { width: number; height: number },
	kernel: ResizeKernel = 'linear',
): Promise<Buffer> {
	if (plane.length !== from.width * from.height) {
		throw new Error(`Plane has ${plane.length} bytes, expected ${from.width}×${from.height}`);
	}
	if (from.width === to.width && from.height === to.height) return plane;
	const resized = await sharp(plane, { raw: { width: from.width, height: from.height, channels: 1 } })
		.resize(to.width, to.height, { fit: 'fill', kernel })
		.toColourspace('b-w')
		.raw()
		.toBuffer();
	if (resized.length !== to.width * to.height) {
		throw new Error(`Resized plane has ${resized.length} bytes, expected ${to.width}×${to.height}`);
	}
	return resized;
}

/** Resizes an interleaved RGB image; used to run work at a capped resolution. */
export async function resizeRgb(
	rgb: Buffer,
	from: { width: number; height: number },
	to: { width: number; height: number },
): Promise<Buffer> {
	if (from.width === to.width && from.height === to.height) return rgb;
	return sharp(rgb, { raw: { width: from.width, height: from.height, channels: 3 } })
		.resize(to.width, to.height, { fit: 'fill', kernel: 'linear' })
		.raw()
		.toBuffer();
}
