import { CutoutError } from '../errors';
import { type CropPixels, resizeHoles, runInpainting } from '../inference/inpaint';
import { resizeRgb } from '../matte/resize';
import { type Box, subjectBox } from '../matte/stats';
import { loadCatalog } from '../models/catalog';
import { type InpaintingModelLoadOptions, loadInpaintingModel } from '../models/inpaintingModels';
import { patchFill, seamCorrection, transferDetail } from './patchFill';
import { type CropRule, DEFAULT_CROP_RULE } from './regions';
import { type FloatImage, sampleBilinear, smoothFill } from './smoothFill';

/** Something that fills the holes of a crop; the pipeline crops, pastes and guarantees the rest. */
export interface InpaintEngine {
	/** Reported as json.model: an embedded engine's id or a catalog model's. */
	id: string;
	/** Context around each hole. */
	cropRule: CropRule;
	/** The fill is blended in over this many pixels inside the hole's edge; 0 pastes it as is. */
	featherPixels: number;
	/** Returns RGB for the whole crop; only its hole pixels are used. */
	fill(crop: CropPixels): Promise<Buffer>;
}

/** The engines that need no download, by id. */
export const EMBEDDED_ENGINES = ['patch', 'smooth'] as const;
export type EmbeddedEngineId = (typeof EMBEDDED_ENGINES)[number];
export const DEFAULT_INPAINT_ENGINE: EmbeddedEngineId = 'patch';

/**
 * The patch fill fills crops of up to PATCH_DIRECT_SIDE pixels a side as they are (1.5–6 s on one core for
 * the 512² inpainting pairs, whose holes are large). Larger crops are filled at PATCH_WORK_SIDE and get
 * full-resolution texture back through the match field (transferDetail). On the pairs enlarged 4×
 * (bench/inpaint-fill.ts --scale=4: 2048² crops), filling at 256 scored no worse than at 512 (MAE 56.0 vs
 * 57.0 object-shaped, 62.2 vs 65.6 random strokes; gradient ratio 0.78 and 1.00 both), and likewise 2×
 * (1024² crops: 55.6 vs 56.7, 62.9 vs 66.3), with about a quarter of the search. A 512² crop filled at
 * 256 does lose (MAE 52.1 → 56.9), hence the two sizes.
 */
const PATCH_DIRECT_SIDE = 512;
const PATCH_WORK_SIDE = 256;
const SMOOTH_WORK_SIDE = 1024;
/** LaMa's crops are resized to 512 and back, so its fill is blended in over a few pixels. */
const RESIZED_MODEL_FEATHER = 3;

export async function loadInpaintEngine(id: string, options: InpaintingModelLoadOptions = {}): Promise<InpaintEngine> {
	if (id === 'patch') return { id, cropRule: DEFAULT_CROP_RULE, featherPixels: 0, fill: patchFillCrop };
	if (id === 'smooth') return { id, cropRule: DEFAULT_CROP_RULE, featherPixels: 0, fill: smoothFillCrop };
	const catalogIds = (options.catalog ?? loadCatalog()).filter((entry) => entry.task === 'inpainting').map((entry) => entry.id);
	if (!catalogIds.includes(id)) {
		throw new CutoutError('model_unknown', `Unknown inpainting model "${id}"`, `Known: ${[...EMBEDDED_ENGINES, ...catalogIds].join(', ')}`);
	}
	const model = await loadInpaintingModel(id, options);
	return {
		id: model.id,
		cropRule: DEFAULT_CROP_RULE,
		featherPixels: model.contract.cropping === 'pipeline' ? RESIZED_MODEL_FEATHER : 0,
		fill: (crop) => runInpainting(model, crop),
	};
}

