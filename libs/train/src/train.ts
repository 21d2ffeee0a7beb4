/**
 * `train`: a layer in every slot of a proxy network, trained with SGD (warm-up + cosine) on a
 * dataset's training split and scored on a held-out validation split (or the test split).
 * Failures (NaN/Inf loss, divergence) come back typed, never as exceptions.
 */
import { batches, makeBatch, trainValidationSplit, CIFAR_AUGMENTATION, type Augmentation, type Dataset, type Split } from '@evonorm/data';
import { Rng, type LayerGraph, type Seed } from '@evonorm/graph';
import { architecture, type NetworkSpec } from '@evonorm/nets';
import type { ExecutionProvider } from '@evonorm/onnx';
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
}

export type TrainingFailure = { readonly kind: 'non_finite_loss'; readonly step: number; readonly detail: string } | { readonly kind: 'diverged'; readonly step: number; readonly detail: string };

export interface TrainResult {
  readonly architecture: string;
  readonly engine: string;
  /** Accuracy on the evaluation split, 0 on failure. */
  readonly accuracy: number;
  readonly loss: number;
  readonly lossCurve: readonly number[];
  readonly steps: number;
  readonly seconds: number;
  readonly imagesPerSecond: number;
  readonly evaluatedExamples: number;
  readonly failure?: TrainingFailure;
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
  const spec = typeof options.network === 'string' ? architecture(options.network, { input: options.dataset.shape, classes: options.dataset.classes }) : options.network;
  const batch = options.batchSize ?? 64;
  const rng = Rng.fromSeed(options.seed);
  const { train: trainSplit, evaluation } = evaluationSplit(options, rng);
  const evalBatch = Math.min(250, evaluation.count);
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
  let failure: TrainingFailure | undefined;
  try {
    const stream = batches(options.dataset, trainSplit, batch, rng, augment);
    for (let step = 0; step < options.steps; step++) {
      if (options.signal?.aborted) throw new TrainingCancelledError();
      const lr = learningRate(step, options.steps, peak, warmup);
      const b = stream.next().value;
      const { loss } = await trainer.step(b.images, b.labels, lr);
      lossCurve.push(loss);
      if (!Number.isFinite(loss)) {
        failure = { kind: 'non_finite_loss', step, detail: `loss is ${loss} at step ${step}` };
        break;
      }
      if (loss > divergence) {
        failure = { kind: 'diverged', step, detail: `loss ${loss.toFixed(2)} exceeds ${divergence} at step ${step}` };
        break;
      }
      if (options.onProgress && (step % every === 0 || step === options.steps - 1)) {
        const seconds = (performance.now() - start) / 1000;
        options.onProgress({ step, loss, learningRate: lr, imagesPerSecond: ((step + 1) * batch) / seconds });
      }
    }
    const trainSeconds = (performance.now() - start) / 1000;
    let accuracy = 0;
    let evalLoss = Number.NaN;
    let evaluated = 0;
    if (!failure) {
      const all = makeBatch(
        options.dataset,
        evaluation,
        Array.from({ length: evaluation.count }, (_, i) => i),
      );
      const result = await trainer.evaluate(all.images, all.labels);
      accuracy = result.accuracy;
      evalLoss = result.loss;
      evaluated = result.examples;
      if (!Number.isFinite(evalLoss)) {
        failure = { kind: 'non_finite_loss', step: options.steps, detail: `validation loss is ${evalLoss}` };
        accuracy = 0;
      }
    }
    return {
      architecture: spec.name,
      engine: trainer.engine,
      accuracy,
      loss: evalLoss,
      lossCurve,
      steps: lossCurve.length,
      seconds: (performance.now() - start) / 1000,
      imagesPerSecond: (lossCurve.length * batch) / trainSeconds,
      evaluatedExamples: evaluated,
      ...(failure ? { failure } : {}),
    };
  } finally {
    await trainer.release();
  }
}
