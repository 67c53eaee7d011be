/**
 * Multi-scale smooth fill ("pull-push" membrane): known colours are averaged down a pyramid until every
 * cell has one, then pushed back up, each level relaxed towards the average of its neighbours. It leaves
 * no seams and costs a few passes over the crop, but has no texture: good for thin strokes and small
 * blemishes, and the starting point of the patch fill's coarsest level.
 */

/** A crop being filled: interleaved RGB as floats (0–255) and its holes (1 = fill). */
export interface FloatImage {
	width: number;
	height: number;
	rgb: Float32Array;
}

const RELAX_ITERATIONS = 6;
const MAX_RELAX_ITERATIONS = 96;

/** Fills the pixels where `hole` is non-zero in place; the others are left as they are. */
export function smoothFill(image: FloatImage, hole: Uint8Array): void {
	const { width, height, rgb } = image;
	if (width * height === 0) return;
	let holes = 0;
	for (let i = 0; i < hole.length; i++) if (hole[i]) holes++;
	if (holes === 0) return;
	if (holes === hole.length) {
		rgb.fill(128);
		return;
	}
	// Pull: weights are 1 where known; a coarse cell averages its known children.
	const weight = new Float32Array(width * height);
	for (let i = 0; i < weight.length; i++) weight[i] = hole[i] ? 0 : 1;
	const colour = new Float32Array(rgb.length);
	for (let i = 0; i < weight.length; i++) {
		for (let k = 0; k < 3; k++) colour[i * 3 + k] = rgb[i * 3 + k] * weight[i];
	}
	const levels: Array<{ width: number; height: number; colour: Float32Array; weight: Float32Array }> = [
		{ width, height, colour, weight },
	];
	while (levels.at(-1)!.width > 1 || levels.at(-1)!.height > 1) {
		levels.push(pull(levels.at(-1)!));
	}
	// Push: a cell without known colour takes the coarser level's (bilinear), then relaxes.
	for (let l = levels.length - 2; l >= 0; l--) {
		const fine = levels[l];
		const coarse = levels[l + 1];
		const filled = normalised(fine);
		const coarseColour = normalised(coarse, true);
		const missing = new Uint8Array(fine.width * fine.height);
		const c: [number, number, number] = [0, 0, 0];
		for (let i = 0; i < missing.length; i++) {
			if (fine.weight[i] >= 1) continue;
			missing[i] = 1;
			const x = i % fine.width;
			const y = (i - x) / fine.width;
			sampleBilinear(coarseColour, coarse.width, coarse.height, (x + 0.5) / 2 - 0.5, (y + 0.5) / 2 - 0.5, c);
			// Partly known cells blend their own average with the coarse estimate.
			const w = fine.weight[i];
			for (let k = 0; k < 3; k++) filled[i * 3 + k] = w * filled[i * 3 + k] + (1 - w) * c[k];
		}
		// Coarse levels are small, so they afford many more iterations: colour then comes from the nearest
		// boundary rather than the image's average.
		relax(filled, missing, fine.width, fine.height, Math.min(MAX_RELAX_ITERATIONS, RELAX_ITERATIONS << l));
		for (let i = 0; i < missing.length; i++) fine.weight[i] = 1;
		fine.colour.set(filled);
	}
	const result = levels[0].colour;
	for (let i = 0; i < hole.length; i++) {
		if (!hole[i]) continue;
		rgb[i * 3] = result[i * 3];
		rgb[i * 3 + 1] = result[i * 3 + 1];
		rgb[i * 3 + 2] = result[i * 3 + 2];
	}
}

