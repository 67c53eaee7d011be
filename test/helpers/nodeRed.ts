import type { EventEmitter } from 'node:events';

import type { AlphaMatteFields, InpaintFields, RemoveBackgroundFields } from '../../lib';

/**
 * node-red-node-test-helper (no type declarations of its own) running the REAL Node-RED 4.1 runtime from
 * the root devDependencies, typed for what our tests use, with the Cutout nodes loaded from node-red/nodes.
 * Under jest the nodes' require('../core') reaches lib/index.ts (moduleNameMapper in jest.config.js).
 */

/** A sinon spy, as the helper wraps Node methods (status, error, send, …) and the runtime log. */
interface Spy {
	args: unknown[][];
	/** `this` of each call, in the order of `args`. */
	thisValues: unknown[];
}

export interface FlowNode extends Record<string, unknown> {
	id: string;
	type: string;
	wires?: string[][];
}

/** A node of the running flow: the helper emits 'input' on its "helper" nodes and 'call:status' etc. on all. */
export interface RuntimeNode extends EventEmitter {
	id: string;
	type: string;
	credentials?: Record<string, string>;
	status: Spy;
	receive(msg: Record<string, unknown>): void;
}

interface TestResponse {
	status: number;
	body: unknown;
}

/** Every field one of the three operations may put in msg.cutout. */
type CutoutFields = RemoveBackgroundFields & AlphaMatteFields & InpaintFields;

/** A message as our nodes leave it, or as a Catch node passes on their error. */
export interface NodeRedMessage {
	payload: Buffer;
	/** Where the tests point Remove Background's output. */
	image: Buffer;
	mask: Buffer;
	topic?: string;
	cutout: CutoutFields;
	error: { message: string; code?: string; source: { id: string; type: string } };
}

interface NodeRedTestHelper {
	init(runtimePath: string): void;
	load(nodes: unknown[], flow: FlowNode[], credentials?: Record<string, Record<string, string>>): Promise<void>;
	unload(): Promise<void>;
	startServer(): Promise<void>;
	stopServer(): Promise<void>;
	getNode(id: string): RuntimeNode;
	/** Stops the flows without restoring the spies. */
	clearFlows(): Promise<void>;
	log(): Spy;
	request(): { get(path: string): Promise<TestResponse> };
	_redNodes: { getCredentialDefinition(type: string): Record<string, { type: string }> };
}

// eslint-disable-next-line @typescript-eslint/no-require-imports -- the helper ships no type declarations: typed above
export const helper = require('node-red-node-test-helper') as NodeRedTestHelper;
helper.init(require.resolve('node-red'));

/** A fresh runtime for each test: started before it, its flow unloaded and the runtime stopped after it. */
export function nodeRedForEachTest(): void {
	beforeEach(() => helper.startServer());
	afterEach(async () => {
		await helper.unload();
		await helper.stopServer();
	});
}

/** Every module of node-red-contrib-cutout, as Node-RED loads them (the config node first). */
export const cutoutModules: unknown[] = ['cutout-provider', 'cutout-remove-background', 'cutout-alpha-matte', 'cutout-inpaint'].map(
	// eslint-disable-next-line @typescript-eslint/no-require-imports -- plain CommonJS node files, loaded as Node-RED loads them
	(name) => require(`../../node-red/nodes/${name}.js`),
);

/** The next message that reaches a "helper" node; rejects after `timeoutMs` (a message that never came). */
export function nextMessage(node: RuntimeNode, timeoutMs = 120_000): Promise<NodeRedMessage> {
	return new Promise((resolve, reject) => {
		const timer = setTimeout(() => reject(new Error(`No message reached ${node.id} within ${timeoutMs} ms`)), timeoutMs);
		node.once('input', (msg) => {
			clearTimeout(timer);
			resolve(msg);
		});
	});
}

/** Every text the flow wrote to the log, set as a status or put on a message: where a secret must never appear. */
export function reportedText(nodes: RuntimeNode[], messages: unknown[]): string {
	const statuses = nodes.flatMap((node) => node.status.args);
	const withoutBuffers = (key: string, value: unknown) => (value && (value as { type?: string }).type === 'Buffer' ? '<buffer>' : value);
	return JSON.stringify([helper.log().args, statuses, messages], withoutBuffers);
}
