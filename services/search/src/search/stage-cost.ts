/**
 * A layer's inference cost (--measure-cost, on by default): its optimized ONNX export timed against
 * BN-ReLU's on a training replica, in one of its training slots, at the provider's fixed shape
 * (libs/onnx cost.ts). Two places in a search:
 * - costStage, after the evaluation: what the search knows of an evaluated layer's speed, next to its
 *   accuracy (and, with --objectives accuracy,cost, what tournaments compare).
 * - costRung (--max-cost-ratio R > 0), the first rung of the ladder, before any training: a layer
 *   over R × BN-ReLU is rejected too_slow. About a second of one replica, against seconds to
 *   minutes for the trained rungs; its measurement is kept, so costStage does not time it again.
 * A measurement the replica cannot make (the chain was not measurably slower than its input
 * generator, or any error the service answers) leaves the cost unset, and the layer goes on: it is
 * reported as a failed call (a "retry" event with attempt 0: it is not retried).
 */
import { RejectionReason, type Candidate, type MeasureCostResponse } from '@evonorm/contracts';
import { status } from '@grpc/grpc-js';
import { TrainingError } from '@evonorm/rpc';
import type { RetryNotice, SearchBackend } from './backend.js';
import type { SearchStats } from './events.js';
import { rejected } from './outcomes.js';
import type { SearchPlan } from './plan.js';

type FailureSink = (notice: RetryNotice) => void;

/**
 * The measurement, or undefined (reported to onFailure) when the replica could not make it. The
 * live view counts it under `stage`: the cost rung's own, or the evaluation it completes.
 */
async function measure(
  backend: SearchBackend,
  stats: SearchStats,
  stage: 'cost' | 'evaluation',
  candidate: Candidate,
  signal: AbortSignal,
  onFailure: FailureSink,
): Promise<MeasureCostResponse | undefined> {
  stats.stages[stage]++;
  try {
    return await backend.measureCost({ graph: candidate.graph }, signal);
  } catch (error) {
    if (signal.aborted) throw error;
    if (!(error instanceof TrainingError)) throw error;
    onFailure({ service: 'training', method: 'MeasureCost', code: status[error.code] ?? String(error.code), detail: `${candidate.id}: no inference cost: ${error.details}`, attempt: 0 });
    return undefined;
  } finally {
    stats.stages[stage]--;
  }
}

/** An evaluated layer with its cost (unchanged when it has one already, from the cost rung). */
export async function costStage(plan: SearchPlan, backend: SearchBackend, stats: SearchStats, candidate: Candidate, signal: AbortSignal, onFailure: FailureSink): Promise<Candidate> {
  if (!plan.measureCost || !candidate.fitness || candidate.cost) return candidate;
  const measured = await measure(backend, stats, 'evaluation', candidate, signal, onFailure);
  return measured ? { ...candidate, cost: measured.cost } : candidate;
}

export interface CostRungOutcome {
  /** The candidate with its cost where measured, rejected too_slow when over the limit. */
  readonly candidate: Candidate;
  readonly rejected: boolean;
}

/**
 * The cost rung (a pass-through when plan.maxCostRatio is 0): measures `base`, records the rung's
 * seconds in its timings, and rejects it when its ratio is above plan.maxCostRatio.
 */
export async function costRung(plan: SearchPlan, backend: SearchBackend, stats: SearchStats, base: Candidate, signal: AbortSignal, onFailure: FailureSink): Promise<CostRungOutcome> {
  if (plan.maxCostRatio <= 0) return { candidate: base, rejected: false };
  const started = performance.now();
  const measured = await measure(backend, stats, 'cost', base, signal, onFailure);
  if (base.timings) {
    base.timings.costSeconds = (performance.now() - started) / 1000;
    base.timings.costComputeSeconds = measured?.seconds ?? 0;
  }
  if (!measured) return { candidate: base, rejected: false };
  const cost = measured.cost!;
  const withCost = { ...base, cost };
  if (cost.ratio <= plan.maxCostRatio) return { candidate: withCost, rejected: false };
  const detail = `cost rung: inference cost ${cost.ratio.toFixed(2)}× BN-ReLU's (${cost.layerMs.toFixed(3)} ms against ${cost.referenceMs.toFixed(3)} ms per layer at [${cost.shape.join(', ')}] on ${cost.executionProvider}) > --max-cost-ratio ${plan.maxCostRatio}`;
  return { candidate: rejected(withCost, { reason: RejectionReason.REJECTION_REASON_TOO_SLOW, detail, problems: [], scores: [] }), rejected: true };
}
