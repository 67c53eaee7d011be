import sharp from 'sharp';

/**
 * Stand-ins for the providers' models, so mock answers are real images that tests can check: the "subject"
 * is every pixel whose blue channel is below 80, which is exactly the warm blob of test/helpers/scene.ts
 * (blob blue ≤ 50, background blue ≥ 100).
 */
const SUBJECT_MAX_BLUE = 80;

export interface ToyImage {
	width: number;
	height: number;
	rgb: Buffer;
	/** 255 on the subject, 0 elsewhere. */
	matte: Buffer;
}

export async function toySegment(image: Buffer): Promise<ToyImage> {
	const { data, info } = await sharp(image).rotate().removeAlpha().raw().toBuffer({ resolveWithObject: true });
	const pixels = info.width * info.height;
	const matte = Buffer.alloc(pixels);
	for (let i = 0; i < pixels; i++) matte[i] = data[i * 3 + 2] < SUBJECT_MAX_BLUE ? 255 : 0;
	return { width: info.width, height: info.height, rgb: data, matte };
}

export async function toyCutoutPng(image: Buffer): Promise<Buffer> {
	const { width, height, rgb, matte } = await toySegment(image);
	const rgba = Buffer.alloc(width * height * 4);
	for (let i = 0; i < width * height; i++) {
		rgb.copy(rgba, i * 4, i * 3, i * 3 + 3);
		rgba[i * 4 + 3] = matte[i];
	}
	return sharp(rgba, { raw: { width, height, channels: 4 } }).png().toBuffer();
}

export async function toyMaskPng(image: Buffer): Promise<Buffer> {
	const { width, height, matte } = await toySegment(image);
	return greyPng(matte, width, height);
}

export function greyPng(plane: Buffer, width: number, height: number): Promise<Buffer> {
	return sharp(plane, { raw: { width, height, channels: 1 } }).toColourspace('b-w').png().toBuffer();
}

/**
 * Fills the region (255 in `region`) with the mean colour of the rest: crude, but visibly "inpainted".
 * With `alterOutside`, every pixel outside the region changes too (bit 6 flipped), as a provider that
 * re-renders the whole image would; the node must not let those pixels through.
 */
export async function toyInpaintPng(image: Buffer, region: Buffer, alterOutside = false): Promise<Buffer> {
	const { width, height, rgb } = await toySegment(image);
	const sum = [0, 0, 0];
	let count = 0;
	for (let i = 0; i < width * height; i++) {
		if (region[i] >= 128) continue;
		for (let c = 0; c < 3; c++) sum[c] += rgb[i * 3 + c];
		count++;
	}
	const fill = sum.map((value) => Math.round(value / Math.max(1, count)));
	const out = Buffer.from(rgb);
	for (let i = 0; i < width * height; i++) {
		if (region[i] >= 128) out.set(fill, i * 3);
		else if (alterOutside) for (let c = 0; c < 3; c++) out[i * 3 + c] ^= 0x40;
	}
	return sharp(out, { raw: { width, height, channels: 3 } }).png().toBuffer();
}

/** A mask image's first channel at its own size. */
export async function readPlane(mask: Buffer): Promise<{ plane: Buffer; width: number; height: number }> {
	const { data, info } = await sharp(mask).removeAlpha().extractChannel(0).raw().toBuffer({ resolveWithObject: true });
	return { plane: data, width: info.width, height: info.height };
}

export async function imageSize(image: Buffer): Promise<{ width: number; height: number }> {
	const { width = 0, height = 0 } = await sharp(image).metadata();
	return { width, height };
}
