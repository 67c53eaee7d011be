/** @type {import('jest').Config} */
module.exports = {
	testEnvironment: '<rootDir>/test/helpers/jestEnvironment.js',
	roots: ['<rootDir>/test'],
	testMatch: ['**/*.test.ts'],
	// The real-n8n suite has its own config (jest.e2e.config.js) and runs after the core suite in CI.
	testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/e2e/'],
	transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.test.json' }] },
	// The real-model tests share one ONNX session per worker; two workers on a 2-core machine is the sweet spot.
	maxWorkers: 2,
	testTimeout: 60_000,
};
