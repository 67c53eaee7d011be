'use strict';
const { core, registerChoicesEndpoint } = require('./runtime');

/**
 * A hosted provider and its API key, shared by the Cutout nodes that use it. The key is a Node-RED
 * credential (encrypted in flows_cred.json, never exported with the flow) and stays inside this node: the
 * others get an engine from it, and every text they report passes through redact().
 */
module.exports = function (RED) {
	registerChoicesEndpoint(RED);

	function CutoutProviderNode(config) {
		RED.nodes.createNode(this, config);
		const apiKey = () => (this.credentials && this.credentials.apiKey) || '';
		this.provider = config.provider;

		this.engine = ({ signal, log }) =>
			core.hostedEngine(config.provider, {
				apiKey: apiKey(),
				baseUrl: config.baseUrl || undefined,
				signal,
				log: (line) => log(this.redact(line)),
			});

		this.redact = (text) => {
			const key = apiKey();
			return key ? String(text).split(key).join('***') : String(text);
		};
	}

	RED.nodes.registerType('cutout-provider', CutoutProviderNode, { credentials: { apiKey: { type: 'password' } } });
};
