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

const FORMAT_NAMES: Record<string, string> = { avif: 'AVIF', jpeg: 'JPEG', webp: 'WebP' };

/** Quality of the lossy formats; shown only when the node's Output Format is one of them (hidden for PNG). */
export function qualityOption(lossyFormats: string[]): INodeProperties {
	const names = lossyFormats.map((format) => FORMAT_NAMES[format]);
	return {
		displayName: 'Quality',
		name: 'quality',
		type: 'number',
		typeOptions: { minValue: 1, maxValue: 100 },
		default: 90,
		// A leading '/' names a top-level parameter from inside the Options collection.
		displayOptions: { show: { '/outputFormat': lossyFormats } },
		description: `Quality for ${names.slice(0, -1).join(', ')} and ${names[names.length - 1]} output`,
	};
}

/** The PNG encoder's effort, for nodes that write PNG cutouts or masks. */
export const pngEffortOption: INodeProperties = {
	displayName: 'PNG Effort',
	name: 'pngEffort',
	type: 'options',
	options: [
		{ name: 'Fast', value: 'fast', description: 'About a quarter less encode time; files about 5% larger' },
		{ name: 'Balanced', value: 'balanced', description: 'Filtered rows, moderate compression' },
		{ name: 'Small', value: 'small', description: 'Maximum compression: files 2–3% smaller for about 3–5× the encode time' },
	],
	default: 'balanced',
	description: 'How hard to compress PNG output (cutout and mask): encode time against file size',
};
