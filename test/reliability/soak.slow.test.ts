import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');
const ITEMS = Number(process.env.CUTOUT_SOAK_ITEMS ?? 500);

/**
 * 500 items through the local engine in one fresh process (bench/memory.ts, with --expose-gc so RSS is
 * read after a collection): memory must settle, and nothing may be left behind.
 */
describe('soak', () => {
	it(`keeps RSS flat over ${ITEMS} items and leaves no session or sharp task behind`, async () => {
		const { stdout } = await run(
			process.execPath,
			['--expose-gc', '-r', 'ts-node/register/transpile-only', join(ROOT, 'bench', 'memory.ts'), 'soak', String(ITEMS)],
			{ cwd: ROOT, timeout: 15 * 60_000, maxBuffer: 1 << 20 },
		);
		const result = JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, number>;
		expect(result.items).toBe(ITEMS);
		expect(result.rssAfterLast / result.rssAfter50 - 1).toBeLessThan(0.05);
		expect(result.sessionsBefore).toBe(1);
		expect(result.sessionsAfter).toBe(0);
		expect(result.sharpQueued).toBe(0);
		expect(result.sharpInFlight).toBe(0);
	}, 16 * 60_000);
});
