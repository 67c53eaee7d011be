import { cropInterleaved } from '../matte/composite';
import { feather } from '../matte/morphology';
import type { Box } from '../matte/stats';
import type { InpaintEngine } from './engines';
import { planCrops } from './regions';

/**
 * Runs the engine on each crop and writes its fill into a copy of `rgb`, at hole pixels only (feathered
 * inward when the engine asks). Pixels outside `holes` are never written.
 */
export async function fillHoles(
	rgb: Buffer,
	holes: Buffer,
	size: { width: number; height: number },
	engine: InpaintEngine,
): Promise<{ rgb: Buffer; crops: Box[] }> {
	const out = Buffer.from(rgb);
	const crops = planCrops(holes, size, engine.cropRule);
	const weights = engine.featherPixels > 0 ? await featherInside(holes, size, engine.featherPixels) : holes;
	for (const crop of crops) {
		// Crops see the image as filled so far, so a later crop never copies an earlier crop's hole.
		const hole = cropInterleaved(holes, size.width, 1, crop);
		const filled = await engine.fill({ width: crop.width, height: crop.height, rgb: cropInterleaved(out, size.width, 3, crop), hole });
		for (let y = 0; y < crop.height; y++) {
			for (let x = 0; x < crop.width; x++) {
				const i = (crop.y + y) * size.width + crop.x + x;
				const w = holes[i] ? weights[i] : 0;
				if (w === 0) continue;
				const p = i * 3;
				const q = (y * crop.width + x) * 3;
				if (w === 255) {
					// A full weight pastes the fill as is (what the blend below gives, without the arithmetic).
					out[p] = filled[q];
					out[p + 1] = filled[q + 1];
					out[p + 2] = filled[q + 2];
				} else for (let c = 0; c < 3; c++) out[p + c] = Math.round((filled[q + c] * w + out[p + c] * (255 - w)) / 255);
			}
		}
	}
	return { rgb: out, crops };
}

/** Weights for a feathered paste: the hole blurred, kept only inside the hole (so 0 outside it). */
async function featherInside(holes: Buffer, size: { width: number; height: number }, pixels: number): Promise<Buffer> {
	const blurred = await feather(holes, size, pixels);
	const weights = Buffer.allocUnsafe(holes.length);
	for (let i = 0; i < holes.length; i++) weights[i] = holes[i] ? Math.max(1, blurred[i]) : 0;
	return weights;
}
