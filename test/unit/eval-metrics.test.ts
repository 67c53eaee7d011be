import { gradientMagnitude, matteScores, type Plane } from '../../bench/metrics';

function plane(width: number, height: number, value: (x: number, y: number) => number): Plane {
	const data = new Uint8Array(width * height);
	for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = value(x, y);
	return { data, width, height };
}

/** A vertical edge at column `edge`: 255 left of it, 0 from it on. */
const step = (edge: number) => plane(40, 30, (x) => (x < edge ? 255 : 0));

describe('eval metrics', () => {
	it('scores a perfect prediction as IoU 1 and zero errors', () => {
		const truth = step(20);
		expect(matteScores(truth, truth)).toEqual({
			iou: 1,
			mae: 0,
			sad: 0,
			grad: 0,
		});
	});

	it('counts IoU, MAE and SAD from the differing pixels', () => {
		// Prediction covers columns 0..24, truth 0..19: 20 of 25 columns shared; 5 × 30 pixels off by 1.0.
		const scores = matteScores(step(25), step(20));
		expect(scores.iou).toBeCloseTo(20 / 25, 10);
		expect(scores.mae).toBeCloseTo(150 / 1200, 10);
		expect(scores.sad).toBeCloseTo(150 / 1000, 10);
	});

	it('treats a half-grey prediction as foreground at the 0.5 threshold', () => {
		const grey = plane(4, 4, () => 128);
		const full = plane(4, 4, () => 255);
		const scores = matteScores(grey, full);
		expect(scores.iou).toBe(1);
		expect(scores.mae).toBeCloseTo(127 / 255, 10);
	});

	it('finds gradient only around an edge, and none on a flat plane', () => {
		const magnitude = gradientMagnitude(step(20));
		expect(Math.max(...magnitude.subarray(30 * 40 - 40, 30 * 40 - 30))).toBeCloseTo(0, 12); // columns 0..9 of the last row
		expect(magnitude[15 * 40 + 19]).toBeGreaterThan(0.1);
		expect(Math.max(...gradientMagnitude(plane(10, 10, () => 77)))).toBeCloseTo(0, 12);
	});

	it('penalises a blurred edge by gradient error but a shifted one by more SAD', () => {
		const truth = step(20);
		const blurred = plane(40, 30, (x) => Math.max(0, Math.min(255, Math.round(255 * (1 - (x - 16) / 8)))));
		const shifted = step(22);
		const blurredScores = matteScores(blurred, truth);
		const shiftedScores = matteScores(shifted, truth);
		expect(blurredScores.grad).toBeGreaterThan(0);
		expect(shiftedScores.sad).toBeGreaterThan(0);
		// A shifted sharp edge has the right gradient, only in the wrong place; the blur flattens it.
		expect(blurredScores.grad).not.toBeCloseTo(shiftedScores.grad, 6);
	});

	it('refuses planes of different sizes, naming both', () => {
		expect(() =>
			matteScores(
				plane(4, 4, () => 0),
				plane(4, 5, () => 0),
			),
		).toThrow('Prediction is 4×4, ground truth 4×5');
	});
});
