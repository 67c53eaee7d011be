import { dilateSquare } from '../matte/morphology';
import type { Box } from '../matte/stats';
import { mulberry32 } from '../random';
import { type FloatImage, sampleBilinear, smoothFill } from './smoothFill';

/**
 * Exemplar-based fill (Wexler, Shechtman & Irani 2007, with Barnes et al.'s PatchMatch for the nearest
 * neighbour search): every 7×7 patch touching the hole is matched to a patch of the known image, and each
 * hole pixel becomes the similarity-weighted vote of the matched patches that cover it; search and vote
 * alternate, coarse to fine. The result continues textures and structures into the hole instead of
 * smoothing them away; the coarsest level starts from the smooth fill.
 */

export interface PatchFillOptions {
	/** Seed of the random search, so a fill is reproducible. */
	seed?: number;
}

export interface PatchFillResult {
	/** Nearest-neighbour field at this resolution: for each pixel, the centre of its source patch, or -1. */
	field: Int32Array;
}

const RADIUS = 3;
const PATCH = 2 * RADIUS + 1;
/** The coarsest level is about this many pixels on its longer side. */
const COARSEST_SIDE = 40;
/** EM iterations at the coarsest and at the finest level; levels in between interpolate. */
const EM_COARSEST = 8;
const EM_FINEST = 3;
const PATCHMATCH_ITERATIONS = 2;
const RANDOM_CANDIDATES_PER_SCALE = 1;
/**
 * Vote weights exp(−d / 2σ²) with σ² a tenth of the distances' lower quartile: sharper than Wexler et
 * al.'s 75th percentile, so the best matches decide and the fill keeps its texture instead of averaging
 * to grey (tuned by eye and gradient ratio on ../shared/eval/inpainting, see bench/inpaint-fill.ts).
 */
const VOTE_SIGMA_QUANTILE = 0.25;
const VOTE_SIGMA_SCALE = 0.1;

interface Level extends FloatImage {
	hole: Uint8Array;
}

/**
 * Fills the pixels where `hole` is non-zero in `image` (in place) and returns the final field, so a
 * caller working at reduced resolution can copy full-resolution texture with it (see transferDetail).
 */
export function patchFill(image: FloatImage, hole: Uint8Array, options: PatchFillOptions = {}): PatchFillResult {
	const random = mulberry32(options.seed ?? 1);
	const pyramid: Level[] = [{ ...image, hole }];
	while (
		Math.max(pyramid.at(-1)!.width, pyramid.at(-1)!.height) > COARSEST_SIDE * 1.5 &&
		Math.min(pyramid.at(-1)!.width, pyramid.at(-1)!.height) >= 4 * PATCH
	) {
		pyramid.push(downsample(pyramid.at(-1)!));
	}
	const coarsest = pyramid.at(-1)!;
	if (!onionPeel(coarsest)) smoothFill(coarsest, coarsest.hole);

	let field: Int32Array | undefined;
	for (let l = pyramid.length - 1; l >= 0; l--) {
		const level = pyramid[l];
		if (l < pyramid.length - 1) upsampleColours(pyramid[l + 1], level);
		const sources = validSources(level);
		if (sources.list.length === 0) {
			// Nothing to copy from at this scale (the hole covers nearly everything): stay smooth.
			field = undefined;
			continue;
		}
		const targets = targetRegion(level);
		const nnf = initialField(level, targets, sources, random, field ? { field, from: pyramid[l + 1] } : undefined);
		const cost = new Float32Array(level.width * level.height);
		if (field) {
			// Carry the coarser level's matches down as texture before searching: searching from blurred,
			// upsampled colours alone would pull the hole towards the flattest regions of the image.
			vote(level, nnf, cost);
		}
		for (let i = 0; i < nnf.length; i++) if (nnf[i] >= 0) cost[i] = distance(level, i, nnf[i], Infinity);
		const depth = pyramid.length > 1 ? l / (pyramid.length - 1) : 0;
		const iterations = Math.round(EM_FINEST + (EM_COARSEST - EM_FINEST) * depth);
		for (let iteration = 0; iteration < iterations; iteration++) {
			for (let pass = 0; pass < PATCHMATCH_ITERATIONS; pass++) improveField(level, nnf, cost, sources, random, pass % 2 === 0);
			vote(level, nnf, cost);
		}
		field = nnf;
	}
	return { field: field ?? new Int32Array(image.width * image.height).fill(-1) };
}

