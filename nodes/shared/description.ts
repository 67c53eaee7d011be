import type { INodeProperties } from 'n8n-workflow';

/** The Output Format parameter, PNG first as the default. */
export function outputFormatProperty(formats: Array<{ name: string; value: string }>): INodeProperties {
	return { displayName: 'Output Format', name: 'outputFormat', type: 'options', options: formats, default: 'png' };
}

/** The Options collection at the end of every node. */
export function optionsCollection(options: INodeProperties[]): INodeProperties {
	return { displayName: 'Options', name: 'options', type: 'collection', placeholder: 'Add option', default: {}, options };
}
