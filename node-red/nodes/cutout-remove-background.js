'use strict';
const { core, operationNode, optionalInteger } = require('./runtime');

/** "#rrggbb" from the editor's color picker as the core's { r, g, b }. */
function parseColor(hex) {
	const match = /^#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(String(hex).trim());
	if (!match) throw new core.CutoutError('invalid_option', `Background color must be #rrggbb, got "${hex}"`);
	const [r, g, b] = match.slice(1).map((pair) => parseInt(pair, 16));
	return { r, g, b };
}

/** msg.payload (an image) → the cutout in the configured property, msg.mask, msg.cutout. */
module.exports = operationNode('cutout-remove-background', {
	separateMask: true,
	operate: (config, msg, image, engine) =>
		core.removeBackground(image, engine, {
			format: config.format || 'png',
			background: config.background === 'color' || config.format === 'jpeg' ? parseColor(config.backgroundColor) : undefined,
			quality: optionalInteger(config.quality, 'Quality'),
			pngEffort: config.pngEffort || undefined,
			includeMask: config.includeMask !== false,
			cropMargin: config.crop ? (optionalInteger(config.cropMargin, 'Crop margin') ?? 0) : undefined,
			refineForeground: config.refineForeground !== false,
		}),
});
