/**
 * The quality test: a short training on each proxy architecture; a layer is rejected when its
 * validation accuracy is below the threshold on any of them (the paper: 100 steps, 20%).
 * Architectures are tried in order and the test stops at the first failure, the cheap answer.
 */
import type { Dataset } from '@evonorm/data';
import type { LayerGraph, Seed } from '@evonorm/graph';
import { ARCHITECTURES, type NetworkSpec } from '@evonorm/nets';
import type { ExecutionProvider } from '@evonorm/onnx';
import type { EngineName } from './engine.js';
import { train, type TrainingFailure } from './train.js';

export interface QualityOptions {
  readonly layer: LayerGraph;
  readonly dataset: Dataset;
  readonly seed: Seed;
  /** Names (default sizes for the dataset) or whole network descriptions (e.g. scaled proxies). */
  readonly architectures?: readonly (string | NetworkSpec)[];
  readonly steps?: number;
  readonly batchSize?: number;
  readonly minAccuracy?: number;
  readonly validationExamples?: number;
  readonly engine?: EngineName;
  readonly ep?: ExecutionProvider;
  /** GPU index for the CUDA provider. */
  readonly device?: number;
  readonly threads?: number;
  readonly signal?: AbortSignal;
}

export interface QualityScore {
  readonly architecture: string;
  readonly accuracy: number;
  readonly loss: number;
  readonly seconds: number;
  readonly steps: number;
  readonly failure?: TrainingFailure;
}

export interface QualityResult {
  readonly accepted: boolean;
  readonly scores: readonly QualityScore[];
  /** The architecture that failed the threshold, when rejected. */
  readonly rejectedOn?: string;
  readonly detail: string;
  readonly seconds: number;
}

export async function qualityTest(options: QualityOptions): Promise<QualityResult> {
  const architectures = options.architectures ?? ARCHITECTURES;
  const steps = options.steps ?? 100;
  const threshold = options.minAccuracy ?? 0.2;
  const start = performance.now();
  const scores: QualityScore[] = [];
  for (const network of architectures) {
    const name = typeof network === 'string' ? network : network.name;
    const result = await train({
      network,
      layer: options.layer,
      dataset: options.dataset,
      steps,
      batchSize: options.batchSize ?? 32,
      seed: options.seed,
      validationExamples: options.validationExamples ?? 500,
      ...(options.engine ? { engine: options.engine } : {}),
      ...(options.ep ? { ep: options.ep } : {}),
      ...(options.device !== undefined ? { device: options.device } : {}),
      ...(options.threads ? { threads: options.threads } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    scores.push({
      architecture: name,
      accuracy: result.accuracy,
      loss: result.loss,
      seconds: result.seconds,
      steps: result.steps,
      ...(result.failure ? { failure: result.failure } : {}),
    });
    if (result.failure || result.accuracy < threshold) {
      const why = result.failure ? result.failure.detail : `validation accuracy ${(100 * result.accuracy).toFixed(1)}% < ${(100 * threshold).toFixed(0)}%`;
      return { accepted: false, scores, rejectedOn: name, detail: `${name}: ${why} after ${result.steps} steps`, seconds: (performance.now() - start) / 1000 };
    }
  }
  return { accepted: true, scores, detail: `≥ ${(100 * threshold).toFixed(0)}% on ${scores.map((s) => s.architecture).join(', ')}`, seconds: (performance.now() - start) / 1000 };
}
