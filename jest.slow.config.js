// The long suites (soak and anything else named *.slow.test.ts): `npm run test:slow`, also run by .ci/run.
const base = require('./jest.config');

/** @type {import('jest').Config} */
module.exports = {
	...base,
	testMatch: ['**/*.slow.test.ts'],
	testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/e2e/'],
};
