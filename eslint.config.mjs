import js from '@eslint/js';
import { configWithoutCloudSupport } from '@n8n/node-cli/eslint';
import globals from 'globals';

/** Tests, benchmarks and scripts: linted for real problems, not held to the rules for published nodes. */
const TOOLING_DIRS = ['test', 'bench', 'scripts'];

const FRONT_END_IMPORT =
	'lib/ is the framework-free core: the front ends (n8n nodes and credentials, Node-RED nodes) import it, never the ' +
	'reverse. Take what the core needs as arguments or injected functions instead.';

/** The community-node plugin judges nodes, credentials and package.json, which tests and tools are not. */
const communityNodeRulesOff = Object.fromEntries(
	configWithoutCloudSupport
		.flatMap((config) => Object.keys(config.rules ?? {}))
		.filter((rule) => rule.startsWith('@n8n/community-nodes/'))
		.map((rule) => [rule, 'off']),
);

export default [
	...configWithoutCloudSupport,
	{
		files: ['package.json'],
		rules: {
			// Self-hosted (unverified) package: onnxruntime-node and sharp are native add-ons and cannot be bundled.
			'@n8n/community-nodes/no-runtime-dependencies': 'off',
			// npm applies overrides only in the root project: ours pin a dev tool's dependency and never reach users.
			'@n8n/community-nodes/no-overrides-field': 'off',
		},
	},
	{
		files: ['lib/**/*.ts'],
		rules: {
			// The core does not import n8n-workflow by design; the nodes turn its CutoutErrors into n8n errors.
			'@n8n/community-nodes/require-node-api-error': 'off',
			// The typescript-eslint version also sees `import type` and `import x = require()`.
			'@typescript-eslint/no-restricted-imports': [
				'error',
				{
					patterns: [
						{
							// `**/node-red` also matches the node-red package itself, and relative paths to the folder.
							group: ['n8n-workflow', 'n8n-workflow/*', '@node-red/*', ...['nodes', 'credentials', 'node-red'].flatMap((dir) => [`**/${dir}`, `**/${dir}/*`])],
							message: FRONT_END_IMPORT,
						},
					],
				},
			],
		},
	},
	{
		files: ['nodes/**/*.node.ts'],
		rules: {
			// Not tools on purpose (README, "AI agents"): an agent's tool call carries no binary input, and these nodes
			// only work on an item's image binary.
			'@n8n/community-nodes/node-usable-as-tool': 'off',
		},
	},
	{
		files: TOOLING_DIRS.map((dir) => `${dir}/**/*.ts`),
		rules: {
			...communityNodeRulesOff,
			// Command-line tools and harnesses report on the console.
			'no-console': 'off',
			// Destructuring a property out to leave the rest is how tests and tools drop a field.
			'@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true }],
		},
	},
	{
		files: ['test/e2e/**/*.ts'],
		rules: {
			// The harness reads n8n's workflow and execution exports, which are untyped JSON.
			'@typescript-eslint/no-explicit-any': 'off',
		},
	},
	{
		files: TOOLING_DIRS.map((dir) => `${dir}/**/*.js`),
		...js.configs.recommended,
		languageOptions: { sourceType: 'commonjs', globals: globals.node },
	},
	// The Node-RED package: plain JS node files (CommonJS) and the editor script (a browser script on Node-RED's
	// jQuery and RED). core/ and models/ are build output (npm run build:node-red), as is bench/out/ (npm run bench).
	{ ignores: ['node-red/core/', 'node-red/models/', 'bench/out/'] },
	{
		files: ['node-red/nodes/**/*.js'],
		...js.configs.recommended,
		languageOptions: { sourceType: 'commonjs', globals: globals.node },
	},
	{
		files: ['node-red/resources/**/*.js'],
		...js.configs.recommended,
		languageOptions: { sourceType: 'script', globals: { ...globals.browser, $: 'readonly', RED: 'readonly' } },
	},
];
