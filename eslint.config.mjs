import { configWithoutCloudSupport } from '@n8n/node-cli/eslint';

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
];
