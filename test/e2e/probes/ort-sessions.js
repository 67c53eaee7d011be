'use strict';
/**
 * Test-only probe, preloaded into n8n processes with NODE_OPTIONS="--require <this file>" by
 * test/e2e/queue-mode.e2e.test.ts. It changes nothing: when a process loads onnxruntime-node, it wraps
 * the public `InferenceSession.create` so that each call prints one line to stderr:
 *
 *   [cutout-probe] pid=<pid> ort-session model=<file path | bytes:<n>> ms=<creation time>
 *
 * That is how the test counts ONNX model loads per n8n process (our nodes log downloads, but loading the
 * embedded model logs nothing).
 */
const Module = require('node:module');

const PREFIX = '[cutout-probe]';
const originalLoad = Module._load;
let wrapped = false;

function describeModel(source) {
	if (typeof source === 'string') return source;
	if (source && typeof source.byteLength === 'number') return `bytes:${source.byteLength}`;
	return typeof source;
}

Module._load = function probeLoad(request, ...rest) {
	const exported = originalLoad.call(this, request, ...rest);
	if (!wrapped && request === 'onnxruntime-node' && exported && exported.InferenceSession) {
		wrapped = true;
		const session = exported.InferenceSession;
		const create = session.create;
		session.create = async function probedCreate(source, ...args) {
			const t0 = Date.now();
			const result = await create.call(this, source, ...args);
			process.stderr.write(`${PREFIX} pid=${process.pid} ort-session model=${describeModel(source)} ms=${Date.now() - t0}\n`);
			return result;
		};
	}
	return exported;
};
