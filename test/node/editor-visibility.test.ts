/**
 * What the editor shows, decided by n8n-workflow's own NodeHelpers (the functions the editor and the
 * backend use for displayOptions, defaults and parameter issues), without a browser. The real-browser
 * suite (npm run test:browser) checks the same panels in n8n's editor.
 */
import { type INode, type INodeParameters, type INodeProperties, type INodeType, NodeHelpers } from 'n8n-workflow';

import { AlphaMatte } from '../../nodes/AlphaMatte/AlphaMatte.node';
import { Inpaint } from '../../nodes/Inpaint/Inpaint.node';
import { RemoveBackground } from '../../nodes/RemoveBackground/RemoveBackground.node';

const NODES: INodeType[] = [new RemoveBackground(), new AlphaMatte(), new Inpaint()];

function nodeOf(type: INodeType, parameters: INodeParameters): INode {
	return { id: '1', name: type.description.displayName, type: type.description.name, typeVersion: 1, position: [0, 0], parameters };
}

/** The node's parameters as the editor fills them: the given values plus every default that is displayed. */
function withDefaults(type: INodeType, values: INodeParameters): INodeParameters {
	return NodeHelpers.getNodeParameters(type.description.properties, values, true, false, { typeVersion: 1 }, type.description)!;
}

/** Names of the top-level parameters the panel shows for these values. */
function shown(type: INodeType, values: INodeParameters): string[] {
	const parameters = withDefaults(type, values);
	return type.description.properties
		.filter((property) => NodeHelpers.displayParameter(parameters, property, { typeVersion: 1 }, type.description))
		.map((property) => property.name);
}

/** Whether an option inside the Options collection is offered, given the node's top-level values. */
function optionOffered(type: INodeType, values: INodeParameters, option: string): boolean {
	const root = withDefaults(type, values);
	const collection = type.description.properties.find((property) => property.name === 'options')!;
	const property = (collection.options as INodeProperties[]).find((candidate) => candidate.name === option)!;
	return NodeHelpers.displayParameter({}, property, { typeVersion: 1 }, type.description, root);
}

describe('the editor panels', () => {
	it.each(NODES.map((type) => [type.description.displayName, type]))('%s: no parameter issues on the defaults', (_name, type) => {
		const parameters = withDefaults(type, {});
		expect(NodeHelpers.getNodeParametersIssues(type.description.properties, nodeOf(type, parameters), type.description)).toBeNull();
	});

	it('Remove Background: Crop Margin appears when Crop to Subject is on, right after it', () => {
		const type = NODES[0];
		expect(shown(type, {})).not.toContain('cropMargin');
		const names = shown(type, { cropToSubject: true });
		expect(names.indexOf('cropMargin')).toBe(names.indexOf('cropToSubject') + 1);
	});

	it('Quality is offered only for lossy output formats', () => {
		const [removeBackground, , inpaint] = NODES;
		expect(optionOffered(removeBackground, {}, 'quality')).toBe(false);
		for (const format of ['jpeg', 'webp', 'avif']) expect(optionOffered(removeBackground, { outputFormat: format }, 'quality')).toBe(true);
		expect(optionOffered(removeBackground, { outputFormat: 'gif' }, 'quality')).toBe(false);
		expect(optionOffered(inpaint, { outputFormat: 'png' }, 'quality')).toBe(false);
		expect(optionOffered(inpaint, { outputFormat: 'jpeg' }, 'quality')).toBe(true);
	});

	it('Inpaint shows the settings of the chosen region only', () => {
		const inpaint = NODES[2];
		const subjectSettings = ['model', 'operatingResolution', 'matteQuality'];
		const boxSettings = ['boundingBox'];
		const mask = shown(inpaint, { region: 'mask' });
		expect(mask).toContain('maskBinaryPropertyName');
		for (const name of [...subjectSettings, ...boxSettings]) expect(mask).not.toContain(name);
		const box = shown(inpaint, { region: 'box' });
		expect(box).toEqual(expect.arrayContaining(boxSettings));
		for (const name of [...subjectSettings, 'maskBinaryPropertyName']) expect(box).not.toContain(name);
		const subject = shown(inpaint, { region: 'subject' });
		expect(subject).toEqual(expect.arrayContaining(subjectSettings));
		for (const name of [...boxSettings, 'maskBinaryPropertyName']) expect(subject).not.toContain(name);
		// Automatic may use any of the three, so it shows them all.
		expect(shown(inpaint, {})).toEqual(expect.arrayContaining([...subjectSettings, ...boxSettings, 'maskBinaryPropertyName']));
		// On a hosted engine the provider finds the subject: no local model settings.
		expect(shown(inpaint, { region: 'subject', engine: 'knockout' })).not.toContain('model');
	});
});
