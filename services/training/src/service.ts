/**
 * The TrainingService handlers: validate the request, train with streamed progress, stop when the
 * client cancels or the deadline passes; time a layer's inference cost; calls beyond this replica's concurrency wait in a bounded
 * queue, and beyond that are refused.
 */
import { Engine, TrainingFailure, type MeasureCostRequest, type MeasureCostResponse, type TrainRequest, type TrainResponse, type TrainingServiceServer, type TrainingConfig } from '@evonorm/contracts';
import { MeasurementError, inferenceCost } from '@evonorm/onnx';
import { ARCHITECTURES, architecture, isArchitecture } from '@evonorm/nets';
import { failedPrecondition, invalidArgument, optionalInRange, requireGraph, requireSeed, serverStream, Slots, unary, type Logger } from '@evonorm/rpc';
import { CheckpointMismatchError, resolveEngine, train, type EngineName, type ExecutionProvider } from '@evonorm/train';
import { initBackend } from '@evonorm/tfjs';
import { checkpointFromWire, checkpointToWire } from './checkpoint.js';
import { DATASETS, type DatasetCatalog } from './datasets.js';

export const MAX_STEPS = 100_000;
/** Largest config.downsample: 8 turns 32×32 into 4×4. */
export const MAX_DOWNSAMPLE = 8;
export const MAX_BATCH = 1024;

export interface WorkerOptions {
  readonly maxConcurrent: number;
  /** Engine for requests that leave it unspecified (default auto). */
  readonly engine?: EngineName;
  /** Calls that may wait for a free slot; beyond them a call is refused (RESOURCE_EXHAUSTED). */
  readonly maxQueued?: number;
  readonly threads?: number;
  /** Execution provider of the onnx engine's sessions (default cpu); main.ts checks it loads at start. */
  readonly ep?: ExecutionProvider;
  /** GPU index for the CUDA provider (default 0). */
  readonly device?: number;
}

function requireConfig(config: TrainingConfig | undefined) {
  if (!config) throw invalidArgument('config', 'a training config is required (architecture, dataset, steps)');
  if (!isArchitecture(config.architecture)) {
    throw invalidArgument('config.architecture', `unknown architecture ${JSON.stringify(config.architecture)}; use one of ${ARCHITECTURES.join(', ')}`);
  }
  if (!(DATASETS as readonly string[]).includes(config.dataset)) {
    throw invalidArgument('config.dataset', `unknown dataset ${JSON.stringify(config.dataset)}; use one of ${DATASETS.join(', ')}`);
  }
  if (!Number.isInteger(config.steps) || config.steps < 1 || config.steps > MAX_STEPS) {
    throw invalidArgument('config.steps', `must be an integer in [1, ${MAX_STEPS}], got ${config.steps}`);
  }
  if (!Number.isInteger(config.downsample) || config.downsample > MAX_DOWNSAMPLE) {
    throw invalidArgument('config.downsample', `must be an integer in [0, ${MAX_DOWNSAMPLE}] (0 or 1: full resolution), got ${config.downsample}`);
  }
  return {
    downsample: Math.max(1, config.downsample),
    architecture: config.architecture,
    dataset: config.dataset,
    steps: config.steps,
    batchSize: Math.round(optionalInRange('config.batch_size', config.batchSize, 1, MAX_BATCH, 64)),
    learningRate: optionalInRange('config.learning_rate', config.learningRate, 1e-6, 10, 0.1),
    momentum: optionalInRange('config.momentum', config.momentum, 1e-6, 0.999, 0.9),
    weightDecay: optionalInRange('config.weight_decay', config.weightDecay, 1e-9, 0.1, 5e-4),
    warmupSteps: Math.round(optionalInRange('config.warmup_steps', config.warmupSteps, 1, MAX_STEPS, Math.min(50, Math.ceil(config.steps / 10)))),
    width: optionalInRange('config.width_multiplier', config.widthMultiplier, 0.05, 4, 0),
    depth: optionalInRange('config.depth_multiplier', config.depthMultiplier, 0.05, 4, 0),
    validationExamples: Math.round(optionalInRange('config.validation_examples', config.validationExamples, 10, 50_000, 1000)),
    evaluateOn: config.evaluateOnTest ? ('test' as const) : ('validation' as const),
  };
}

/** The request's engine; unspecified means this worker's default (--engine). */
function requireEngine(engine: Engine, fallback: EngineName): EngineName {
  switch (engine) {
    case Engine.ENGINE_UNSPECIFIED:
      return fallback;
    case Engine.ENGINE_AUTO:
      return 'auto';
    case Engine.ENGINE_ONNX:
      return 'onnx';
    case Engine.ENGINE_TFJS:
      return 'tfjs';
    default:
      throw invalidArgument('engine', `unknown engine ${engine}; use ENGINE_AUTO, ENGINE_ONNX or ENGINE_TFJS`);
  }
}