/**
 * Brings a fill made at reduced resolution back to full resolution with full-resolution texture: each
 * hole pixel copies the full-resolution pixel its low-resolution neighbours' matches point at (their
 * offsets scaled up), blended bilinearly over the four nearest low-resolution pixels. Where no match
 * lands on a known pixel, the upsampled low-resolution colour is used. Only `box` (holding every hole
 * pixel) is visited; returns its colours as interleaved floats, set at hole pixels.
 */
export function transferDetail(
	full: { width: number; height: number; rgb: Uint8Array },
	hole: Uint8Array,
	work: FloatImage,
	field: Int32Array,
	box: Box,
): Float32Array {
	const out = new Float32Array(box.width * box.height * 3);
	const sx = work.width / full.width;
	const sy = work.height / full.height;
	// Each low-resolution match's offset in full-resolution pixels, once per match rather than per use.
	const shiftX = new Float64Array(field.length);
	const shiftY = new Float64Array(field.length);
	for (let w = 0; w < field.length; w++) {
		const source = field[w];
		if (source < 0) continue;
		const wx = w % work.width;
		const wy = (w - wx) / work.width;
		shiftX[w] = ((source % work.width) - wx) / sx;
		shiftY[w] = (Math.floor(source / work.width) - wy) / sy;
	}
	const fallback: [number, number, number] = [0, 0, 0];
	for (let by = 0; by < box.height; by++) {
		const Y = box.y + by;
		const v = Math.min(work.height - 1, Math.max(0, (Y + 0.5) * sy - 0.5));
		const y0 = Math.floor(v);
		const fy = v - y0;
		for (let bx = 0; bx < box.width; bx++) {
			const X = box.x + bx;
			if (!hole[Y * full.width + X]) continue;
			const u = Math.min(work.width - 1, Math.max(0, (X + 0.5) * sx - 0.5));
			const x0 = Math.floor(u);
			const fx = u - x0;
			let r = 0;
			let g = 0;
			let b = 0;
			let total = 0;
			for (let dy = 0; dy < 2; dy++) {
				const wy = Math.min(work.height - 1, y0 + dy);
				for (let dx = 0; dx < 2; dx++) {
					const wx = Math.min(work.width - 1, x0 + dx);
					const weight = (dx ? fx : 1 - fx) * (dy ? fy : 1 - fy);
					const w = wy * work.width + wx;
					if (weight === 0 || field[w] < 0) continue;
					const SX = Math.round(X + shiftX[w]);
					const SY = Math.round(Y + shiftY[w]);
					if (SX < 0 || SY < 0 || SX >= full.width || SY >= full.height) continue;
					const s = SY * full.width + SX;
					if (hole[s]) continue;
					r += full.rgb[s * 3] * weight;
					g += full.rgb[s * 3 + 1] * weight;
					b += full.rgb[s * 3 + 2] * weight;
					total += weight;
				}
			}
			sampleBilinear(work.rgb, work.width, work.height, u, v, fallback);
			// Where only some neighbours found a source, the rest of the weight goes to the low-resolution colour.
			const o = (by * box.width + bx) * 3;
			out[o] = r + fallback[0] * (1 - total);
			out[o + 1] = g + fallback[1] * (1 - total);
			out[o + 2] = b + fallback[2] * (1 - total);
		}
	}
	return out;
}

/**
 * The colour offset that makes a fill meet its surroundings without a seam (as Poisson blending would):
 * at each known pixel bordering the hole, the difference between it and the fill next to it, spread
 * smoothly over the hole. Patch fills copy texture from places with other shading; this carries the
 * boundary's shading in. Returns interleaved RGB offsets, meaningful at hole pixels.
 */
