/**
 * The inference cost of an evaluated layer (--measure-cost, on by default): its optimized ONNX
 * export timed against BN-ReLU's on a training replica, in one of its training slots, at the
 * provider's fixed shape (libs/onnx cost.ts). What the search knows of a layer's speed, next to its
 * accuracy; it does not change the layer's outcome. A measurement the replica cannot make (the chain
 * was not measurably slower than its input generator, or any error the service answers) leaves the
 * cost unset and is reported as a
 * failed call (a "retry" event with attempt 0: it is not retried).
 */
import type { Candidate } from '@evonorm/contracts';
import { status } from '@grpc/grpc-js';
import { TrainingError } from '@evonorm/rpc';
import type { RetryNotice, SearchBackend } from './backend.js';
import type { SearchPlan } from './plan.js';

export async function costStage(plan: SearchPlan, backend: SearchBackend, candidate: Candidate, signal: AbortSignal, onFailure: (notice: RetryNotice) => void): Promise<Candidate> {
  if (!plan.measureCost || !candidate.fitness) return candidate;
  try {
    const cost = await backend.measureCost({ graph: candidate.graph }, signal);
    return { ...candidate, cost };
  } catch (error) {
    if (signal.aborted) throw error;
    if (!(error instanceof TrainingError)) throw error;
    onFailure({ service: 'training', method: 'MeasureCost', code: status[error.code] ?? String(error.code), detail: `${candidate.id}: no inference cost: ${error.details}`, attempt: 0 });
    return candidate;
  }
}
