'use strict';
const { core, describe, operationNode, optionalInteger } = require('./runtime');

/** The node's own box, when its four fields are filled in. */
function configuredBox(config) {
	const fields = { x: 'boxX', y: 'boxY', width: 'boxWidth', height: 'boxHeight' };
	const values = Object.entries(fields).map(([key, field]) => [key, optionalInteger(config[field], `Box ${key}`)]);
	if (values.every(([, value]) => value === undefined)) return undefined;
	return Object.fromEntries(values);
}

/**
 * What to fill, for the core to choose from (mask > box > subject): msg.mask when it is a Buffer, the box in
 * msg.box or else the node's own; neither means the subject.
 */
function region(msg, config) {
	if (msg.mask !== undefined && !Buffer.isBuffer(msg.mask)) {
		throw new core.CutoutError('invalid_option', `msg.mask is ${describe(msg.mask)}, not a Buffer holding a mask image (white = fill)`);
	}
	if (msg.box !== undefined && (typeof msg.box !== 'object' || msg.box === null || Array.isArray(msg.box))) {
		throw new core.CutoutError('invalid_bbox', `msg.box is ${describe(msg.box)}, not an object { x, y, width, height }`);
	}
	return { mask: msg.mask, box: msg.box ?? configuredBox(config) };
}

/** msg.payload (an image) with a region erased → the filled image in the configured property, msg.mask (the region filled), msg.cutout. */
module.exports = operationNode('cutout-inpaint', {
	separateMask: true,
	operate: (config, msg, image, engine) =>
		core.inpaint(image, engine, {
			...region(msg, config),
			dilation: optionalInteger(config.dilation, 'Dilation'),
			format: config.format || 'png',
			quality: optionalInteger(config.quality, 'Quality'),
			pngEffort: config.pngEffort || undefined,
		}),
});
