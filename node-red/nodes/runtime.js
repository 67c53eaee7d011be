'use strict';
/**
 * What the three Cutout nodes share at run time: the engine a node's settings choose, the input check, the
 * msg contract (result in a configurable property, msg.mask, msg.cutout), the status dot and error reporting.
 * Everything that computes pixels or fields lives in the core (../core, compiled from the repo's lib/).
 */
const path = require('node:path');

const core = require('../core');

const CHOICES_PATH = '/cutout/choices';
/** The admin apps the endpoint is on: every node module asks, the first one registers it. */
const registeredAdmins = new WeakSet();

/**
 * GET <admin root>/cutout/choices: the models and providers the editor offers, from the core, so that the
 * dropdowns never drift from what the runtime accepts. Registered once per runtime, by whichever node loads first.
 */
function registerChoicesEndpoint(RED) {
	if (registeredAdmins.has(RED.httpAdmin)) return;
	registeredAdmins.add(RED.httpAdmin);
	RED.httpAdmin.get(CHOICES_PATH, RED.auth.needsPermission('cutout-provider.read'), (request, response) => {
		const operations = ['removeBackground', 'alphaMatte', 'inpaint'];
		response.json({
			segmentationModels: core.segmentationModels(),
			inpaintingModels: core.inpaintingModels(),
			providers: core.remoteProviders.map((provider) => ({
				id: provider.id,
				displayName: provider.displayName,
				operations: operations.filter((operation) => core.providerOperation(provider, operation)),
			})),
		});
	});
}

/**
 * Downloaded models and the optimized-graph cache go beside the flows (userDir/cutout-models), unless
 * CUTOUT_MODELS_DIR says otherwise; without a userDir (tests) the core's own default applies.
 */
function modelsDir(RED) {
	if (process.env.CUTOUT_MODELS_DIR) return process.env.CUTOUT_MODELS_DIR;
	return RED.settings.userDir ? path.join(RED.settings.userDir, 'cutout-models') : undefined;
}

/** The local models, or the hosted provider of the node's provider config node. */
function engineFor(RED, node, config, signal) {
	const log = (line) => node.debug(line);
	if (config.engine !== 'hosted') {
		return core.localEngine({
			segmentationModel: config.model || undefined,
			inpaintModel: config.inpaintModel || undefined,
			matteQuality: config.matteQuality || undefined,
			modelsDir: modelsDir(RED),
			log,
		});
	}
	const provider = RED.nodes.getNode(config.provider);
	if (!provider) {
		throw new core.CutoutError(
			'invalid_option',
			'The engine is Hosted but no Cutout provider is configured',
			'Choose or add a provider in the node.',
		);
	}
	return provider.engine({ signal, log });
}

/** The image in msg.payload, or an error that says what arrived instead. */
function inputImage(msg) {
	const { payload } = msg;
	if (Buffer.isBuffer(payload)) return payload;
	if (payload === undefined || payload === null) {
		throw new core.CutoutError('empty_input', 'msg.payload holds no image', 'Send the encoded image (PNG, JPEG, …) as a Buffer.');
	}
	throw new core.CutoutError(
		'unsupported_format',
		`msg.payload is ${describe(payload)}, not a Buffer holding an encoded image`,
		'Read files as "a single Buffer object" (File In node), or convert the payload to a Buffer first.',
	);
}

/** "a string", "an object", "an array": for messages about what a msg property held. */
function describe(value) {
	const type = Array.isArray(value) ? 'array' : typeof value;
	return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

/**
 * A Node-RED error for done(err): the message names the code, and `code` reaches Catch nodes as
 * msg.error.code. Every text passes through `redact`, which removes the provider key should any ever carry it.
 */
function toNodeRedError(error, redact) {
	const known = core.isCutoutError(error) || core.isProviderError(error);
	// A provider's message already names its request id.
	const text = known ? `${error.message} (code: ${error.code}).${error.hint ? ` ${error.hint}` : ''}` : String(error?.message ?? error);
	const reported = new Error(redact(text));
	if (known) {
		reported.name = error.name;
		reported.code = error.code;
	}
	return reported;
}

function secondsSince(start) {
	return `${((Date.now() - start) / 1000).toFixed(1)} s`;
}

/** The output property must not be one the node fills itself. */
function checkOutputProperty(property, separateMask) {
	const taken = separateMask ? ['cutout', 'mask'] : ['cutout'];
	if (taken.includes(property)) {
		throw new core.CutoutError(
			'invalid_option',
			`Output to msg.${property} would be overwritten by the node's own msg.${property}`,
			'Choose another property, e.g. payload or image.',
		);
	}
}

/**
 * The module of a node running one core operation, as Node-RED loads it. `operate(config, msg, image, engine)`
 * returns the core's result; its `image` (or, for Alpha Matte, its `mask`) goes to the configured property, a
 * separate mask (`separateMask`: the operation has one) to msg.mask and the fields to msg.cutout. One status dot
 * per node: blue while messages run, then green with the time taken, or red with the error code.
 */
function operationNode(type, { separateMask, operate }) {
	return function (RED) {
		registerChoicesEndpoint(RED);
		RED.nodes.registerType(type, function (config) {
			RED.nodes.createNode(this, config);
			runOperation(RED, this, config, separateMask, operate);
		});
	};
}

function runOperation(RED, node, config, separateMask, operate) {
	const aborter = new AbortController();
	const property = config.property || 'payload';
	const provider = config.engine === 'hosted' ? RED.nodes.getNode(config.provider) : undefined;
	const redact = (text) => (provider ? provider.redact(text) : text);
	let running = 0;

	node.on('input', async (msg, send, done) => {
		const start = Date.now();
		running += 1;
		node.status({ fill: 'blue', shape: 'dot', text: running > 1 ? `running (${running})` : 'running' });
		try {
			checkOutputProperty(property, separateMask);
			const image = inputImage(msg);
			const result = await operate(config, msg, image, engineFor(RED, node, config, aborter.signal));
			const primary = result.image ?? result.mask;
			RED.util.setMessageProperty(msg, property, primary.data, true);
			if (result.image && result.mask) msg.mask = result.mask.data;
			msg.cutout = result.fields;
			running -= 1;
			node.status({ fill: 'green', shape: 'dot', text: `done in ${secondsSince(start)} at ${new Date().toLocaleTimeString()}` });
			send(msg);
			done();
		} catch (error) {
			running -= 1;
			if (aborter.signal.aborted) return done();
			const reported = toNodeRedError(error, redact);
			node.status({ fill: 'red', shape: 'dot', text: reported.code ?? 'failed' });
			done(reported);
		}
	});

	node.on('close', () => {
		aborter.abort();
		node.status({});
	});
}

/** A whole number from an editor field, or undefined when it was left blank. */
function optionalInteger(value, label) {
	if (value === undefined || value === null || String(value).trim() === '') return undefined;
	const number = Number(value);
	if (!Number.isInteger(number)) throw new core.CutoutError('invalid_option', `${label} must be a whole number, got "${value}"`);
	return number;
}

module.exports = { core, registerChoicesEndpoint, operationNode, optionalInteger, describe };
