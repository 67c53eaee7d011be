import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';

const REPO_DIR = resolve(__dirname, '../..');
const BOUNDARY_RULE = '@typescript-eslint/no-restricted-imports';

interface Snippet {
	filePath: string;
	code: string;
}

/**
 * Lints each snippet as if it were that file, with the repository's eslint.config.mjs, and returns the
 * boundary rule's messages for each. In a child process: ESLint loads its config with import(), which
 * Jest's module sandbox does not allow.
 */
async function boundaryMessages(snippets: Snippet[]): Promise<string[][]> {
	const script = `
		const { ESLint } = require('eslint');
		const snippets = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));
		const eslint = new ESLint();
		Promise.all(snippets.map(({ code, filePath }) => eslint.lintText(code, { filePath }))).then((results) => {
			const messages = results.map(([result]) => result.messages.filter((m) => m.ruleId === '${BOUNDARY_RULE}').map((m) => m.message));
			process.stdout.write(JSON.stringify(messages));
		});`;
	const child = spawn(process.execPath, ['-e', script], { cwd: REPO_DIR });
	let output = '';
	child.stdout.on('data', (data: Buffer) => (output += data.toString()));
	child.stderr.on('data', (data: Buffer) => (output += data.toString()));
	child.stdin.end(JSON.stringify(snippets));
	const [code] = await once(child, 'close');
	if (code !== 0) throw new Error(`ESLint exited with ${String(code)}: ${output}`);
	return JSON.parse(output) as string[][];
}

describe('the core/front-end boundary in eslint.config.mjs', () => {
	const forbidden = [
		"import { NodeOperationError } from 'n8n-workflow';",
		"import type { INodeType } from 'n8n-workflow';",
		"import { LoggerProxy } from 'n8n-workflow/dist/LoggerProxy';",
		"import workflow = require('n8n-workflow');",
		"import { RemoveBackground } from '../../nodes/RemoveBackground/RemoveBackground.node';",
		"export { FalApi } from '../../credentials/FalApi.credentials';",
		"import { registerCutout } from '../node-red/cutout';",
		"import type { NodeAPI } from 'node-red';",
		"import { util } from '@node-red/util';",
	];
	const allowed = ["import { CutoutError } from '../errors';", "import { isLoopbackHost } from '../net/loopback';", "import sharp from 'sharp';"];

	it('refuses front-end imports inside lib/, saying why, and allows the core its own', async () => {
		const inLib = [...forbidden, ...allowed].map((line) => ({ filePath: 'lib/pipeline/boundary-probe.ts', code: `${line}\n` }));
		const messages = await boundaryMessages([
			...inLib,
			// The nodes are the adapters: the same imports are fine there.
			{ filePath: 'nodes/RemoveBackground/boundary-probe.ts', code: `${forbidden[0]}\n${forbidden[1]}\n` },
		]);

		const verdicts = Object.fromEntries([...forbidden, ...allowed].map((line, index) => [line, messages[index].length]));
		expect(verdicts).toEqual(Object.fromEntries([...forbidden.map((line) => [line, 1]), ...allowed.map((line) => [line, 0])]));
		expect(messages[0][0]).toContain('lib/ is the framework-free core');
		expect(messages.at(-1)).toEqual([]);
	}, 60_000);
});