export function seamCorrection(filled: FloatImage, hole: Uint8Array): Float32Array {
	const { width, height, rgb } = filled;
	const offsets: FloatImage = { width, height, rgb: new Float32Array(rgb.length) };
	// Everything but the ring of known pixels around the hole is "unknown" to the smooth fill below.
	const unknown = new Uint8Array(hole.length).fill(1);
	for (let i = 0; i < hole.length; i++) {
		if (hole[i]) continue;
		const x = i % width;
		const y = (i - x) / width;
		let r = 0;
		let g = 0;
		let b = 0;
		let count = 0;
		const take = (j: number) => {
			if (!hole[j]) return;
			r += rgb[j * 3];
			g += rgb[j * 3 + 1];
			b += rgb[j * 3 + 2];
			count++;
		};
		if (x > 0) take(i - 1);
		if (x < width - 1) take(i + 1);
		if (y > 0) take(i - width);
		if (y < height - 1) take(i + width);
		if (count === 0) continue;
		unknown[i] = 0;
		offsets.rgb[i * 3] = rgb[i * 3] - r / count;
		offsets.rgb[i * 3 + 1] = rgb[i * 3 + 1] - g / count;
		offsets.rgb[i * 3 + 2] = rgb[i * 3 + 2] - b / count;
	}
	smoothFill(offsets, unknown);
	return offsets.rgb;
}

// ---- Pyramid ----

/** Halves the image; a coarse pixel is a hole when any of its fine pixels is, else the mean of all four. */
function downsample(fine: Level): Level {
	const width = Math.ceil(fine.width / 2);
	const height = Math.ceil(fine.height / 2);
	const rgb = new Float32Array(width * height * 3);
	const hole = new Uint8Array(width * height);
	for (let y = 0; y < height; y++) {
		for (let x = 0; x < width; x++) {
			const o = y * width + x;
			let count = 0;
			for (let dy = 0; dy < 2; dy++) {
				for (let dx = 0; dx < 2; dx++) {
					const fx = Math.min(fine.width - 1, 2 * x + dx);
					const fy = Math.min(fine.height - 1, 2 * y + dy);
					const i = fy * fine.width + fx;
					if (fine.hole[i]) hole[o] = 1;
					for (let k = 0; k < 3; k++) rgb[o * 3 + k] += fine.rgb[i * 3 + k];
					count++;
				}
			}
			for (let k = 0; k < 3; k++) rgb[o * 3 + k] /= count;
		}
	}
	return { width, height, rgb, hole };
}

/** Starts a finer level's hole pixels from the coarser level's fill. */
function upsampleColours(coarse: Level, fine: Level): void {
	for (let i = 0; i < fine.hole.length; i++) {
		if (!fine.hole[i]) continue;
		const x = i % fine.width;
		const y = (i - x) / fine.width;
		const c = sampleBilinear(coarse.rgb, coarse.width, coarse.height, (x + 0.5) / 2 - 0.5, (y + 0.5) / 2 - 0.5);
		fine.rgb[i * 3] = c[0];
		fine.rgb[i * 3 + 1] = c[1];
		fine.rgb[i * 3 + 2] = c[2];
	}
}

/**
 * Starts the coarsest level from its boundary inwards, ring by ring: each hole pixel takes the centre of
 * the known patch that best matches the pixels already known or filled around it (exhaustive search, which
 * is cheap at this size). Unlike a smooth start, this seeds texture and structure for the EM iterations.
 * Returns false when no whole patch of the level is known.
 */
