import type { Stats } from 'node:fs';
import { stat, unlink } from 'node:fs/promises';

import { CutoutError } from '../../errors';

export function statIfExists(path: string): Promise<Stats | undefined> {
	return stat(path).catch(ignoreMissing);
}

export async function removeFile(path: string): Promise<void> {
	await unlink(path).catch(ignoreMissing);
}

/** For `.catch()`: a missing file is an expected answer, anything else is a real error. */
export function ignoreMissing(error: NodeJS.ErrnoException): undefined {
	if (error.code !== 'ENOENT') throw error;
	return undefined;
}

export function storageFailure(what: string, dir: string, error: Error): CutoutError {
	return new CutoutError(
		'model_unavailable',
		`${what}: ${error.message}`,
		`Make sure ${dir} is writable and has room, or set CUTOUT_MODELS_DIR to another folder.`,
	);
}
