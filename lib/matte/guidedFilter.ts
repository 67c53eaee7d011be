import { boxMean, toUnitFloats } from './foreground';
import type { PlaneSize } from './morphology';
import { resizePlane, resizeRgb } from './resize';

/**
 * Fast guided filter upsampling (He & Sun, "Fast Guided Filter", 2015): the model's low-resolution
 * matte is explained locally as a linear function of the image, q = a·I + b, with a and b fitted in
 * (2r+1)² windows at a working resolution near the model's, then a and b are upsampled (they are smooth)
 * and applied to the full-resolution image. Edges in the output follow the real image instead of a
 * blurred low-resolution matte.
 */
export interface GuidedUpsampleOptions {
	/** 'colour' fits a against RGB (a 3×3 solve per pixel, follows colour edges); 'grey' against luma. */
	guide?: 'colour' | 'grey';
	/** Window radius at the working resolution (default 4). */
	radius?: number;
	/** Regularisation on [0, 1] intensities: larger keeps the matte smoother (default 1e-4). */
	epsilon?: number;
}

export const GUIDED_DEFAULTS: Required<GuidedUpsampleOptions> = { guide: 'colour', radius: 4, epsilon: 1e-4 };

/**
 * Upsamples `matte` (any size, even a square model output for a non-square image) to `size`, guided by
 * the full-resolution `rgb`. The fit runs on a grid with the image's aspect ratio and about as many
 * pixels as the matte, never more than the image.
 */
export async function guidedUpsample(
	matte: Buffer,
	matteSize: PlaneSize,
	rgb: Buffer,
	size: PlaneSize,
	options: GuidedUpsampleOptions = {},
): Promise<Buffer> {
	const { guide, radius, epsilon } = { ...GUIDED_DEFAULTS, ...options };
	if (rgb.length !== size.width * size.height * 3) throw new Error(`guidedUpsample: expected ${size.width}×${size.height} RGB`);
	const work = workingSize(matteSize, size);
	const workMatte = await resizePlane(matte, matteSize, work, 'linear');
	const workRgb = await resizeRgb(rgb, size, work);
	const channels = guide === 'colour' ? 3 : 1;
	const guideValues = guide === 'colour' ? toUnitFloats(workRgb) : luma(workRgb);
	const coefficients = guidedCoefficients(guideValues, channels, toUnitFloats(workMatte), work, radius, epsilon);
	return applyCoefficients(coefficients, channels, work, rgb, size);
}

/** The image's aspect ratio with about the matte's pixel count, capped at the image's own size. */
export function workingSize(matteSize: PlaneSize, size: PlaneSize): PlaneSize {
	const pixels = Math.min(matteSize.width * matteSize.height, size.width * size.height);
	const scale = Math.min(1, Math.sqrt(pixels / (size.width * size.height)));
	return { width: Math.max(1, Math.round(size.width * scale)), height: Math.max(1, Math.round(size.height * scale)) };
}

/**
 * Box means of a and b: (channels + 1) interleaved floats per pixel, a first. `guide` holds `channels`
 * interleaved values per pixel and `p` one, all on [0, 1].
 */
export function guidedCoefficients(
	guide: Float32Array,
	channels: 1 | 3,
	p: Float32Array,
	size: PlaneSize,
	radius: number,
	epsilon: number,
): Float32Array {
	const pixels = size.width * size.height;
	const kernel = 2 * radius + 1;
	// Per pixel: I (c), p, I·Iᵀ (upper triangle: 1 or 6), I·p (c).
	const products = channels === 3 ? 6 : 1;
	const stride = channels + 1 + products + channels;
	const packed = new Float32Array(pixels * stride);
	for (let i = 0; i < pixels; i++) {
		const o = i * stride;
		const v = p[i];
		if (channels === 3) {
			const r = guide[i * 3];
			const g = guide[i * 3 + 1];
			const b = guide[i * 3 + 2];
			packed[o] = r;
			packed[o + 1] = g;
			packed[o + 2] = b;
			packed[o + 3] = v;
			packed[o + 4] = r * r;
			packed[o + 5] = r * g;
			packed[o + 6] = r * b;
			packed[o + 7] = g * g;
			packed[o + 8] = g * b;
			packed[o + 9] = b * b;
			packed[o + 10] = r * v;
			packed[o + 11] = g * v;
			packed[o + 12] = b * v;
		} else {
			const x = guide[i];
			packed[o] = x;
			packed[o + 1] = v;
			packed[o + 2] = x * x;
			packed[o + 3] = x * v;
		}
	}
	const means = boxMean(packed, size.width, size.height, stride, kernel, packed);
	const ab = new Float32Array(pixels * (channels + 1));
	for (let i = 0; i < pixels; i++) {
		const o = i * stride;
		const q = i * (channels + 1);
		if (channels === 3) {
			const mr = means[o];
			const mg = means[o + 1];
			const mb = means[o + 2];
			const mp = means[o + 3];
			// Covariance of the guide (plus ε on the diagonal) and its covariance with p.
			const rr = means[o + 4] - mr * mr + epsilon;
			const rg = means[o + 5] - mr * mg;
			const rb = means[o + 6] - mr * mb;
			const gg = means[o + 7] - mg * mg + epsilon;
			const gb = means[o + 8] - mg * mb;
			const bb = means[o + 9] - mb * mb + epsilon;
			const cr = means[o + 10] - mr * mp;
			const cg = means[o + 11] - mg * mp;
			const cb = means[o + 12] - mb * mp;
			// Symmetric 3×3 inverse by cofactors.
			const i00 = gg * bb - gb * gb;
			const i01 = rb * gb - rg * bb;
			const i02 = rg * gb - rb * gg;
			const i11 = rr * bb - rb * rb;
			const i12 = rb * rg - rr * gb;
			const i22 = rr * gg - rg * rg;
			const det = rr * i00 + rg * i01 + rb * i02;
			const inv = 1 / det;
			const ar = (i00 * cr + i01 * cg + i02 * cb) * inv;
			const ag = (i01 * cr + i11 * cg + i12 * cb) * inv;
			const abl = (i02 * cr + i12 * cg + i22 * cb) * inv;
			ab[q] = ar;
			ab[q + 1] = ag;
			ab[q + 2] = abl;
			ab[q + 3] = mp - ar * mr - ag * mg - abl * mb;
		} else {
			const mx = means[o];
			const mp = means[o + 1];
			const a = (means[o + 3] - mx * mp) / (means[o + 2] - mx * mx + epsilon);
			ab[q] = a;
			ab[q + 1] = mp - a * mx;
		}
	}
	return boxMean(ab, size.width, size.height, channels + 1, kernel, ab);
}

