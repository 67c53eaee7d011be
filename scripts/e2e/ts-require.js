'use strict';
// Lets plain Node scripts (scripts/demo.js) require the e2e harness written in TypeScript
// (test/e2e/*.ts) without ts-node: each .ts file is transpiled on load with the repo's own
// `typescript` devDependency (type-checking is left to `npm run typecheck` / ts-jest).
const fs = require('node:fs');
const ts = require('typescript');

if (!require.extensions['.ts']) {
	require.extensions['.ts'] = function compileTs(module, filename) {
		const source = fs.readFileSync(filename, 'utf8');
		const { outputText } = ts.transpileModule(source, {
			fileName: filename,
			compilerOptions: {
				module: ts.ModuleKind.CommonJS,
				target: ts.ScriptTarget.ES2022,
				esModuleInterop: true,
				sourceMap: false,
				inlineSourceMap: true,
			},
		});
		module._compile(outputText, filename);
	};
}
