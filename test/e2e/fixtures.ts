/**
 * The setup the folder examples share (examples/remove-background.json, examples/scheduled-batch.json):
 * a fresh isolated n8n with the packed package, generated scenes in <workDir>/input, the example imported
 * with its Settings node pointed at <workDir>/input and <workDir>/output, executed once with
 * `n8n execute --id`. File nodes may touch all of <workDir>.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { N8n, assertPackageBuilt, ensureN8nInstalled, makeWorkDir, removeWorkDir, sharedModelsEnv, type ExecutionResult } from './n8n';
import { writeScenes, type Scene, type SceneSpec } from './scenes';

export interface FolderRun {
	workDir: string;
	inputDir: string;
	outputDir: string;
	n8n: N8n;
	scenes: Scene[];
	result: ExecutionResult;
}

export async function runFolderExample(example: string, specs: SceneSpec[], prefix: string): Promise<FolderRun> {
	assertPackageBuilt();
	ensureN8nInstalled();
	const workDir = makeWorkDir(prefix);
	let n8n: N8n | undefined;
	try {
		const inputDir = path.join(workDir, 'input');
		const outputDir = path.join(workDir, 'output');
		fs.mkdirSync(outputDir, { recursive: true });
		const scenes = await writeScenes(inputDir, specs);
		n8n = await N8n.create({ userFolder: path.join(workDir, 'home'), allowedDirs: [workDir], env: sharedModelsEnv() });
		n8n.installPackage();
		const { id } = await n8n.importWorkflow(example, { settings: { inputFolder: inputDir, outputFolder: outputDir } });
		const result = await n8n.executeWorkflow(id);
		return { workDir, inputDir, outputDir, n8n, scenes, result };
	} catch (error) {
		await n8n?.dispose();
		removeWorkDir(workDir);
		throw error;
	}
}

export async function disposeFolderRun(run: FolderRun | undefined): Promise<void> {
	await run?.n8n.dispose();
	removeWorkDir(run?.workDir);
}
