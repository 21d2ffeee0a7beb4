/**
 * The micro-quality rung (--micro-steps > 0), the first trained rung of the ladder: a few dozen steps
 * of the first architecture's proxy on images at half resolution (28×28 → 14×14), about a quarter of
 * the stability test's compute and an eighth of the quality test's. Not narrower: at half width ResNet's last stage has 32 channels, GroupNorm's
 * 32 groups become single channels and GN-ReLU stays at chance (plan.ts's width note). It drops what is hopeless: accuracy below
 * --micro-min-accuracy, a loss that stops being finite or diverges. Steps and threshold come from
 * search:bench-ladder's calibration (no zoo layer rejected, ≥ 95% of the layers that pass the full
 * quality test pass this rung; docs/benchmarks.md). One training on the micro seed, the same for
 * every candidate.
 */
import { RejectionReason, TrainRequest, TrainingFailure, type Candidate, type LayerGraph, type TrainResult, type TrainingConfig } from '@evonorm/contracts';
import type { SearchBackend } from './backend.js';
import { rejected } from './outcomes.js';
import type { SearchPlan } from './plan.js';
import { engineCode, trainingConfig } from './proxy-config.js';
import { seedFor } from './seeds.js';

/** The resolution divisor of the micro rung's images. */
export const MICRO_DOWNSAMPLE = 2;
/** Validation examples the rung scores on: 500 give a binomial sd near 2 points at 20%. */
export const MICRO_VALIDATION_EXAMPLES = 500;

/** The micro rung's training: the plan's first architecture at its size, on downsampled images. */
export function microConfig(plan: SearchPlan): TrainingConfig {
  return {
    ...trainingConfig(plan, plan.architectures[0]!, plan.microSteps),
    validationExamples: MICRO_VALIDATION_EXAMPLES,
    downsample: MICRO_DOWNSAMPLE,
  };
}

/** "resnet_v2 at 1/2 resolution, 30 steps" */
export function microDescription(plan: SearchPlan): string {
  return `${plan.architectures[0]} at 1/${MICRO_DOWNSAMPLE} resolution, ${plan.microSteps} steps`;
}

/** The rung's training request for `graph` (one seed per search, shared by every candidate). */
export function microRequest(plan: SearchPlan, graph: LayerGraph): TrainRequest {
  return TrainRequest.fromPartial({ graph, seed: seedFor(plan.seed, -1, 'micro'), engine: engineCode(plan.engine), progressEvery: 1_000_000, config: microConfig(plan) });
}

/** Why `result` fails the rung, or undefined when it passes. */
export function microRejectionDetail(plan: SearchPlan, result: TrainResult): string | undefined {
  const where = `micro-quality rung (${microDescription(plan)})`;
  if (result.failure !== TrainingFailure.TRAINING_FAILURE_UNSPECIFIED) return `${where}: ${result.failureDetail}`;
  const accuracy = result.score!.accuracy;
  if (accuracy >= plan.microMinAccuracy) return undefined;
  return `${where}: validation accuracy ${(100 * accuracy).toFixed(1)}% < ${(100 * plan.microMinAccuracy).toFixed(0)}%`;
}

export type MicroOutcome = { readonly computeSeconds: number; readonly accuracy: number; readonly rejected?: Candidate };

/** Runs the rung on `base`; `rejected` is set when the layer fails it. */
export async function microQualityRung(plan: SearchPlan, backend: SearchBackend, base: Candidate, signal: AbortSignal): Promise<MicroOutcome> {
  const result = await backend.train(microRequest(plan, base.graph!), signal);
  const detail = microRejectionDetail(plan, result);
  const accuracy = result.score?.accuracy ?? 0;
  if (detail === undefined) return { computeSeconds: result.seconds, accuracy };
  // No scores: they are the proxies' accuracies wherever a report reads them; the detail has this one.
  return { computeSeconds: result.seconds, accuracy, rejected: rejected(base, { reason: RejectionReason.REJECTION_REASON_LOW_MICRO_QUALITY, detail, problems: [], scores: [] }) };
}
