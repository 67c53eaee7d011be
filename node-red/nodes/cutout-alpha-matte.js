'use strict';
const { core, operationNode, optionalInteger } = require('./runtime');

/** A number from an editor field (0–1 threshold, pixels), or the default when left blank. */
function numberOr(value, fallback, label) {
	if (value === undefined || value === null || String(value).trim() === '') return fallback;
	const number = Number(value);
	if (!Number.isFinite(number)) throw new core.CutoutError('invalid_option', `${label} must be a number, got "${value}"`);
	return number;
}

/** msg.payload (an image) → the subject's matte in the configured property, msg.cutout. */
module.exports = operationNode('cutout-alpha-matte', {
	separateMask: false,
	operate: (config, msg, image, engine) =>
		core.alphaMatte(image, engine, {
			binary: config.output === 'binary',
			threshold: numberOr(config.threshold, 0.5, 'Threshold'),
			grow: optionalInteger(config.grow, 'Grow / shrink'),
			feather: numberOr(config.feather, 0, 'Feather'),
			invert: config.invert === true,
			guidedUpsampling: config.guidedUpsampling !== false,
			format: config.format || 'png',
		}),
});
