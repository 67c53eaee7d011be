import { realpath, stat } from 'node:fs/promises';
import { extname, isAbsolute, relative, resolve } from 'node:path';

import { CutoutError } from '../errors';

/**
 * A custom model path is a file the n8n process will load and execute, so it must live in a folder the
 * administrator allowed: the models folder, or one listed in CUTOUT_CUSTOM_MODEL_DIRS (';'-separated,
 * like N8N_RESTRICT_FILE_ACCESS_TO). Returns the real path after resolving links.
 */
export async function checkCustomModelPath(path: string, allowedDirs: string[]): Promise<string> {
	if (!path || !isAbsolute(path)) {
		throw new CutoutError('custom_model_refused', `Custom model path "${path}" must be an absolute path`);
	}
	if (extname(path).toLowerCase() !== '.onnx') {
		throw new CutoutError('custom_model_refused', `Custom model "${path}" is not an .onnx file`);
	}
	const real = await realpath(path).catch(() => {
		throw new CutoutError('custom_model_refused', `Custom model "${path}" does not exist`);
	});
	const allowedReal = await Promise.all(allowedDirs.filter(Boolean).map((dir) => realpath(dir).catch(() => resolve(dir))));
	if (!allowedReal.some((dir) => isInside(real, dir))) {
		throw new CutoutError(
			'custom_model_refused',
			`Custom model "${path}" is outside the allowed model folders`,
			`Allowed: ${allowedDirs.join('; ')}. Add its folder to CUTOUT_CUSTOM_MODEL_DIRS.`,
		);
	}
	if (!(await stat(real)).isFile()) {
		throw new CutoutError('custom_model_refused', `Custom model "${path}" is not a regular file`);
	}
	return real;
}

export function allowedCustomModelDirs(modelsDir: string, env: NodeJS.ProcessEnv = process.env): string[] {
	const extra = (env.CUTOUT_CUSTOM_MODEL_DIRS ?? '').split(';').map((dir) => dir.trim());
	return [modelsDir, ...extra.filter(Boolean)];
}

function isInside(child: string, parent: string): boolean {
	const rel = relative(parent, child);
	return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}
