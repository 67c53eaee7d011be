/**
 * End to end: a folder with 3 good images and 3 bad files (a text file named bad.jpg, a truncated JPEG,
 * a zero-byte PNG) through examples/remove-background.json and examples/scheduled-batch.json in a REAL
 * n8n 2.8.4 with our PACKED package. Remove Background is set to "Continue (using error output)": one
 * execution writes the 3 cutouts and masks, and the error output writes failures.csv next to them, naming
 * the 3 bad files with their error code and message.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { expectCutout, expectExecutionSucceeded, expectMask } from './checks';
import { disposeFolderRun, runFolderExample, type FolderRun } from './fixtures';
import { REPO_ROOT, nodeItems } from './n8n';
import { DEFAULT_SCENES, drawScene } from './scenes';

const describeE2e = process.env.CUTOUT_E2E ? describe : describe.skip;

/** The bad inputs, each with the error code Remove Background gives it. */
async function badFiles(): Promise<Array<{ fileName: string; bytes: Buffer; errorCode: string }>> {
	const jpeg = (await drawScene({ ...DEFAULT_SCENES[2], name: 'truncated' })).encoded;
	return [
		{ fileName: 'bad.jpg', bytes: Buffer.from('Shopping list: milk, eggs, "good" bread.\n'), errorCode: 'unsupported_format' },
		{ fileName: 'truncated.jpg', bytes: jpeg.subarray(0, Math.floor(jpeg.length / 2)), errorCode: 'corrupt_image' },
		{ fileName: 'empty.png', bytes: Buffer.alloc(0), errorCode: 'empty_input' },
	];
}

/** RFC 4180 CSV (quoted fields with doubled quotes, as SheetJS writes them) → rows of cells. */
function parseCsv(text: string): string[][] {
	const rows: string[][] = [];
	let row: string[] = [];
	let cell = '';
	let quoted = false;
	for (let i = 0; i < text.length; i++) {
		const c = text[i];
		if (quoted) {
			if (c === '"' && text[i + 1] === '"') cell += text[++i];
			else if (c === '"') quoted = false;
			else cell += c;
		} else if (c === '"') quoted = true;
		else if (c === ',') {
			row.push(cell);
			cell = '';
		} else if (c === '\n' || c === '\r') {
			if (c === '\r' && text[i + 1] === '\n') i++;
			row.push(cell);
			rows.push(row);
			row = [];
			cell = '';
		} else cell += c;
	}
	if (cell || row.length) rows.push([...row, cell]);
	return rows;
}

describeE2e.each([['remove-background.json'], ['scheduled-batch.json']])('examples/%s on a folder with bad files, in real n8n', (example) => {
	let run: FolderRun;
	let bad: Awaited<ReturnType<typeof badFiles>>;

	describe('one execution', () => {
		beforeAll(async () => {
			bad = await badFiles();
			run = await runFolderExample(path.join(REPO_ROOT, 'examples', example), DEFAULT_SCENES, 'mixed', {
				prepare: async (_n8n, workDir) => {
					for (const file of bad) fs.writeFileSync(path.join(workDir, 'input', file.fileName), file.bytes);
				},
			});
		}, 20 * 60_000);

		afterAll(async () => {
			await disposeFolderRun(run);
		});

		it('succeeds: the bad files go to the error output instead of stopping the batch', () => {
			expectExecutionSucceeded(run.result);
			const failed = nodeItems(run.result.execution, 'Remove Background', 1);
			expect(failed.map((item) => item.binary?.data?.fileName).sort()).toEqual(bad.map((file) => file.fileName).sort());
			expect(nodeItems(run.result.execution, 'Remove Background', 0)).toHaveLength(DEFAULT_SCENES.length);
		});

		describe.each(DEFAULT_SCENES.map((s) => [s.name]))('%s', (name) => {
			it('cutout and mask are written and match the drawn object', async () => {
				const scene = run.scenes.find((s) => s.spec.name === name)!;
				await expectCutout(path.join(run.outputDir, `${name}.png`), scene);
				await expectMask(path.join(run.outputDir, `${name}.mask.png`), scene);
			});
		});

		it('writes nothing else but failures.csv', () => {
			const expected = [...DEFAULT_SCENES.flatMap((s) => [`${s.name}.png`, `${s.name}.mask.png`]), 'failures.csv'];
			expect(fs.readdirSync(run.outputDir).sort()).toEqual(expected.sort());
		});

		it('failures.csv names each bad file with its error code and a message that starts with the file name', () => {
			// n8n's Convert to File starts a CSV with a byte order mark (for spreadsheet programs).
			const text = fs.readFileSync(path.join(run.outputDir, 'failures.csv'), 'utf8').replace(/^\uFEFF/, '');
			const [header, ...rows] = parseCsv(text);
			expect(header).toEqual(['fileName', 'errorCode', 'error']);
			const byName = new Map(rows.map(([fileName, errorCode, error]) => [fileName, { errorCode, error }]));
			expect([...byName.keys()].sort()).toEqual(bad.map((file) => file.fileName).sort());
			for (const file of bad) {
				expect(byName.get(file.fileName)?.errorCode).toBe(file.errorCode);
				expect(byName.get(file.fileName)?.error).toMatch(new RegExp(`^${file.fileName.replace('.', '\\.')}: \\S`));
			}
		});
	});
});
