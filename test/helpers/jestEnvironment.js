// Jest runs each test file in its own realm, so `new Float32Array()` in a test is not `instanceof` the
// Float32Array that onnxruntime-common captured, and ORT refuses the tensor. Sharing the host realm's typed
// arrays (Buffer already is the host's) makes tensors behave as they do in a real n8n process.
const { TestEnvironment } = require('jest-environment-node');

const SHARED = [
	'ArrayBuffer', 'SharedArrayBuffer', 'DataView',
	'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array',
	'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array',
];

class HostTypedArraysEnvironment extends TestEnvironment {
	constructor(config, context) {
		super(config, context);
		for (const name of SHARED) this.global[name] = globalThis[name];
	}
}

module.exports = HostTypedArraysEnvironment;
