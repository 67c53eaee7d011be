import { configWithoutCloudSupport } from '@n8n/node-cli/eslint';

export default [
	...configWithoutCloudSupport,
	{
		files: ['package.json'],
		rules: {
			// Self-hosted (unverified) package: onnxruntime-node and sharp are native add-ons and cannot be bundled.
			'@n8n/community-nodes/no-runtime-dependencies': 'off',
		},
	},
];
