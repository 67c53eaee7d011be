/** The three operations: input bytes + an engine (lib/engines, lib/providers/engine) + options → encoded outputs and json fields. */
export { type AlphaMatteFields, type AlphaMatteOptions, type AlphaMatteResult, type AlphaMatteTimings, alphaMatte } from './alphaMatte';
export { DEFAULT_DILATION, type InpaintFields, type InpaintOptions, type InpaintOutputFormat, type InpaintResult, type InpaintTimings, inpaint } from './inpaint';
export {
	type RemoveBackgroundFields,
	type RemoveBackgroundOptions,
	type RemoveBackgroundResult,
	type RemoveBackgroundTimings,
	removeBackground,
} from './removeBackground';