function onionPeel(level: Level): boolean {
	const { width, height, rgb, hole } = level;
	const sources = validSources(level).list;
	if (sources.length === 0) return false;
	const known = Uint8Array.from(hole, (h) => (h ? 0 : 1));
	let remaining = known.reduce((count, k) => count + (k ? 0 : 1), 0);
	while (remaining > 0) {
		const ring: number[] = [];
		for (let i = 0; i < known.length; i++) {
			if (known[i]) continue;
			const x = i % width;
			const y = (i - x) / width;
			let touches = false;
			for (let dy = -1; dy <= 1 && !touches; dy++) {
				for (let dx = -1; dx <= 1 && !touches; dx++) {
					const nx = x + dx;
					const ny = y + dy;
					if (nx >= 0 && ny >= 0 && nx < width && ny < height && known[ny * width + nx]) touches = true;
				}
			}
			if (touches) ring.push(i);
		}
		if (ring.length === 0) return false;
		for (const i of ring) {
			const x = i % width;
			const y = (i - x) / width;
			let best = Infinity;
			let bestSource = sources[0];
			for (const source of sources) {
				const sx = source % width;
				const sy = (source - sx) / width;
				let sum = 0;
				let count = 0;
				for (let dy = -RADIUS; dy <= RADIUS; dy++) {
					const ty = y + dy;
					if (ty < 0 || ty >= height) continue;
					for (let dx = -RADIUS; dx <= RADIUS; dx++) {
						const tx = x + dx;
						if (tx < 0 || tx >= width || !known[ty * width + tx]) continue;
						const t = (ty * width + tx) * 3;
						const s = ((sy + dy) * width + sx + dx) * 3;
						sum += (rgb[t] - rgb[s]) ** 2 + (rgb[t + 1] - rgb[s + 1]) ** 2 + (rgb[t + 2] - rgb[s + 2]) ** 2;
						count++;
					}
				}
				const mean = count > 0 ? sum / count : Infinity;
				if (mean < best) {
					best = mean;
					bestSource = source;
				}
			}
			rgb[i * 3] = rgb[bestSource * 3];
			rgb[i * 3 + 1] = rgb[bestSource * 3 + 1];
			rgb[i * 3 + 2] = rgb[bestSource * 3 + 2];
		}
		for (const i of ring) known[i] = 1;
		remaining -= ring.length;
	}
	return true;
}

// ---- Sources and targets ----

interface Sources {
	/** 1 where a whole patch centred there lies inside the image and outside the hole. */
	valid: Uint8Array;
	list: Int32Array;
}

function validSources(level: Level): Sources {
	const { width, height, hole } = level;
	// Integral image of the hole, so "no hole pixel in the patch" is four look-ups.
	const integral = new Int32Array((width + 1) * (height + 1));
	for (let y = 0; y < height; y++) {
		let rowSum = 0;
		for (let x = 0; x < width; x++) {
			rowSum += hole[y * width + x] ? 1 : 0;
			integral[(y + 1) * (width + 1) + x + 1] = integral[y * (width + 1) + x + 1] + rowSum;
		}
	}
	const valid = new Uint8Array(width * height);
	const list: number[] = [];
	for (let y = RADIUS; y < height - RADIUS; y++) {
		for (let x = RADIUS; x < width - RADIUS; x++) {
			const x0 = x - RADIUS;
			const y0 = y - RADIUS;
			const x1 = x + RADIUS + 1;
			const y1 = y + RADIUS + 1;
			const inside =
				integral[y1 * (width + 1) + x1] - integral[y0 * (width + 1) + x1] - integral[y1 * (width + 1) + x0] + integral[y0 * (width + 1) + x0];
			if (inside === 0) {
				valid[y * width + x] = 1;
				list.push(y * width + x);
			}
		}
	}
	return { valid, list: Int32Array.from(list) };
}

/** Centres of the patches that overlap the hole: the hole grown by the patch radius (a square). */
function targetRegion(level: Level): Uint8Array {
	return dilateSquare(level.hole, level, RADIUS);
}

