/**
 * `train`: a layer in every slot of a proxy network, trained with SGD (warm-up + cosine) on a
 * dataset's training split and scored on a held-out validation split (or the test split).
 * Failures (NaN/Inf loss, divergence) come back typed, never as exceptions.
 */
import { batches, makeBatch, trainValidationSplit, CIFAR_AUGMENTATION, type Augmentation, type Dataset, type Split } from '@evonorm/data';
import { Rng, type LayerGraph, type Seed } from '@evonorm/graph';
import { architecture, type NetworkSpec } from '@evonorm/nets';
import type { ExecutionProvider } from '@evonorm/onnx';
import { checkCheckpoint, type TrainingCheckpoint } from './checkpoint.js';
import { createTrainer, type EngineName } from './engine.js';
import { learningRate } from './schedule.js';

export interface TrainOptions {
  /** An architecture name (shrunk to the dataset's input) or a network spec. */
  readonly network: string | NetworkSpec;
  readonly layer: LayerGraph;
  readonly dataset: Dataset;
  readonly steps: number;
  readonly batchSize?: number;
  readonly seed: Seed;
  readonly engine?: EngineName;
  readonly ep?: ExecutionProvider;
  /** GPU index for the CUDA provider. */
  readonly device?: number;
  readonly threads?: number;
  readonly learningRate?: number;
  readonly warmupSteps?: number;
  readonly momentum?: number;
  readonly weightDecay?: number;
  /** Held-out validation examples taken from the training split (default 1000). */
  readonly validationExamples?: number;
  /** Score on the validation split (default) or the test split. */
  readonly evaluateOn?: 'validation' | 'test';
  /** Default: CIFAR-style crop and flip for CIFAR-10, none otherwise. */
  readonly augment?: Augmentation | null;
  readonly onProgress?: (progress: { step: number; loss: number; learningRate: number; imagesPerSecond: number }) => void;
  readonly progressEvery?: number;
  readonly signal?: AbortSignal;
  /** A loss above this is divergence (cross-entropy starts near ln(classes)). */
  readonly divergenceLoss?: number;
  /**
   * Stop once this many steps of the `steps`-step schedule are done, score there and return the
   * state in `checkpoint` (a rung: the quality test, a short multi-fidelity budget).
   */
  readonly stopAfter?: number;
  /** Continue a checkpoint of this same training (layer, network, seed, data, schedule) instead of starting afresh. */
  readonly resume?: TrainingCheckpoint;
  /**
   * Score in training form, each evaluation batch normalized by its own statistics instead of the
   * moving averages (which are left as they are, so a checkpoint continues unchanged).
   */
  readonly scoreWithBatchStatistics?: boolean;
}

export type TrainingFailure = { readonly kind: 'non_finite_loss'; readonly step: number; readonly detail: string } | { readonly kind: 'diverged'; readonly step: number; readonly detail: string };

export interface TrainResult {
  readonly architecture: string;
  readonly engine: string;
  /** Accuracy on the evaluation split, 0 on failure. */
  readonly accuracy: number;
  readonly loss: number;
  /** This call's steps' losses (from the resumed step on, when resuming). */
  readonly lossCurve: readonly number[];
  /** Steps of the schedule done at the end (including a resumed checkpoint's). */
  readonly steps: number;
  readonly seconds: number;
  readonly imagesPerSecond: number;
  readonly evaluatedExamples: number;
  /** Where the seconds went (their sum is `seconds` up to bookkeeping). */
  readonly phases: TrainingPhases;
  readonly failure?: TrainingFailure;
  /** The state at `stopAfter`, when asked for and no failure came first. */
  readonly checkpoint?: TrainingCheckpoint;
}

/** Seconds of one training by phase. */
export interface TrainingPhases {
  /** Building the training graphs and creating their sessions (0 when a cached session was reused). */
  readonly build: number;
  readonly session: number;
  /** Drawing and augmenting batches, and assembling the evaluation split. */
  readonly data: number;
  /** The training steps themselves. */
  readonly steps: number;
  /** Evaluation passes over the evaluation split (their sessions' setup counted above). */
  readonly evaluation: number;
}

export class TrainingCancelledError extends Error {
  constructor() {
    super('training was cancelled');
    this.name = 'TrainingCancelledError';
  }
}

function evaluationSplit(options: TrainOptions, rng: Rng): { train: Split; evaluation: Split } {
  const held = options.validationExamples ?? 1000;
  const { train, validation } = trainValidationSplit(options.dataset, held, rng);
  return { train, evaluation: options.evaluateOn === 'test' ? options.dataset.test : validation };
}

