/** @type {import('jest').Config} */
module.exports = {
	testEnvironment: '<rootDir>/test/helpers/jestEnvironment.js',
	roots: ['<rootDir>/test'],
	testMatch: ['**/*.test.ts'],
	// The real-n8n suite has its own config (jest.e2e.config.js) and runs after the core suite in CI; suites
	// that take minutes are named *.slow.test.ts and run by `npm run test:slow` (jest.slow.config.js).
	testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/e2e/', '\\.slow\\.test\\.ts$'],
	transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.test.json' }] },
	// Each test file's inference thread and its ONNX sessions go when the file is done (the file says why).
	setupFilesAfterEnv: ['<rootDir>/test/helpers/stopInferenceThread.ts'],
	// The Node-RED nodes (plain JS) require('../core'), the core compiled by `npm run build:node-red`; under
	// jest they get the TypeScript source instead, so `npm install && npm test` needs no build step.
	moduleNameMapper: { '^\\.\\./core$': '<rootDir>/lib/index.ts' },
	// The real-model tests share one ONNX session per worker; two workers on a 2-core machine is the sweet spot.
	maxWorkers: 2,
	// Only catches hangs: real-model tests take 5-30 s on 2 cores, but up to 120-180 s were measured while the
	// machine ran ~20 processes for its 2 cores (scripts/time-tests.js prints the load).
	testTimeout: 300_000,
};
