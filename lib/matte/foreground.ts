import { resizePlane, resizeRgb } from './resize';

/**
 * Foreground colour estimation by blur fusion (Forte & Pitié, "Approximate Fast Foreground Colour
 * Estimation", ICIP 2021), as BiRefNet's refine_foreground runs it: two passes, box kernels 90 then 6.
 * Without it, soft edges keep the old background's colour (a halo after compositing).
 *
 * The box means are smooth, so they are computed at a capped resolution and upsampled; the final
 * per-pixel step F = F̄ + α(I − αF̄ − (1−α)B̄) runs at full resolution with the full-resolution image and
 * matte, so detail is not lost. Kernel sizes are scaled with the image.
 */
export interface RefineOptions {
	/** Work on at most this many pixels for the box means (default 2 MP). */
	maxWorkingPixels?: number;
	/** Kernel sizes of the two passes at full resolution (default [90, 6], as upstream). */
	kernels?: [number, number];
}

const EPSILON = 1e-5;

export async function refineForeground(
	rgb: Buffer,
	alpha: Buffer,
	width: number,
	height: number,
	options: RefineOptions = {},
): Promise<Buffer> {
	const pixels = width * height;
	if (rgb.length !== pixels * 3 || alpha.length !== pixels) {
		throw new Error(`refineForeground: expected ${pixels * 3} RGB and ${pixels} alpha bytes`);
	}
	const maxWorkingPixels = options.maxWorkingPixels ?? 2_000_000;
	const [firstKernel, secondKernel] = options.kernels ?? [90, 6];
	const scale = Math.min(1, Math.sqrt(maxWorkingPixels / pixels));
	const work = { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
	const full = { width, height };

	const workRgb = await resizeRgb(rgb, full, work);
	const workAlpha = await resizePlane(alpha, full, work, 'linear');
	const image = toUnitFloats(workRgb);
	const matte = toUnitFloats(workAlpha);

	const first = blurFusionMeans(image, image, image, matte, work.width, work.height, scaledKernel(firstKernel, scale));
	const firstForeground = applyBlurFusion(image, matte, first.foreground, first.background);
	const second = blurFusionMeans(image, firstForeground, first.background, matte, work.width, work.height, scaledKernel(secondKernel, scale));

	const foregroundMean = await resizeRgb(toBytes(second.foreground), work, full);
	const backgroundMean = await resizeRgb(toBytes(second.background), work, full);
	return applyBlurFusionBytes(rgb, alpha, foregroundMean, backgroundMean);
}

function scaledKernel(kernel: number, scale: number): number {
	return Math.max(1, Math.round(kernel * scale));
}

interface Means {
	foreground: Float32Array;
	background: Float32Array;
}

/** F̄ = box(F·α)/box(α) and B̄ = box(B·(1−α))/box(1−α), each as 3-channel interleaved floats. */
export function blurFusionMeans(
	image: Float32Array,
	foreground: Float32Array,
	background: Float32Array,
	alpha: Float32Array,
	width: number,
	height: number,
	kernel: number,
): Means {
	const pixels = width * height;
	// One 7-channel box pass: [α, F·α (3), B·(1−α) (3)].
	const packed = new Float32Array(pixels * 7);
	for (let i = 0; i < pixels; i++) {
		const a = alpha[i];
		const o = i * 7;
		const p = i * 3;
		packed[o] = a;
		packed[o + 1] = foreground[p] * a;
		packed[o + 2] = foreground[p + 1] * a;
		packed[o + 3] = foreground[p + 2] * a;
		packed[o + 4] = background[p] * (1 - a);
		packed[o + 5] = background[p + 1] * (1 - a);
		packed[o + 6] = background[p + 2] * (1 - a);
	}
	const blurred = boxMean(packed, width, height, 7, kernel);
	const foregroundMean = new Float32Array(pixels * 3);
	const backgroundMean = new Float32Array(pixels * 3);
	for (let i = 0; i < pixels; i++) {
		const o = i * 7;
		const p = i * 3;
		const a = blurred[o];
		const fgWeight = 1 / (a + EPSILON);
		const bgWeight = 1 / (1 - a + EPSILON);
		for (let c = 0; c < 3; c++) {
			foregroundMean[p + c] = blurred[o + 1 + c] * fgWeight;
			backgroundMean[p + c] = blurred[o + 4 + c] * bgWeight;
		}
	}
	return { foreground: foregroundMean, background: backgroundMean };
}

/** F = clip(F̄ + α(I − αF̄ − (1−α)B̄), 0, 1), in floats. */
function applyBlurFusion(image: Float32Array, alpha: Float32Array, fgMean: Float32Array, bgMean: Float32Array): Float32Array {
	const out = new Float32Array(image.length);
	for (let i = 0; i < alpha.length; i++) {
		const a = alpha[i];
		for (let c = 0; c < 3; c++) {
			const p = i * 3 + c;
			const f = fgMean[p] + a * (image[p] - a * fgMean[p] - (1 - a) * bgMean[p]);
			out[p] = f < 0 ? 0 : f > 1 ? 1 : f;
		}
	}
	return out;
}

/** The same step on bytes at full resolution. Opaque pixels come out exactly as the input. */
function applyBlurFusionBytes(rgb: Buffer, alpha: Buffer, fgMean: Buffer, bgMean: Buffer): Buffer {
	const out = Buffer.allocUnsafe(rgb.length);
	for (let i = 0; i < alpha.length; i++) {
		const p = i * 3;
		const alphaByte = alpha[i];
		if (alphaByte === 255) {
			out[p] = rgb[p];
			out[p + 1] = rgb[p + 1];
			out[p + 2] = rgb[p + 2];
			continue;
		}
		const a = alphaByte / 255;
		for (let c = 0; c < 3; c++) {
			const f = fgMean[p + c] + a * (rgb[p + c] - a * fgMean[p + c] - (1 - a) * bgMean[p + c]);
			out[p + c] = f < 0 ? 0 : f > 255 ? 255 : Math.round(f);
		}
	}
	return out;
}

/**
 * Mean over a kernel×kernel window, clipped at the borders (each output divides by the pixels that
 * exist), for `channels` interleaved planes. Separable running sums: O(1) per sample whatever the kernel.
 */
export function boxMean(src: Float32Array, width: number, height: number, channels: number, kernel: number): Float32Array {
	const before = Math.floor(kernel / 2);
	const after = kernel - 1 - before;
	const stride = width * channels;
	const horizontal = new Float32Array(src.length);
	const sums = new Float64Array(channels);
	for (let y = 0; y < height; y++) {
		const row = y * stride;
		sums.fill(0);
		for (let x = 0; x <= Math.min(after, width - 1); x++) {
			for (let c = 0; c < channels; c++) sums[c] += src[row + x * channels + c];
		}
		for (let x = 0; x < width; x++) {
			const count = Math.min(width - 1, x + after) - Math.max(0, x - before) + 1;
			const o = row + x * channels;
			for (let c = 0; c < channels; c++) horizontal[o + c] = sums[c] / count;
			const add = x + after + 1;
			const remove = x - before;
			for (let c = 0; c < channels; c++) {
				if (add < width) sums[c] += src[row + add * channels + c];
				if (remove >= 0) sums[c] -= src[row + remove * channels + c];
			}
		}
	}
	// Vertical pass row by row with per-column running sums, so memory is read in order.
	const out = new Float32Array(src.length);
	const columns = new Float64Array(stride);
	for (let y = 0; y <= Math.min(after, height - 1); y++) {
		const row = y * stride;
		for (let i = 0; i < stride; i++) columns[i] += horizontal[row + i];
	}
	for (let y = 0; y < height; y++) {
		const count = Math.min(height - 1, y + after) - Math.max(0, y - before) + 1;
		const row = y * stride;
		for (let i = 0; i < stride; i++) out[row + i] = columns[i] / count;
		const add = y + after + 1;
		const remove = y - before;
		if (add < height) {
			const addRow = add * stride;
			for (let i = 0; i < stride; i++) columns[i] += horizontal[addRow + i];
		}
		if (remove >= 0) {
			const removeRow = remove * stride;
			for (let i = 0; i < stride; i++) columns[i] -= horizontal[removeRow + i];
		}
	}
	return out;
}

function toUnitFloats(bytes: Buffer): Float32Array {
	const out = new Float32Array(bytes.length);
	for (let i = 0; i < bytes.length; i++) out[i] = bytes[i] / 255;
	return out;
}

function toBytes(values: Float32Array): Buffer {
	const out = Buffer.allocUnsafe(values.length);
	for (let i = 0; i < values.length; i++) {
		const v = Math.round(values[i] * 255);
		out[i] = v < 0 ? 0 : v > 255 ? 255 : v;
	}
	return out;
}