function initialField(
	level: Level,
	targets: Uint8Array,
	sources: Sources,
	random: () => number,
	coarser: { field: Int32Array; from: Level } | undefined,
): Int32Array {
	const { width } = level;
	const nnf = new Int32Array(targets.length).fill(-1);
	for (let i = 0; i < targets.length; i++) {
		if (!targets[i]) continue;
		let source = -1;
		if (coarser) {
			const x = i % width;
			const y = (i - x) / width;
			const cx = Math.min(coarser.from.width - 1, x >> 1);
			const cy = Math.min(coarser.from.height - 1, y >> 1);
			const coarse = coarser.field[cy * coarser.from.width + cx];
			if (coarse >= 0) {
				const sx = 2 * (coarse % coarser.from.width) + (x & 1);
				const sy = 2 * Math.floor(coarse / coarser.from.width) + (y & 1);
				const candidate = sy * width + sx;
				if (sx < width && sy < level.height && sources.valid[candidate]) source = candidate;
			}
		}
		nnf[i] = source >= 0 ? source : sources.list[Math.floor(random() * sources.list.length)];
	}
	return nnf;
}

// ---- PatchMatch ----

/** Sum of squared differences between the patches centred at `target` and `source`, stopping past `limit`. */
function distance(level: Level, target: number, source: number, limit: number): number {
	const { width, height, rgb } = level;
	const tx = target % width;
	const ty = (target - tx) / width;
	if (tx >= RADIUS && ty >= RADIUS && tx < width - RADIUS && ty < height - RADIUS) {
		return innerDistance(rgb, width, target, source, limit);
	}
	const sx = source % width;
	const sy = (source - sx) / width;
	let sum = 0;
	for (let dy = -RADIUS; dy <= RADIUS; dy++) {
		const y = ty + dy;
		if (y < 0 || y >= height) continue;
		const targetRow = y * width;
		const sourceRow = (sy + dy) * width;
		for (let dx = -RADIUS; dx <= RADIUS; dx++) {
			const x = tx + dx;
			if (x < 0 || x >= width) continue;
			const t = (targetRow + x) * 3;
			const s = (sourceRow + sx + dx) * 3;
			const dr = rgb[t] - rgb[s];
			const dg = rgb[t + 1] - rgb[s + 1];
			const db = rgb[t + 2] - rgb[s + 2];
			sum += dr * dr + dg * dg + db * db;
		}
		if (sum > limit) return sum;
	}
	return sum;
}

/**
 * distance() for a target whose whole patch lies inside the level (most of them; sources always do): no
 * bounds to check, so each patch row is one run of PATCH × 3 floats. Same sums in the same order.
 */
function innerDistance(rgb: Float32Array, width: number, target: number, source: number, limit: number): number {
	const rowStep = width * 3;
	let t = (target - RADIUS * width - RADIUS) * 3;
	let s = (source - RADIUS * width - RADIUS) * 3;
	let sum = 0;
	for (let row = 0; row < PATCH; row++, t += rowStep, s += rowStep) {
		for (let k = 0; k < PATCH * 3; k += 3) {
			const dr = rgb[t + k] - rgb[s + k];
			const dg = rgb[t + k + 1] - rgb[s + k + 1];
			const db = rgb[t + k + 2] - rgb[s + k + 2];
			sum += dr * dr + dg * dg + db * db;
		}
		if (sum > limit) return sum;
	}
	return sum;
}

