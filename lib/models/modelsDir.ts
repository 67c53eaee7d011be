import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * Where downloaded models are cached: CUTOUT_MODELS_DIR when set, otherwise next to n8n's own data, which
 * n8n keeps in `<N8N_USER_FOLDER or home>/.n8n`, so the cache lands on the volume users already persist.
 */
export function resolveModelsDir(env: NodeJS.ProcessEnv = process.env): string {
	const explicit = env.CUTOUT_MODELS_DIR?.trim();
	if (explicit) return resolve(explicit);
	const userFolder = env.N8N_USER_FOLDER?.trim() || homedir();
	return join(resolve(userFolder), '.n8n', 'cutout-models');
}
