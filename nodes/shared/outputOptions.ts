import type { INodeProperties } from 'n8n-workflow';

/** Options every Cutout node offers in its Options collection. */
export function outputFieldOption(kind: 'image' | 'mask', description?: string): INodeProperties {
	return {
		displayName: kind === 'image' ? 'Image Output Field' : 'Mask Output Field',
		name: `${kind}Field`,
		type: 'string',
		default: kind,
		...(description ? { description } : {}),
	};
}

export function qualityOption(formats: string): INodeProperties {
	return {
		displayName: 'Quality',
		name: 'quality',
		type: 'number',
		typeOptions: { minValue: 1, maxValue: 100 },
		default: 90,
		description: `Quality for ${formats} output`,
	};
}