async function patchFillCrop(crop: CropPixels): Promise<Buffer> {
	const side = Math.max(crop.width, crop.height);
	const scale = side <= PATCH_DIRECT_SIDE ? 1 : PATCH_WORK_SIDE / side;
	if (scale === 1) {
		const full = toFloatImage(crop.rgb, crop);
		patchFill(full, crop.hole);
		const whole = { x: 0, y: 0, width: crop.width, height: crop.height };
		addInHole(full.rgb, whole, crop, seamCorrection(full, crop.hole), crop);
		return toBytes(full.rgb);
	}
	const size = { width: Math.max(1, Math.round(crop.width * scale)), height: Math.max(1, Math.round(crop.height * scale)) };
	const work = toFloatImage(await resizeRgb(crop.rgb, crop, size), size);
	const workHole = await resizeHoles(crop.hole, crop, size);
	const { field } = patchFill(work, workHole);
	// At full resolution only the hole's box changes: the rest of the crop is known and copied as bytes.
	const box = subjectBox(crop.hole, crop.width, crop.height, 1) ?? { x: 0, y: 0, width: 0, height: 0 };
	const fill = transferDetail(crop, crop.hole, work, field, box);
	const result = Buffer.from(crop.rgb);
	writeInHole(result, fill, box, crop);
	// The seam is measured on the full-resolution result (brought to the working size, where it is cheap).
	const seen = toFloatImage(await resizeRgb(result, crop, size), size);
	addInHole(fill, box, crop, seamCorrection(seen, workHole), size);
	writeInHole(result, fill, box, crop);
	return result;
}

/**
 * Adds offsets computed on `grid` (the crop's size, or a smaller one: bilinear) to the hole pixels of
 * `colours`, the crop's floats over `box`.
 */
function addInHole(colours: Float32Array, box: Box, crop: CropPixels, offsets: Float32Array, grid: { width: number; height: number }): void {
	const sx = grid.width / crop.width;
	const sy = grid.height / crop.height;
	const same = sx === 1 && sy === 1;
	const offset: [number, number, number] = [0, 0, 0];
	for (let by = 0; by < box.height; by++) {
		const y = box.y + by;
		for (let bx = 0; bx < box.width; bx++) {
			const x = box.x + bx;
			const i = y * crop.width + x;
			if (!crop.hole[i]) continue;
			if (same) {
				offset[0] = offsets[i * 3];
				offset[1] = offsets[i * 3 + 1];
				offset[2] = offsets[i * 3 + 2];
			} else sampleBilinear(offsets, grid.width, grid.height, (x + 0.5) * sx - 0.5, (y + 0.5) * sy - 0.5, offset);
			const o = (by * box.width + bx) * 3;
			for (let c = 0; c < 3; c++) colours[o + c] += offset[c];
		}
	}
}

/** Writes `colours` (floats over `box`), rounded and clamped, into the crop's hole pixels. */
function writeInHole(rgb: Buffer, colours: Float32Array, box: Box, crop: CropPixels): void {
	for (let by = 0; by < box.height; by++) {
		const y = box.y + by;
		for (let bx = 0; bx < box.width; bx++) {
			const i = y * crop.width + box.x + bx;
			if (!crop.hole[i]) continue;
			const o = (by * box.width + bx) * 3;
			for (let c = 0; c < 3; c++) rgb[i * 3 + c] = clampByte(colours[o + c]);
		}
	}
}

/** A smooth fill has no detail to lose, so large crops are filled at SMOOTH_WORK_SIDE and upsampled. */
async function smoothFillCrop(crop: CropPixels): Promise<Buffer> {
	const scale = Math.min(1, SMOOTH_WORK_SIDE / Math.max(crop.width, crop.height));
	const size = { width: Math.max(1, Math.round(crop.width * scale)), height: Math.max(1, Math.round(crop.height * scale)) };
	const image = toFloatImage(await resizeRgb(crop.rgb, crop, size), size);
	smoothFill(image, await resizeHoles(crop.hole, crop, size));
	return resizeRgb(toBytes(image.rgb), size, crop);
}

function toFloatImage(rgb: Buffer, size: { width: number; height: number }): FloatImage {
	return { width: size.width, height: size.height, rgb: Float32Array.from(rgb) };
}

function toBytes(values: Float32Array): Buffer {
	const out = Buffer.allocUnsafe(values.length);
	for (let i = 0; i < values.length; i++) out[i] = clampByte(values[i]);
	return out;
}

function clampByte(value: number): number {
	const v = Math.round(value);
	return v < 0 ? 0 : v > 255 ? 255 : v;
}
