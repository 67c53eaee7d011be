// The Node-RED real run: node-red/ packed with `npm pack`, installed into a temporary Node-RED user directory
// and run headless by a REAL Node-RED 4.1 (the root devDependency). Run with `npm run test:node-red` (builds the
// core into node-red/core first). Marks the run: test/e2e/*.node-red.test.ts skip themselves under any other config.
process.env.CUTOUT_NODE_RED = '1';

const e2e = require('./jest.e2e.config');

/** @type {import('jest').Config} */
module.exports = { ...e2e, testMatch: ['**/*.node-red.test.ts'] };