function improveField(level: Level, nnf: Int32Array, cost: Float32Array, sources: Sources, random: () => number, forward: boolean): void {
	const { width, height } = level;
	const valid = sources.valid;
	const step = forward ? 1 : -1;
	const maxRadius = Math.max(width, height);
	let x = 0;
	let y = 0;
	let inside = false;
	const tryCandidate = (i: number, candidate: number) => {
		if (candidate < 0 || candidate >= nnf.length || !valid[candidate] || candidate === nnf[i]) return;
		const d = inside ? innerDistance(level.rgb, width, i, candidate, cost[i]) : distance(level, i, candidate, cost[i]);
		if (d < cost[i]) {
			cost[i] = d;
			nnf[i] = candidate;
		}
	};
	for (let n = 0; n < nnf.length; n++) {
		const i = forward ? n : nnf.length - 1 - n;
		if (nnf[i] < 0) continue;
		x = i % width;
		y = (i - x) / width;
		// A target whose whole patch is inside the level needs no bounds checks (see innerDistance).
		inside = x >= RADIUS && y >= RADIUS && x < width - RADIUS && y < height - RADIUS;
		// Propagation: the neighbour's match, shifted by one pixel.
		const px = x - step;
		if (px >= 0 && px < width && nnf[i - step] >= 0) {
			const s = nnf[i - step];
			const sx = (s % width) + step;
			if (sx >= 0 && sx < width) tryCandidate(i, s + step);
		}
		const py = y - step;
		if (py >= 0 && py < height && nnf[i - step * width] >= 0) {
			const s = nnf[i - step * width];
			const sy = Math.floor(s / width) + step;
			if (sy >= 0 && sy < height) tryCandidate(i, s + step * width);
		}
		// Random search around the current match, in shrinking windows.
		for (let radius = maxRadius; radius >= 1; radius >>= 1) {
			for (let k = 0; k < RANDOM_CANDIDATES_PER_SCALE; k++) {
				const s = nnf[i];
				const sx = (s % width) + Math.round((random() * 2 - 1) * radius);
				const sy = Math.floor(s / width) + Math.round((random() * 2 - 1) * radius);
				if (sx < 0 || sy < 0 || sx >= width || sy >= height) continue;
				tryCandidate(i, sy * width + sx);
			}
		}
	}
}

/**
 * Each hole pixel becomes the weighted mean of what the matched patches covering it say it should be;
 * a match's weight falls with its patch distance (see VOTE_SIGMA_QUANTILE).
 */
function vote(level: Level, nnf: Int32Array, cost: Float32Array): void {
	const { width, height, rgb, hole } = level;
	let matched = 0;
	for (let i = 0; i < nnf.length; i++) if (nnf[i] >= 0) matched++;
	if (matched === 0) return;
	// A typed array sorts numerically without a comparator call per comparison.
	const costs = new Float64Array(matched);
	for (let i = 0, n = 0; i < nnf.length; i++) if (nnf[i] >= 0) costs[n++] = cost[i];
	costs.sort();
	const sigma2 = Math.max(1, costs[Math.floor(costs.length * VOTE_SIGMA_QUANTILE)] * VOTE_SIGMA_SCALE);
	const weight = new Float32Array(nnf.length);
	for (let i = 0; i < nnf.length; i++) if (nnf[i] >= 0) weight[i] = Math.exp(-cost[i] / (2 * sigma2));
	const updated = new Float32Array(rgb.length);
	for (let i = 0; i < hole.length; i++) {
		if (!hole[i]) continue;
		const x = i % width;
		const y = (i - x) / width;
		let r = 0;
		let g = 0;
		let b = 0;
		let total = 0;
		for (let dy = -RADIUS; dy <= RADIUS; dy++) {
			const cy = y + dy;
			if (cy < 0 || cy >= height) continue;
			for (let dx = -RADIUS; dx <= RADIUS; dx++) {
				const cx = x + dx;
				if (cx < 0 || cx >= width) continue;
				const c = cy * width + cx;
				const source = nnf[c];
				if (source < 0) continue;
				// The patch centred at c maps pixel i (offset −d from c) to source − d.
				const s = (source - dy * width - dx) * 3;
				const w = weight[c] + 1e-12;
				r += rgb[s] * w;
				g += rgb[s + 1] * w;
				b += rgb[s + 2] * w;
				total += w;
			}
		}
		if (total > 0) {
			updated[i * 3] = r / total;
			updated[i * 3 + 1] = g / total;
			updated[i * 3 + 2] = b / total;
		} else {
			updated[i * 3] = rgb[i * 3];
			updated[i * 3 + 1] = rgb[i * 3 + 1];
			updated[i * 3 + 2] = rgb[i * 3 + 2];
		}
	}
	for (let i = 0; i < hole.length; i++) {
		if (!hole[i]) continue;
		rgb[i * 3] = updated[i * 3];
		rgb[i * 3 + 1] = updated[i * 3 + 1];
		rgb[i * 3 + 2] = updated[i * 3 + 2];
	}
}
