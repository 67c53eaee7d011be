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

/**
 * Brings the model's matte to the image's size. Where the image is smaller than the model's square in a
 * direction, the matte is sampled bilinearly without a prefilter, as the imgly pipeline does: averaging it
 * over the shrink footprint (sharp's kernels prefilter when they shrink) dims thin parts of the subject, a
 * branch or a distant car a few pixels wide, below one half. Enlarging is sharp's bilinear either way.
 */
export async function matteToImageSize(
	matte: Buffer,
	from: { width: number; height: number },
	to: { width: number; height: number },
): Promise<Buffer> {
	if (to.width >= from.width && to.height >= from.height) return resizePlane(matte, from, to, 'linear');
	if (matte.length !== from.width * from.height) throw new Error(`Plane has ${matte.length} bytes, expected ${from.width}×${from.height}`);
	const out = Buffer.allocUnsafe(to.width * to.height);
	const xs = samplePositions(from.width, to.width);
	const ys = samplePositions(from.height, to.height);
	for (let y = 0; y < to.height; y++) {
		const { low: y0, high: y1, weight: wy } = ys[y];
		const row0 = y0 * from.width;
		const row1 = y1 * from.width;
		for (let x = 0; x < to.width; x++) {
			const { low: x0, high: x1, weight: wx } = xs[x];
			const top = matte[row0 + x0] + (matte[row0 + x1] - matte[row0 + x0]) * wx;
			const bottom = matte[row1 + x0] + (matte[row1 + x1] - matte[row1 + x0]) * wx;
			out[y * to.width + x] = Math.round(top + (bottom - top) * wy);
		}
	}
	return out;
}

/** Centre-aligned source positions of `to` samples over `from` pixels: the two neighbours and the weight of the second. */
function samplePositions(from: number, to: number): { low: number; high: number; weight: number }[] {
	const scale = from / to;
	return Array.from({ length: to }, (_, i) => {
		const at = Math.min(from - 1, Math.max(0, (i + 0.5) * scale - 0.5));
		const low = Math.floor(at);
		return { low, high: Math.min(from - 1, low + 1), weight: at - low };
	});
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