/** Jacobi relaxation of the `free` pixels towards the mean of their 4 neighbours. */
export function relax(rgb: Float32Array, free: Uint8Array, width: number, height: number, iterations: number): void {
	let total = 0;
	for (let i = 0; i < free.length; i++) if (free[i]) total++;
	const indices = new Int32Array(total);
	for (let i = 0, n = 0; i < free.length; i++) if (free[i]) indices[n++] = i;
	const next = new Float32Array(indices.length * 3);
	for (let iteration = 0; iteration < iterations; iteration++) {
		for (let n = 0; n < indices.length; n++) {
			const i = indices[n];
			const x = i % width;
			const y = (i - x) / width;
			// The four neighbours, written out rather than through a closure: this loop is the smooth fill's cost.
			let count = 0;
			let r = 0;
			let g = 0;
			let b = 0;
			if (x > 0) {
				const j = (i - 1) * 3;
				r += rgb[j];
				g += rgb[j + 1];
				b += rgb[j + 2];
				count++;
			}
			if (x < width - 1) {
				const j = (i + 1) * 3;
				r += rgb[j];
				g += rgb[j + 1];
				b += rgb[j + 2];
				count++;
			}
			if (y > 0) {
				const j = (i - width) * 3;
				r += rgb[j];
				g += rgb[j + 1];
				b += rgb[j + 2];
				count++;
			}
			if (y < height - 1) {
				const j = (i + width) * 3;
				r += rgb[j];
				g += rgb[j + 1];
				b += rgb[j + 2];
				count++;
			}
			next[n * 3] = r / count;
			next[n * 3 + 1] = g / count;
			next[n * 3 + 2] = b / count;
		}
		for (let n = 0; n < indices.length; n++) {
			const i = indices[n];
			rgb[i * 3] = next[n * 3];
			rgb[i * 3 + 1] = next[n * 3 + 1];
			rgb[i * 3 + 2] = next[n * 3 + 2];
		}
	}
}

/**
 * Bilinear sample of interleaved RGB floats at (x, y) in pixel-centre coordinates, clamped to the edges;
 * written into `out` when given, so per-pixel loops allocate nothing.
 */
export function sampleBilinear(
	rgb: Float32Array,
	width: number,
	height: number,
	x: number,
	y: number,
	out: [number, number, number] = [0, 0, 0],
): [number, number, number] {
	const cx = Math.min(width - 1, Math.max(0, x));
	const cy = Math.min(height - 1, Math.max(0, y));
	const x0 = Math.floor(cx);
	const y0 = Math.floor(cy);
	const x1 = Math.min(width - 1, x0 + 1);
	const y1 = Math.min(height - 1, y0 + 1);
	const fx = cx - x0;
	const fy = cy - y0;
	for (let k = 0; k < 3; k++) {
		const top = rgb[(y0 * width + x0) * 3 + k] * (1 - fx) + rgb[(y0 * width + x1) * 3 + k] * fx;
		const bottom = rgb[(y1 * width + x0) * 3 + k] * (1 - fx) + rgb[(y1 * width + x1) * 3 + k] * fx;
		out[k] = top * (1 - fy) + bottom * fy;
	}
	return out;
}

interface WeightedLevel {
	width: number;
	height: number;
	/** Colour × weight, interleaved. */
	colour: Float32Array;
	/** 0–1: how much of the cell is known. */
	weight: Float32Array;
}

function pull(fine: WeightedLevel): WeightedLevel {
	const width = Math.ceil(fine.width / 2);
	const height = Math.ceil(fine.height / 2);
	const colour = new Float32Array(width * height * 3);
	const weight = new Float32Array(width * height);
	for (let y = 0; y < height; y++) {
		for (let x = 0; x < width; x++) {
			const o = y * width + x;
			let w = 0;
			for (let dy = 0; dy < 2; dy++) {
				for (let dx = 0; dx < 2; dx++) {
					const fx = 2 * x + dx;
					const fy = 2 * y + dy;
					if (fx >= fine.width || fy >= fine.height) continue;
					const i = fy * fine.width + fx;
					w += fine.weight[i];
					for (let k = 0; k < 3; k++) colour[o * 3 + k] += fine.colour[i * 3 + k];
				}
			}
			// Any known child makes the cell known (Gortler et al.'s pull), so a thin known ring still pins
			// the coarse levels; stored pre-multiplied: colour / weight is the average over known children.
			weight[o] = Math.min(1, w);
			const scale = w > 0 ? weight[o] / w : 0;
			for (let k = 0; k < 3; k++) colour[o * 3 + k] *= scale;
		}
	}
	return { width, height, colour, weight };
}

/** Colour divided by weight; with `force`, cells with no weight at all are 0 (only the coarsest may be). */
function normalised(level: WeightedLevel, force = false): Float32Array {
	const out = new Float32Array(level.colour.length);
	for (let i = 0; i < level.weight.length; i++) {
		const w = level.weight[i];
		if (w <= 0 && !force) continue;
		for (let k = 0; k < 3; k++) out[i * 3 + k] = w > 0 ? level.colour[i * 3 + k] / w : 0;
	}
	return out;
}