/**
 * q = ā·I + b̄ at full resolution, with ā and b̄ bilinearly interpolated from the working grid (pixel
 * centres aligned): each output row blends two working rows once, then two taps per pixel.
 */
export function applyCoefficients(
	coefficients: Float32Array,
	channels: 1 | 3,
	work: PlaneSize,
	rgb: Buffer,
	size: PlaneSize,
): Buffer {
	const k = channels + 1;
	const { width, height } = size;
	const columns = interpolationTaps(width, work.width);
	const rows = interpolationTaps(height, work.height);
	const row = new Float32Array(work.width * k);
	const out = Buffer.allocUnsafe(width * height);
	const lumaWeights = [0.299 / 255, 0.587 / 255, 0.114 / 255];
	for (let y = 0; y < height; y++) {
		const top = rows.low[y] * work.width * k;
		const bottom = rows.high[y] * work.width * k;
		const fy = rows.fraction[y];
		for (let i = 0; i < row.length; i++) row[i] = coefficients[top + i] + (coefficients[bottom + i] - coefficients[top + i]) * fy;
		for (let x = 0; x < width; x++) {
			const left = columns.low[x] * k;
			const right = columns.high[x] * k;
			const fx = columns.fraction[x];
			const p = (y * width + x) * 3;
			let q: number;
			if (channels === 3) {
				const ar = row[left] + (row[right] - row[left]) * fx;
				const ag = row[left + 1] + (row[right + 1] - row[left + 1]) * fx;
				const ab = row[left + 2] + (row[right + 2] - row[left + 2]) * fx;
				const b = row[left + 3] + (row[right + 3] - row[left + 3]) * fx;
				q = (ar * rgb[p] + ag * rgb[p + 1] + ab * rgb[p + 2]) / 255 + b;
			} else {
				const a = row[left] + (row[right] - row[left]) * fx;
				const b = row[left + 1] + (row[right + 1] - row[left + 1]) * fx;
				q = a * (lumaWeights[0] * rgb[p] + lumaWeights[1] * rgb[p + 1] + lumaWeights[2] * rgb[p + 2]) + b;
			}
			const v = Math.round(q * 255);
			out[y * width + x] = v < 0 ? 0 : v > 255 ? 255 : v;
		}
	}
	return out;
}

/** For each output index, the two source indices and the weight of the second (pixel centres aligned). */
function interpolationTaps(outLength: number, inLength: number): { low: Int32Array; high: Int32Array; fraction: Float32Array } {
	const low = new Int32Array(outLength);
	const high = new Int32Array(outLength);
	const fraction = new Float32Array(outLength);
	const scale = inLength / outLength;
	for (let i = 0; i < outLength; i++) {
		const position = Math.min(inLength - 1, Math.max(0, (i + 0.5) * scale - 0.5));
		low[i] = Math.floor(position);
		high[i] = Math.min(inLength - 1, low[i] + 1);
		fraction[i] = position - low[i];
	}
	return { low, high, fraction };
}

function luma(rgb: Uint8Array): Float32Array {
	const out = new Float32Array(rgb.length / 3);
	for (let i = 0; i < out.length; i++) out[i] = (0.299 * rgb[i * 3] + 0.587 * rgb[i * 3 + 1] + 0.114 * rgb[i * 3 + 2]) / 255;
	return out;
}
