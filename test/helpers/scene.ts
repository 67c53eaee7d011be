import sharp from 'sharp';

import { mulberry32 } from '../../lib/random';

/**
 * A generated test scene: a smooth, saturated object (a rounded blob made of a disc and an ellipse) on
 * a busy textured background, with the object's exact mask. Salient-object models should find the blob.
 */
export interface Scene {
	width: number;
	height: number;
	rgb: Buffer;
	/** 255 inside the drawn object, 0 outside. */
	mask: Buffer;
}

export function makeScene(width: number, height: number, seed = 7): Scene {
	const rgb = Buffer.alloc(width * height * 3);
	const mask = Buffer.alloc(width * height);
	const random = mulberry32(seed);
	const unit = Math.min(width, height);
	const cx = width * 0.5;
	const cy = height * 0.55;
	const radius = unit * 0.22;
	const headY = cy - radius * 1.25;
	const headRadius = radius * 0.55;
	// Background: diagonal stripes, a checker and per-pixel noise in muted colours.
	for (let y = 0; y < height; y++) {
		for (let x = 0; x < width; x++) {
			const i = y * width + x;
			const stripe = Math.floor((x + y) / (unit * 0.04)) % 2;
			const checker = (Math.floor(x / (unit * 0.09)) + Math.floor(y / (unit * 0.09))) % 2;
			const noise = random() * 40;
			let r = 90 + stripe * 40 + checker * 25 + noise;
			let g = 110 + stripe * 30 - checker * 20 + noise;
			let b = 100 + checker * 35 + noise;
			const inBody = (x - cx) ** 2 / (radius * 0.9) ** 2 + (y - cy) ** 2 / radius ** 2 <= 1;
			const inHead = (x - cx) ** 2 + (y - headY) ** 2 <= headRadius ** 2;
			if (inBody || inHead) {
				mask[i] = 255;
				// The object: a bright warm gradient with soft shading.
				const shade = 1 - ((y - (headY - headRadius)) / (cy + radius - (headY - headRadius))) * 0.35;
				r = 235 * shade;
				g = 70 * shade + 20;
				b = 40 * shade + 10;
			}
			rgb[i * 3] = clamp(r);
			rgb[i * 3 + 1] = clamp(g);
			rgb[i * 3 + 2] = clamp(b);
		}
	}
	return { width, height, rgb, mask };
}

export function sceneAsJpeg(scene: Scene, quality = 92): Promise<Buffer> {
	return sharp(scene.rgb, { raw: { width: scene.width, height: scene.height, channels: 3 } }).jpeg({ quality }).toBuffer();
}

export function sceneAsPng(scene: Scene): Promise<Buffer> {
	return sharp(scene.rgb, { raw: { width: scene.width, height: scene.height, channels: 3 } }).png().toBuffer();
}

/** Intersection over union of two masks thresholded at 50 %. */
export function maskIoU(a: Uint8Array, b: Uint8Array): number {
	if (a.length !== b.length) throw new Error(`maskIoU: ${a.length} vs ${b.length} pixels`);
	let intersection = 0;
	let union = 0;
	for (let i = 0; i < a.length; i++) {
		const inA = a[i] >= 128;
		const inB = b[i] >= 128;
		if (inA && inB) intersection++;
		if (inA || inB) union++;
	}
	return union === 0 ? 1 : intersection / union;
}

/** Decodes an encoded image to raw pixels; `channels` is what the file itself stores. */
export async function rawPixels(image: Buffer): Promise<{ data: Buffer; width: number; height: number; channels: number }> {
	const { channels } = await sharp(image).metadata();
	// sharp widens greyscale to sRGB on output unless asked to stay b-w.
	const pipeline = channels === 1 ? sharp(image).toColourspace('b-w') : sharp(image);
	const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
	if (info.channels !== channels) throw new Error(`Decoded ${info.channels} channels from a ${channels}-channel image`);
	return { data, width: info.width, height: info.height, channels: channels! };
}

function clamp(v: number): number {
	return v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
}
