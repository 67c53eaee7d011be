import { decodeImage, type DecodeLimits } from '../image/decode';
import { DEFAULT_INPAINT_ENGINE, type InpaintEngine, loadInpaintEngine } from '../inpaint/engines';
import { fillHoles } from '../inpaint/fill';
import { checkDilation, dilateHoles, type HoleRequest, holeFraction, resolveHoles } from '../inpaint/mask';
import { refineForeground } from '../matte/foreground';
import { defaultModel } from '../models/catalog';
import { hasInt8Graph, loadSegmentationModel, type SegmentationModel, type SegmentationModelChoice } from '../models/segmentationModels';
import { type MatteQuality, type MatteUpsampling, type OperatingResolution, segmentImage, type SegmentOptions } from '../segmentation/segmentImage';
import { stopwatch } from '../stopwatch';
import { type Engine, type EngineCutout, localReport } from './engine';

export interface LocalEngineOptions {
	/** A catalog id or a custom model; default: the catalog's default segmentation model (embedded). */
	segmentationModel?: SegmentationModelChoice | string;
	/** Fills Inpaint's region: 'patch' (default), 'smooth', a catalog inpainting model, or one already loaded. */
	inpaintModel?: string | InpaintEngine;
	/** Square size the segmentation model runs at; default its native size. */
	resolution?: OperatingResolution;
	/** 'high' runs the model's int8 graph on four views (without one, the model on two) and joins the mattes; 'speed' runs its int8 graph; default 'standard'. */
	matteQuality?: MatteQuality;
	/** Where models are kept; default CUTOUT_MODELS_DIR or <n8n user folder>/.n8n/cutout-models. */
	modelsDir?: string;
	/** Receives download and cache notes. */
	log?: (message: string) => void;
}

/**
 * The ONNX models on this machine. Models load on first use and stay shared by the process (a download or a
 * session serves every caller), so an engine is cheap to create per item. Models load after the input is
 * decoded, so a bad file fails before any download starts; loading is not counted in the timings.
 */
export function localEngine(options: LocalEngineOptions = {}): Engine {
	const { resolution, matteQuality: quality, log, modelsDir } = options;
	const choice = typeof options.segmentationModel === 'string' ? { id: options.segmentationModel } : options.segmentationModel;
	const modelChoice = choice ?? { id: defaultModel('segmentation').id };
	// High's four views run on the int8 graph where the model has one (built once, cached in the models
	// folder), Speed's one view too; without one, High runs the model on two views.
	const highOnInt8 = quality === 'high' && hasInt8Graph(modelChoice);
	// No cancel signal: sessions and downloads are shared with other items and executions.
	const segmentationModel = (): Promise<SegmentationModel> =>
		loadSegmentationModel(modelChoice, { log, modelsDir, precision: quality === 'speed' || highOnInt8 ? 'int8' : 'float' });
	/** segmentImage's options for the loaded model: High's views on it where it is the int8 graph. */
	const segmentOptions = (model: SegmentationModel, upsampling?: MatteUpsampling): SegmentOptions => ({
		resolution,
		quality,
		upsampling,
		highViewsModel: highOnInt8 ? model : undefined,
	});

	/** The matte and the foreground: blur-fusion colours when refining, else the input's own (a matte-only job ignores them). */
	async function segmentLocally(input: Buffer, limits: DecodeLimits, guidedUpsampling: boolean, refine: boolean): Promise<EngineCutout> {
		const lap = stopwatch();
		const decoded = await decodeImage(input, limits);
		const decodeMs = lap();
		const model = await segmentationModel();
		lap();
		const { matte, lowResolutionMatte, grid, modelSquare, inferMs } = await segmentImage(decoded, model, segmentOptions(model, guidedUpsampling ? 'guided' : 'linear'));
		// segmentImage times the model alone; the rest of its work (upsampling) counts as refinement.
		const refineStart = lap() - Math.round(inferMs);
		// The blur means start from the model's square and matte, not the full resolution; the matte only where
		// the source had no alpha of its own (the full matte includes it). In place: nothing reads the decoded
		// colours after this.
		const scaledDown = modelSquare && { rgb: modelSquare, alpha: decoded.alpha ? undefined : lowResolutionMatte, ...grid };
		const foreground = refine ? await refineForeground(decoded.rgb, matte, decoded.width, decoded.height, { inPlace: true, scaledDown }) : decoded.rgb;
		return {
			width: decoded.width,
			height: decoded.height,
			alpha: matte,
			foreground,
			report: localReport(model.id),
			timings: { decodeMs, inferMs: Math.round(inferMs), refineMs: refineStart + lap() },
		};
	}

	return {
		id: 'local',
		matte: (input, job) => segmentLocally(input, job.limits, job.guidedUpsampling, false),
		cutout: (input, job) => segmentLocally(input, job.limits, false, job.refineForeground),

		async fill(input, job) {
			const lap = stopwatch();
			const decoded = await decodeImage(input, job.limits);
			const decodeMs = lap();
			const size = { width: decoded.width, height: decoded.height };
			// Checked before any model runs, so a bad setting fails fast.
			const dilation = checkDilation(job.dilation);
			let subjectModel: string | null = null;
			const request: HoleRequest = {
				mask: job.mask,
				bbox: job.box,
				subjectMatte: async () => {
					const model = await segmentationModel();
					subjectModel = model.id;
					return (await segmentImage(decoded, model, segmentOptions(model))).matte;
				},
			};
			const { mode, plane } = await resolveHoles(size, request, job.limits);
			holeFraction(plane);
			const holes = dilateHoles(plane, size, dilation);
			const maskMs = lap();
			job.onRegion?.({ ...size, rgb: decoded.rgb, holes });
			const { inpaintModel = DEFAULT_INPAINT_ENGINE } = options;
			const engine = typeof inpaintModel === 'string' ? await loadInpaintEngine(inpaintModel, { log, modelsDir }) : inpaintModel;
			lap();
			const { rgb } = await fillHoles(decoded.rgb, holes, size, engine);
			return {
				...size,
				rgb,
				holes,
				mode,
				subjectModel,
				report: localReport(engine.id),
				timings: { decodeMs, maskMs, fillMs: lap() },
			};
		},
	};
}
