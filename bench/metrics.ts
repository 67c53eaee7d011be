/**
 * Matte quality metrics, as the matting literature defines them (Rhemann et al., "A Perceptually Motivated
 * Online Benchmark for Image Matting", CVPR 2009, and the evaluation code of alphamatting.com):
 *   IoU   on masks thresholded at 0.5 (alpha >= 128 of 255);
 *   MAE   mean |prediction - truth| with alpha in [0, 1];
 *   SAD   sum of |prediction - truth| with alpha in [0, 1], divided by 1000;
 *   Grad  sum of (|∇prediction| - |∇truth|)², gradients by first-order Gaussian derivative filters with
 *         sigma 1.4, alpha in [0, 1], divided by 1000.
 * All over the whole image: ECSSD has no trimap, and a cutout is judged on every pixel.
 */

export interface MatteScores {
	iou: number;
	mae: number;
	sad: number;
	grad: number;
}

export interface Plane {
	data: Uint8Array;
	width: number;
	height: number;
}

export function matteScores(prediction: Plane, truth: Plane): MatteScores {
	if (prediction.width !== truth.width || prediction.height !== truth.height || prediction.data.length !== truth.data.length) {
		throw new Error(`Prediction is ${prediction.width}×${prediction.height}, ground truth ${truth.width}×${truth.height}`);
	}
	let intersection = 0;
	let union = 0;
	let absolute = 0;
	for (let i = 0; i < truth.data.length; i++) {
		const p = prediction.data[i] >= 128;
		const t = truth.data[i] >= 128;
		if (p && t) intersection++;
		if (p || t) union++;
		absolute += Math.abs(prediction.data[i] - truth.data[i]);
	}
	const predictedGradient = gradientMagnitude(prediction);
	const trueGradient = gradientMagnitude(truth);
	let gradient = 0;
	for (let i = 0; i < predictedGradient.length; i++) gradient += (predictedGradient[i] - trueGradient[i]) ** 2;
	return {
		iou: union === 0 ? 1 : intersection / union,
		mae: absolute / (255 * truth.data.length),
		sad: absolute / 255 / 1000,
		grad: gradient / 1000,
	};
}

const SIGMA = 1.4;

/**
 * The 1-D halves of MATLAB's gaussgradient(sigma): a Gaussian and its derivative over
 * ceil(sigma * sqrt(-2 ln(sqrt(2π) sigma 0.01))) pixels each side (4 for sigma 1.4). The 2-D kernel
 * gaussian(x)·derivative(y) is scaled to unit L2 norm, which is the product of the halves' norms.
 */
function derivativeKernels(sigma: number): {
	smooth: Float64Array;
	derivative: Float64Array;
} {
	const half = Math.ceil(sigma * Math.sqrt(-2 * Math.log(Math.sqrt(2 * Math.PI) * sigma * 0.01)));
	const smooth = new Float64Array(2 * half + 1);
	const derivative = new Float64Array(2 * half + 1);
	for (let i = -half; i <= half; i++) {
		const gaussian = Math.exp(-(i * i) / (2 * sigma * sigma)) / (sigma * Math.sqrt(2 * Math.PI));
		smooth[i + half] = gaussian;
		derivative[i + half] = (-i / (sigma * sigma)) * gaussian;
	}
	const norm = Math.hypot(...smooth) * Math.hypot(...derivative);
	for (let i = 0; i < derivative.length; i++) derivative[i] /= norm;
	return { smooth, derivative };
}

const KERNELS = derivativeKernels(SIGMA);

/** |∇alpha| per pixel, alpha scaled to [0, 1], borders replicated. */
export function gradientMagnitude({ data, width, height }: Plane): Float64Array {
	const alpha = Float64Array.from(data, (v) => v / 255);
	const gx = separable(alpha, width, height, KERNELS.derivative, KERNELS.smooth);
	const gy = separable(alpha, width, height, KERNELS.smooth, KERNELS.derivative);
	for (let i = 0; i < gx.length; i++) gx[i] = Math.hypot(gx[i], gy[i]);
	return gx;
}

/** Correlates with `alongX` horizontally, then with `alongY` vertically. */
function separable(plane: Float64Array, width: number, height: number, alongX: Float64Array, alongY: Float64Array): Float64Array {
	const half = (alongX.length - 1) / 2;
	const clamp = (v: number, max: number) => (v < 0 ? 0 : v > max ? max : v);
	const rows = new Float64Array(plane.length);
	for (let y = 0; y < height; y++) {
		for (let x = 0; x < width; x++) {
			let sum = 0;
			for (let k = -half; k <= half; k++) sum += alongX[k + half] * plane[y * width + clamp(x + k, width - 1)];
			rows[y * width + x] = sum;
		}
	}
	const out = new Float64Array(plane.length);
	for (let y = 0; y < height; y++) {
		for (let x = 0; x < width; x++) {
			let sum = 0;
			for (let k = -half; k <= half; k++) sum += alongY[k + half] * rows[clamp(y + k, height - 1) * width + x];
			out[y * width + x] = sum;
		}
	}
	return out;
}
