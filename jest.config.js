/** @type {import('jest').Config} */
module.exports = {
	testEnvironment: 'node',
	roots: ['<rootDir>/test'],
	testMatch: ['**/*.test.ts'],
	transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.test.json' }] },
	// The real-model tests share one ONNX session per worker; two workers on a 2-core machine is the sweet spot.
	maxWorkers: 2,
	testTimeout: 60_000,
};
