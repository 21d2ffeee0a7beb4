/**
 * Multi-fidelity evaluation (--promotion-fraction F < 1): successive halving with one low rung,
 * the quality rung. A layer that passes it continues to the full budget only when its rung score
 * (the mean over architectures of the passing tries' accuracies) is at least the worst of the best
 * ⌈F·n⌉ rung scores of the n earlier candidates that passed the rung (ASHA's promotion rule, η =
 * 1/F). The others stop there and are reported not_promoted: they cost the rung alone.
 *
 * Determinism: candidate i is compared with candidates 0 .. i − concurrency only, which were all
 * reported before candidate i was proposed (loop.ts), so the decision depends on the seed alone,
 * not on which trainings finished first, and a resumed search decides the same. Until the earlier
 * candidates number a population, every layer is promoted (nothing to compare with yet).
 */
import { RejectionReason, type ArchitectureScore, type Candidate } from '@evonorm/contracts';
import { rejected } from './outcomes.js';
import type { SearchPlan } from './plan.js';
import { mean } from './statistics.js';

export interface PromotionDecision {
  readonly promoted: boolean;
  readonly rungMean: number;
  /** The score it had to reach; null when nothing was compared (promotion off, or too few earlier scores). */
  readonly threshold: number | null;
  /** Earlier rung scores it was compared with. */
  readonly compared: number;
}

export function rungMean(scores: readonly ArchitectureScore[]): number {
  return mean(scores.map((s) => s.accuracy));
}

/** Whether a layer with rung score `score` (rungMean) continues, against the `earlier` rung scores. */
export function promotionDecision(plan: SearchPlan, score: number, earlier: readonly number[]): PromotionDecision {
  if (plan.promotionFraction >= 1 || earlier.length < plan.population) return { promoted: true, rungMean: score, threshold: null, compared: earlier.length };
  const best = [...earlier].sort((a, b) => b - a);
  const threshold = best[Math.ceil(plan.promotionFraction * best.length) - 1]!;
  return { promoted: score >= threshold, rungMean: score, threshold, compared: best.length };
}

/** The candidate (with its rung scores) reported when it stops at the rung. */
export function notPromoted(plan: SearchPlan, base: Candidate, decision: PromotionDecision): Candidate {
  const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;
  const detail = `rung score ${pct(decision.rungMean)} after ${plan.qualitySteps} steps is below ${pct(decision.threshold ?? 0)}, the worst of the best ${(100 * plan.promotionFraction).toFixed(0)}% of ${decision.compared} earlier rung scores`;
  return rejected(base, { reason: RejectionReason.REJECTION_REASON_NOT_PROMOTED, detail, problems: [], scores: [...base.rungScores] });
}

/**
 * The rung scores a search has seen, by candidate index: originals that passed the rung (duplicates
 * reuse an original's outcome and are not counted twice).
 */
export class RungScores {
  private readonly byIndex = new Map<number, number>();

  record(index: number, candidate: Candidate): void {
    if (!candidate.duplicateOf && candidate.rungScores.length > 0) this.byIndex.set(index, rungMean(candidate.rungScores));
  }

  /** Those of candidates 0 .. last. */
  upTo(last: number): number[] {
    return [...this.byIndex].filter(([index]) => index <= last).map(([, score]) => score);
  }
}
