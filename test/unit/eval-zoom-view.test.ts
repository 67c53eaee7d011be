import { pasteCrop, subjectCrop, ZOOM_FRAMING } from '../../bench/zoomView';

/** The zoom view that the eval tries for Matte Quality "high" (bench/zoomView.ts). */
describe('zoom view', () => {
	it('frames the subject with context, ignoring a speck, in image pixels', () => {
		const size = 100;
		const matte = Buffer.alloc(size * size);
		// A 20×40 subject in the grid of a 200×100 image: 40×40 image pixels at (80, 30).
		for (let y = 30; y < 70; y++) matte.fill(255, y * size + 40, y * size + 60);
		matte[0] = 255;
		const image = { width: 200, height: 100 };
		// 20 % context on each side: 56 px centred on the box.
		expect(subjectCrop(matte, size, image)).toEqual({ left: 72, top: 22, width: 56, height: 56 });
		// Never more than 4× zoom: a 2 px subject still gets a quarter of each side.
		const speck = Buffer.alloc(size * size);
		speck.fill(255, 50 * size + 50, 50 * size + 52);
		expect(subjectCrop(speck, size, image)).toEqual({ left: 77, top: 38, width: 50, height: 25 });
		// A crop near the border is shifted inside the image, not cut.
		const atEdge = Buffer.alloc(size * size);
		for (let y = 0; y < 40; y++) atEdge.fill(255, y * size + 80, y * size + size);
		expect(subjectCrop(atEdge, size, image)).toEqual({ left: 144, top: 0, width: 56, height: 56 });
		expect(subjectCrop(Buffer.alloc(size * size), size, image)).toBeNull();
		// A subject that fills the frame is not zoomed.
		const large = Buffer.alloc(size * size);
		for (let y = 10; y < 90; y++) large.fill(255, y * size + 10, y * size + 90);
		expect(subjectCrop(large, size, image)).toBeNull();
		expect(subjectCrop(large, size, image, { ...ZOOM_FRAMING, maxArea: 1 })).toEqual({ left: 0, top: 0, width: 200, height: 100 });
	});

	it('joins a crop view with the grid pixels whose centres lie in the crop, resampled: the larger of the two', () => {
		const size = 8;
		const plain = Buffer.alloc(size * size, 30);
		// The crop view: column x of the square holds 10 × x.
		const zoomed = Buffer.from(Array.from({ length: size * size }, (_, i) => (i % size) * 10));
		// The right half of a 16×16 image: grid columns 4..7 sample the square at 0.5, 2.5, 4.5, 6.5.
		const rightHalf = { left: 8, top: 0, width: 8, height: 16 };
		const image = { width: 16, height: 16 };
		const pasted = pasteCrop(plain, zoomed, size, rightHalf, image);
		const replaced = pasteCrop(plain, zoomed, size, rightHalf, image, (_, zoom) => zoom);
		for (let y = 0; y < size; y++) {
			expect([...pasted.subarray(y * size, y * size + size)]).toEqual([30, 30, 30, 30, 30, 30, 45, 65]);
			expect([...replaced.subarray(y * size, y * size + size)]).toEqual([30, 30, 30, 30, 5, 25, 45, 65]);
		}
		// A crop of the whole image maps the square onto the grid unchanged.
		const whole = pasteCrop(plain, zoomed, size, { left: 0, top: 0, width: 16, height: 16 }, image, (_, zoom) => zoom);
		expect([...whole]).toEqual([...zoomed]);
	});
});
