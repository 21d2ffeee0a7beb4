/**
 * The quality test's verdict on one architecture's training, read the same way by the rejection
 * service (TestQuality) and the search's quality rung.
 */
import { RejectionReason, type ArchitectureScore, type Rejection } from './gen/evonorm/v1/candidate.js';
import { TrainingFailure, type TrainResult } from './gen/evonorm/v1/training_service.js';

/**
 * Undefined when `result` passed; else its rejection, carrying `scores`: training_failed with the
 * trainer's detail, or low_quality when the validation accuracy is below `minAccuracy`.
 */
export function qualityRejection(architecture: string, result: TrainResult, minAccuracy: number, scores: ArchitectureScore[]): Rejection | undefined {
  if (result.failure !== TrainingFailure.TRAINING_FAILURE_UNSPECIFIED) {
    return { reason: RejectionReason.REJECTION_REASON_TRAINING_FAILED, detail: `${architecture}: ${result.failureDetail}`, problems: [], scores };
  }
  const score = result.score!;
  if (score.accuracy >= minAccuracy) return undefined;
  const detail = `${architecture}: validation accuracy ${(100 * score.accuracy).toFixed(1)}% < ${(100 * minAccuracy).toFixed(0)}% after ${score.steps} steps`;
  return { reason: RejectionReason.REJECTION_REASON_LOW_QUALITY, detail, problems: [], scores };
}