export async function train(options: TrainOptions): Promise<TrainResult> {
  if (!Number.isInteger(options.steps) || options.steps < 1) throw new RangeError(`steps must be a positive integer, got ${options.steps}`);
  const first = options.resume?.step ?? 0;
  const last = options.stopAfter ?? options.steps;
  if (!Number.isInteger(last) || last <= first || last > options.steps) throw new RangeError(`stopAfter must be an integer in [${first + 1}, ${options.steps}], got ${last}`);
  const spec = typeof options.network === 'string' ? architecture(options.network, { input: options.dataset.shape, classes: options.dataset.classes }) : options.network;
  const batch = options.batchSize ?? 64;
  const rng = Rng.fromSeed(options.seed);
  const { train: trainSplit, evaluation } = evaluationSplit(options, rng);
  const evalBatch = Math.min(250, evaluation.count);
  const created = performance.now();
  const trainer = await createTrainer(options.engine ?? 'auto', spec, options.layer, {
    batch,
    evalBatch,
    seed: options.seed,
    ...(options.ep ? { ep: options.ep } : {}),
    ...(options.device !== undefined ? { device: options.device } : {}),
    ...(options.threads ? { threads: options.threads } : {}),
    ...(options.momentum !== undefined ? { momentum: options.momentum } : {}),
    ...(options.weightDecay !== undefined ? { weightDecay: options.weightDecay } : {}),
  });
  const augment = options.augment === undefined ? (options.dataset.name === 'cifar10' ? CIFAR_AUGMENTATION : undefined) : (options.augment ?? undefined);
  const peak = options.learningRate ?? 0.1;
  const warmup = options.warmupSteps ?? Math.min(50, Math.ceil(options.steps / 10));
  const divergence = options.divergenceLoss ?? 100;
  const every = options.progressEvery ?? 10;
  const lossCurve: number[] = [];
  const start = performance.now();
  const createSeconds = (start - created) / 1000;
  const setupAtStart = trainer.setupSeconds?.();
  let dataSeconds = 0;
  let stepSeconds = 0;
  let evaluationSeconds = 0;
  let failure: TrainingFailure | undefined;
  try {
    const stream = batches(options.dataset, trainSplit, batch, rng, augment);
    if (options.resume) {
      checkCheckpoint(options.resume, options.steps, trainer.saveState());
      trainer.loadState(options.resume.tensors);
      // The stream is a function of the seed: draw the batches the checkpoint already trained on.
      const mark = performance.now();
      for (let step = 0; step < first; step++) stream.next();
      dataSeconds += (performance.now() - mark) / 1000;
    }
    for (let step = first; step < last; step++) {
      if (options.signal?.aborted) throw new TrainingCancelledError();
      const lr = learningRate(step, options.steps, peak, warmup);
      let mark = performance.now();
      const b = stream.next().value;
      dataSeconds += (performance.now() - mark) / 1000;
      mark = performance.now();
      const { loss } = await trainer.step(b.images, b.labels, lr);
      stepSeconds += (performance.now() - mark) / 1000;
      lossCurve.push(loss);
      if (!Number.isFinite(loss)) {
        failure = { kind: 'non_finite_loss', step, detail: `loss is ${loss} at step ${step}` };
        break;
      }
      if (loss > divergence) {
        failure = { kind: 'diverged', step, detail: `loss ${loss.toFixed(2)} exceeds ${divergence} at step ${step}` };
        break;
      }
      if (options.onProgress && (step % every === 0 || step === last - 1)) {
        const seconds = (performance.now() - start) / 1000;
        options.onProgress({ step, loss, learningRate: lr, imagesPerSecond: ((step + 1 - first) * batch) / seconds });
      }
    }
    const trainSeconds = (performance.now() - start) / 1000;
    let accuracy = 0;
    let evalLoss = Number.NaN;
    let evaluated = 0;
    if (!failure) {
      let mark = performance.now();
      const all = makeBatch(
        options.dataset,
        evaluation,
        Array.from({ length: evaluation.count }, (_, i) => i),
      );
      dataSeconds += (performance.now() - mark) / 1000;
      mark = performance.now();
      const result = await trainer.evaluate(all.images, all.labels, { batchStatistics: options.scoreWithBatchStatistics ?? false });
      evaluationSeconds = (performance.now() - mark) / 1000;
      accuracy = result.accuracy;
      evalLoss = result.loss;
      evaluated = result.examples;
      if (!Number.isFinite(evalLoss)) {
        failure = { kind: 'non_finite_loss', step: last, detail: `validation loss is ${evalLoss}` };
        accuracy = 0;
      }
    }
    return {
      architecture: spec.name,
      engine: trainer.engine,
      accuracy,
      loss: evalLoss,
      lossCurve,
      steps: first + lossCurve.length,
      seconds: (performance.now() - start) / 1000,
      imagesPerSecond: (lossCurve.length * batch) / trainSeconds,
      evaluatedExamples: evaluated,
      phases: trainingPhases(setupAtStart, trainer.setupSeconds?.(), createSeconds, dataSeconds, stepSeconds, evaluationSeconds),
      ...(failure ? { failure } : {}),
      ...(!failure && last < options.steps ? { checkpoint: { step: last, steps: options.steps, tensors: trainer.saveState() } } : {}),
    };
  } finally {
    await trainer.release();
  }
}

/**
 * Phases from the measured spans. The evaluation's session is made inside its first pass: that
 * setup (the engine's total at the end less its total at the start) moves from the evaluation
 * span to build and session. Without an engine's own figures, trainer creation counts as session.
 */
function trainingPhases(
  atStart: { build: number; session: number } | undefined,
  atEnd: { build: number; session: number } | undefined,
  create: number,
  data: number,
  steps: number,
  evaluation: number,
): TrainingPhases {
  if (!atStart || !atEnd) return { build: 0, session: create, data, steps, evaluation };
  const later = atEnd.build + atEnd.session - (atStart.build + atStart.session);
  return { build: atEnd.build, session: atEnd.session, data, steps, evaluation: Math.max(0, evaluation - later) };
}
