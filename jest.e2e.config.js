// End-to-end suite: a REAL n8n 2.8.4 (installed into ~/.cache/n8n-nodes-cutout-e2e on first use) running the PACKED package.
// Run with `npm run test:e2e` (builds first). The unit config (jest.config.js) does not run these.
// Marks the run as e2e: test/e2e/*.test.ts skip themselves under any other jest config.
process.env.CUTOUT_E2E = '1';

/** @type {import('jest').Config} */
module.exports = {
	testEnvironment: 'node',
	rootDir: __dirname,
	roots: ['<rootDir>/test/e2e'],
	testMatch: ['**/*.e2e.test.ts'],
	transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.test.json' }] },
	// Each suite starts n8n processes that need ~0.5 GB and a CPU; one at a time on a 2-core machine.
	maxWorkers: 1,
	// Installing n8n on a cold machine alone takes ~3-4 min (the suites' beforeAll has its own timeout).
	testTimeout: 5 * 60_000,
	slowTestThreshold: 60,
	verbose: true,
};
