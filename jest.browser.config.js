// Real-browser suite: headless Chromium (Debian's `chromium`) in n8n 2.8.4's editor, with the PACKED package.
// Run with `npm run test:browser` (builds first). Screenshots go to test/e2e/artifacts/browser/.
// Marks the run: test/e2e/*.browser.test.ts skip themselves under any other jest config.
process.env.CUTOUT_BROWSER = '1';

const e2e = require('./jest.e2e.config');

/** @type {import('jest').Config} */
module.exports = { ...e2e, testMatch: ['**/*.browser.test.ts'] };
