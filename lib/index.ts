/**
 * The core's public surface for front ends (the n8n nodes, the Node-RED nodes, scripts): three operations,
 * the engines they run on, what can be chosen, and the errors to expect. Nothing here knows a front end.
 */
export { alphaMatte, DEFAULT_DILATION, inpaint, removeBackground } from './pipeline';
export type {
	AlphaMatteFields,
	AlphaMatteOptions,
	AlphaMatteResult,
	InpaintFields,
	InpaintOptions,
	InpaintOutputFormat,
	InpaintResult,
	RemoveBackgroundFields,
	RemoveBackgroundOptions,
	RemoveBackgroundResult,
} from './pipeline';
export type { Engine, EngineReport } from './engines/engine';
export { type LocalEngineOptions, localEngine } from './engines/local';
export { type HostedEngineOptions, hostedEngine } from './providers/engine/hostedEngine';
export { remoteProviders } from './providers/clients';
/** Which providers offer an operation (Alpha Matte falls back to a provider's Remove Background), for front ends' choices. */
export { providerOperation } from './providers/engine/remote';
export { CutoutError, isCutoutError } from './errors';
export { isProviderError, ProviderError } from './providers/http/errors';
export type { EncodedImage } from './image/encode';
export { inpaintingModels, type ModelChoice, segmentationModels } from './models/choices';
