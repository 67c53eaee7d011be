'use strict';
/**
 * Test-only preload (`node -r`), in every thread of the process: requiring onnxruntime-node throws the error
 * Node gives where its glibc binary cannot load, as on musl (Alpine), which these machines cannot run. Each
 * attempt is counted on stderr, so a test can tell which threads tried.
 */
const Module = require('node:module');
const { isMainThread } = require('node:worker_threads');

const originalLoad = Module._load;
Module._load = function unloadableOnnxRuntime(request, ...rest) {
	if (request === 'onnxruntime-node') {
		process.stderr.write(`[onnxruntime-node required on the ${isMainThread ? 'main' : 'worker'} thread]\n`);
		const error = new Error(
			'Error loading shared library ld-linux-x86-64.so.2: No such file or directory (needed by node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1)',
		);
		error.code = 'ERR_DLOPEN_FAILED';
		throw error;
	}
	return originalLoad.call(this, request, ...rest);
};
