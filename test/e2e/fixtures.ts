/**
 * The setup the folder examples share (examples/remove-background.json, scheduled-batch.json,
 * remove-background-then-inpaint.json, fal-remove-background.json):
 * a fresh isolated n8n with the packed package, generated scenes in <workDir>/input, the example imported
 * with its Settings node pointed at <workDir>/input and <workDir>/output, executed once with
 * `n8n execute --id`. File nodes may touch all of <workDir>. `prepare` runs on the n8n before the import
 * (a provider example imports its credentials there).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { N8n, assertPackageBuilt, ensureN8nInstalled, makeWorkDir, removeWorkDir, sharedModelsEnv, type ExecutionResult, type N8nItem } from './n8n';
import { writeScenes, type Scene, type SceneSpec } from './scenes';

export interface FolderRun {
	workDir: string;
	inputDir: string;
	outputDir: string;
	n8n: N8n;
	scenes: Scene[];
	result: ExecutionResult;
}

export interface FolderRunOptions {
	prepare?: (n8n: N8n, workDir: string) => Promise<void>;
}

export async function runFolderExample(example: string, specs: SceneSpec[], prefix: string, options: FolderRunOptions = {}): Promise<FolderRun> {
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
		await options.prepare?.(n8n, workDir);
		const { id } = await n8n.importWorkflow(example, { settings: { inputFolder: inputDir, outputFolder: outputDir } });
		const result = await n8n.executeWorkflow(id);
		return { workDir, inputDir, outputDir, n8n, scenes, result };
	} catch (error) {
		await n8n?.dispose();
		removeWorkDir(workDir);
		throw error;
	}
}

/** The scene an output item came from, by the input file name its kept `data` binary carries. */
export function sceneOfItem(scenes: Scene[], item: N8nItem): Scene {
	const fileName = item.binary?.data?.fileName ?? item.json.fileName;
	const scene = scenes.find((s) => s.fileName === fileName);
	if (!scene) throw new Error(`unexpected item for file ${fileName}`);
	return scene;
}

export async function disposeFolderRun(run: FolderRun | undefined): Promise<void> {
	await run?.n8n.dispose();
	removeWorkDir(run?.workDir);
}
