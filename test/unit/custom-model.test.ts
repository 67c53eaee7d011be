import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { CutoutError } from '../../lib/errors';
import { allowedCustomModelDirs, checkCustomModelPath } from '../../lib/models/customModel';
import { loadSegmentationModel } from '../../lib/models/segmentationModels';

const contract = {
	input: { size: 320, sizes: [320], scale: 1 / 255, mean: [0.485, 0.456, 0.406] as [number, number, number], std: [0.229, 0.224, 0.225] as [number, number, number] },
	output: { index: 0, activation: 'none' as const, minMax: true },
};

describe('custom model paths', () => {
	let root: string;
	let modelsDir: string;
	beforeAll(async () => {
		root = await mkdtemp(join(tmpdir(), 'cutout-custom-'));
		modelsDir = join(root, 'models');
		await mkdir(modelsDir);
		await mkdir(join(root, 'elsewhere'));
		await writeFile(join(modelsDir, 'garbage.onnx'), 'this is not a protobuf model');
		await writeFile(join(modelsDir, 'notes.txt'), 'hello');
		await writeFile(join(root, 'elsewhere', 'outside.onnx'), 'x');
		await symlink(join(root, 'elsewhere', 'outside.onnx'), join(modelsDir, 'link.onnx'));
	});
	afterAll(() => rm(root, { recursive: true, force: true }));

	const refused = async (path: string, message: RegExp) => {
		const error = await checkCustomModelPath(path, [modelsDir]).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(CutoutError);
		expect((error as CutoutError).code).toBe('custom_model_refused');
		expect((error as CutoutError).message).toMatch(message);
	};

	it('accepts an .onnx file inside an allowed folder', async () => {
		await expect(checkCustomModelPath(join(modelsDir, 'garbage.onnx'), [modelsDir])).resolves.toMatch(/garbage\.onnx$/);
	});

	it('refuses relative paths, other extensions, missing files and folders outside the allowed ones', async () => {
		await refused('models/garbage.onnx', /absolute/);
		await refused(join(modelsDir, 'notes.txt'), /not an \.onnx file/);
		await refused(join(modelsDir, 'missing.onnx'), /does not exist/);
		await refused(join(root, 'elsewhere', 'outside.onnx'), /outside the allowed model folders/);
		await refused(join(modelsDir, '..', 'elsewhere', 'outside.onnx'), /outside the allowed/);
	});

	it('follows links before deciding, so a link cannot smuggle a file in', async () => {
		await refused(join(modelsDir, 'link.onnx'), /outside the allowed/);
	});

	it('reads extra folders from CUTOUT_CUSTOM_MODEL_DIRS', () => {
		expect(allowedCustomModelDirs('/m', { CUTOUT_CUSTOM_MODEL_DIRS: '/a; /b ;' })).toEqual(['/m', '/a', '/b']);
	});

	it('reports a file that is not a valid ONNX model clearly', async () => {
		const error = await loadSegmentationModel({ customPath: join(modelsDir, 'garbage.onnx'), contract }, { modelsDir }).catch((e: unknown) => e);
		expect((error as CutoutError).code).toBe('model_unavailable');
		expect((error as CutoutError).message).toMatch(/could not load model/);
		expect((error as CutoutError).hint).toMatch(/not a valid ONNX model/);
	});

	it('rejects a contract with impossible numbers before loading anything', async () => {
		const bad = { ...contract, input: { ...contract.input, std: [0, 1, 1] as [number, number, number] } };
		await expect(loadSegmentationModel({ customPath: join(modelsDir, 'garbage.onnx'), contract: bad }, { modelsDir })).rejects.toMatchObject({
			code: 'invalid_option',
			message: expect.stringMatching(/std must not contain 0/),
		});
	});
});