export function trainingService(catalog: DatasetCatalog, worker: WorkerOptions, logger: Logger): TrainingServiceServer {
  const slots = new Slots(worker.maxConcurrent, worker.maxQueued ?? 0);
  let engineDescription: Promise<{ engine: string; backend: string }> | undefined;
  const describeEngine = () =>
    (engineDescription ??= resolveEngine(worker.engine ?? 'auto').then(async (engine) => ({
      engine,
      backend: engine === 'tfjs' ? `tensorflow.js/${(await initBackend()).backend}` : `onnxruntime-node/${worker.ep ?? 'cpu'}`,
    })));
  return {
    train: serverStream<TrainRequest, TrainResponse>('Train', logger, async (request, context, emit) => {
      const config = requireConfig(request.config);
      const engine = requireEngine(request.engine, worker.engine ?? 'auto');
      const seed = requireSeed('seed', request.seed);
      const every = request.progressEvery || 10;
      const dataset = catalog.get(config.dataset, 'config.dataset', config.downsample);
      if (config.validationExamples >= dataset.train.count) {
        throw invalidArgument('config.validation_examples', `must be below the ${dataset.train.count} training examples of ${config.dataset}`);
      }
      const layer = requireGraph('graph', request.graph);
      const resume = request.resumeFrom ? checkpointFromWire(request.resumeFrom, config.steps) : undefined;
      const first = resume?.step ?? 0;
      if (request.stopAfterStep !== 0 && (request.stopAfterStep <= first || request.stopAfterStep >= config.steps)) {
        throw invalidArgument('stop_after_step', `must be in [${first + 1}, ${config.steps - 1}] (0 runs to config.steps), got ${request.stopAfterStep}`);
      }
      const release = await slots.acquire(context.signal);
      try {
        const spec = architecture(config.architecture, {
          input: dataset.shape,
          classes: dataset.classes,
          ...(config.width ? { width: config.width } : {}),
          ...(config.depth ? { depth: config.depth } : {}),
        });
        const result = await train({
          ...(resume ? { resume } : {}),
          ...(request.stopAfterStep ? { stopAfter: request.stopAfterStep } : {}),
          ...(request.scoreWithBatchStatistics ? { scoreWithBatchStatistics: true } : {}),
          network: spec,
          layer,
          dataset,
          steps: config.steps,
          batchSize: config.batchSize,
          seed,
          engine,
          learningRate: config.learningRate,
          momentum: config.momentum,
          weightDecay: config.weightDecay,
          warmupSteps: config.warmupSteps,
          validationExamples: config.validationExamples,
          evaluateOn: config.evaluateOn,
          progressEvery: every,
          signal: context.signal,
          ...(worker.threads ? { threads: worker.threads } : {}),
          ...(worker.ep ? { ep: worker.ep } : {}),
          ...(worker.device !== undefined ? { device: worker.device } : {}),
          onProgress: (p) => emit({ progress: { step: p.step, loss: p.loss, learningRate: p.learningRate, imagesPerSecond: p.imagesPerSecond } }),
        }).catch((error: unknown) => {
          // The checkpoint's shapes are checked against the network only once it is built.
          if (error instanceof CheckpointMismatchError) throw invalidArgument('resume_from', error.message);
          throw error;
        });
        const failure =
          result.failure?.kind === 'non_finite_loss'
            ? TrainingFailure.TRAINING_FAILURE_NON_FINITE_LOSS
            : result.failure?.kind === 'diverged'
              ? TrainingFailure.TRAINING_FAILURE_DIVERGED
              : TrainingFailure.TRAINING_FAILURE_UNSPECIFIED;
        emit({
          result: {
            score: {
              architecture: config.architecture,
              accuracy: result.accuracy,
              loss: Number.isFinite(result.loss) ? result.loss : 0,
              steps: result.steps,
              seconds: result.seconds,
              seedAccuracies: [],
              seeds: [],
            },
            lossCurve: result.lossCurve.map((l) => (Number.isFinite(l) ? l : 0)),
            seconds: result.seconds,
            failure,
            failureDetail: result.failure?.detail ?? '',
            engine: result.engine,
            checkpoint: result.checkpoint ? checkpointToWire(result.checkpoint) : undefined,
          },
        });
      } finally {
        release();
      }
    }),
    // In a training slot: a timing that shared this replica's cores with its own training would
    // measure the training. A layer whose export the timings cannot measure is a failed precondition.
    measureCost: unary('MeasureCost', logger, async (request: MeasureCostRequest, context): Promise<MeasureCostResponse> => {
      const layer = requireGraph('graph', request.graph);
      const release = await slots.acquire(context.signal);
      const started = performance.now();
      try {
        const cost = await inferenceCost(layer, {
          ep: worker.ep ?? 'cpu',
          ...(worker.device !== undefined ? { device: worker.device } : {}),
          ...(worker.threads ? { threads: worker.threads } : {}),
        });
        return {
          cost: { ratio: cost.ratio, layerMs: cost.layerMs, referenceMs: cost.referenceMs, executionProvider: cost.ep, shape: [...cost.shape], clock: cost.clock },
          seconds: (performance.now() - started) / 1000,
        };
      } catch (error) {
        if (error instanceof MeasurementError) throw failedPrecondition(error.message);
        throw error;
      } finally {
        release();
      }
    }),
    // Training pools poll this for the replica's load before placing calls: the engine is resolved
    // once, and successful calls are logged at debug.
    getWorkerInfo: unary(
      'GetWorkerInfo',
      logger,
      async () => ({
        ...(await describeEngine()),
        maxConcurrent: worker.maxConcurrent,
        active: slots.active,
        queued: slots.queueLength,
        architectures: [...ARCHITECTURES],
        datasets: [...DATASETS],
        executionProvider: worker.ep ?? 'cpu',
        device: worker.ep === 'cuda' ? (worker.device ?? 0) : 0,
      }),
      { okLevel: 'debug' },
    ),
  };
}
