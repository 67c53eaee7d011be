import type {
	IExecuteFunctions,
	INodeCredentialDescription,
	INodeProperties,
	INodePropertyOptions,
} from 'n8n-workflow';

import { remoteProviders } from '../../lib/providers/clients';
import { providerOperation } from '../../lib/providers/engine/remote';
import type { OperationName, ProviderOptions, ProviderParameter, RemoteProvider } from '../../lib/providers/types';

/**
 * Everything a node shows for the hosted engines, built from the provider registry: one Engine option and
 * one credential per provider that offers the operation, the provider's own settings, and the settings
 * all hosted engines share. Adding a provider changes nothing here.
 */

export function providersFor(operation: OperationName): RemoteProvider[] {
	return remoteProviders.filter((provider) => providerOperation(provider, operation));
}

export function remoteEngineOptions(operation: OperationName): INodePropertyOptions[] {
	return providersFor(operation).map((provider) => ({
		name: `${provider.displayName} (Hosted API)`,
		value: provider.id,
		description: `Uploads the image to ${provider.displayName}; needs a ${provider.displayName} credential`,
	}));
}

export function remoteCredentials(operation: OperationName): INodeCredentialDescription[] {
	return providersFor(operation).map((provider) => ({
		name: provider.credentialType,
		required: true,
		displayOptions: { show: { engine: [provider.id] } },
	}));
}

/** The node parameter holding a provider setting: `falModel`, `removebgSize`, … */
function parameterName(provider: RemoteProvider, parameter: ProviderParameter): string {
	return `${provider.id}${parameter.name[0].toUpperCase()}${parameter.name.slice(1)}`;
}

function providerProperty(provider: RemoteProvider, parameter: ProviderParameter): INodeProperties {
	const common = {
		displayName: parameter.displayName,
		name: parameterName(provider, parameter),
		description: parameter.description,
		displayOptions: { show: { engine: [provider.id] } },
	};
	switch (parameter.type) {
		case 'options':
			return {
				...common,
				type: 'options',
				options: [...parameter.values].sort((a, b) => a.name.localeCompare(b.name)),
				default: parameter.default,
			};
		case 'boolean':
			return { ...common, type: 'boolean', default: parameter.default };
		case 'number':
			return { ...common, type: 'number', typeOptions: { minValue: parameter.min, maxValue: parameter.max }, default: parameter.default };
	}
}

/** One copy of a boolean property per distinct default, each shown for the engines that default to it. */
function perEngineDefault(providers: RemoteProvider[], defaultOf: (provider: RemoteProvider) => boolean, property: INodeProperties): INodeProperties[] {
	return [true, false]
		.map((value) => ({ value, engines: providers.filter((provider) => defaultOf(provider) === value).map((provider) => provider.id) }))
		.filter(({ engines }) => engines.length > 0)
		.map(({ value, engines }) => ({ ...property, default: value, displayOptions: { show: { engine: engines } } }));
}

export function remoteProperties(operation: OperationName): INodeProperties[] {
	const providers = providersFor(operation);
	const engines = providers.map((provider) => provider.id);
	return [
		...providers.flatMap((provider) =>
			(providerOperation(provider, operation)?.parameters ?? []).map((parameter) => providerProperty(provider, parameter)),
		),
		...perEngineDefault(providers, (provider) => provider.fitToLimitsByDefault === true, {
			displayName: 'Fit to Provider Limits',
			name: 'fitToProviderLimits',
			type: 'boolean',
			// Replaced per engine by perEngineDefault.
			default: false,
			description:
				"Whether to upload a downscaled copy when the image is over the provider's size limits (or larger than it works at); the result is applied to the full-resolution original, so the output keeps the input's size",
		}),
		{
			displayName: 'Hosted API Options',
			name: 'remoteOptions',
			type: 'collection',
			placeholder: 'Add option',
			default: {},
			displayOptions: { show: { engine: engines } },
			options: [
				{
					displayName: 'Attempts',
					name: 'attempts',
					type: 'number',
					typeOptions: { minValue: 1, maxValue: 10 },
					default: 3,
					description: 'Tries per request, the first included; rate limits (429), server errors (5xx) and network errors are retried with backoff',
				},
				{
					displayName: 'Items in Flight',
					name: 'itemsInFlight',
					type: 'number',
					typeOptions: { minValue: 1, maxValue: 16 },
					default: 2,
					description: 'How many items are sent to the provider at once; the output keeps the input order',
				},
				{
					displayName: 'Report Account Credits',
					name: 'reportAccount',
					type: 'boolean',
					default: false,
					description:
						"Whether to read the account once per execution (one extra request that spends nothing) and add it to each item as providerAccount: remaining credits (withoutBG, remove.bg, Photoroom) or the price per call (fal.ai)",
				},
				{
					displayName: 'Requests per Minute',
					name: 'requestsPerMinute',
					type: 'number',
					typeOptions: { minValue: 1, maxValue: 10000 },
					default: 60,
					description:
						'Throttle shared by every item and execution using the same credential. Unset: the provider’s documented limit (withoutBG: 7), or none.',
				},
				{
					displayName: 'Timeout (Seconds)',
					name: 'timeoutSeconds',
					type: 'number',
					typeOptions: { minValue: 1, maxValue: 3600 },
					default: 120,
					description: 'Time allowed for one request, upload and download included',
				},
			],
		},
	];
}

export interface RemoteOptions {
	attempts?: number;
	itemsInFlight?: number;
	reportAccount?: boolean;
	requestsPerMinute?: number;
	timeoutSeconds?: number;
}

export function readRemoteOptions(ctx: IExecuteFunctions, itemIndex: number): RemoteOptions {
	return ctx.getNodeParameter('remoteOptions', itemIndex, {}) as RemoteOptions;
}

/** The provider settings for an item, keyed as the provider client reads them. */
export function readProviderOptions(
	ctx: IExecuteFunctions,
	itemIndex: number,
	provider: RemoteProvider,
	operation: OperationName,
): ProviderOptions {
	const parameters = providerOperation(provider, operation)?.parameters ?? [];
	const values: ProviderOptions = {};
	for (const parameter of parameters) {
		values[parameter.name] = ctx.getNodeParameter(parameterName(provider, parameter), itemIndex, parameter.default) as ProviderOptions[string];
	}
	return values;
}
