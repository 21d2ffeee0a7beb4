/**
 * What a candidate's outcome says, read the same way everywhere (loop, top, report, rerank): the
 * rejection reason's short name, the mean accuracy over architectures, per-architecture scores,
 * and, with several training seeds, the 95% confidence intervals of those means.
 */
import { RejectionReason, type Candidate, type Rejection } from '@evonorm/contracts';
import { confidenceInterval, type Interval } from './statistics.js';

const REASON_PREFIX = 'REJECTION_REASON_';

export function reasonName(reason: RejectionReason): string {
  return (RejectionReason[reason] ?? String(reason)).replace(REASON_PREFIX, '').toLowerCase();
}

export function meanAccuracy(c: Candidate): number {
  const scores = c.fitness?.scores ?? [];
  return scores.length === 0 ? 0 : scores.reduce((s, x) => s + x.accuracy, 0) / scores.length;
}

export function scoreMap(c: Candidate): Record<string, number> {
  return Object.fromEntries((c.fitness?.scores ?? c.rejection?.scores ?? []).map((s) => [s.architecture, s.accuracy]));
}

/**
 * The mean over architectures of each training seed (seed j was trained on every architecture),
 * or [] when the evaluation kept no per-seed scores.
 */
export function seedMeans(c: Candidate): number[] {
  const scores = c.fitness?.scores ?? [];
  const k = Math.min(...scores.map((s) => s.seedAccuracies.length));
  if (scores.length === 0 || !(k > 0)) return [];
  return Array.from({ length: k }, (_, j) => scores.reduce((s, x) => s + x.seedAccuracies[j]!, 0) / scores.length);
}

/** The mean accuracy's 95% interval over training seeds (half-width null with one seed). */
export function meanInterval(c: Candidate): Interval {
  const seeds = seedMeans(c);
  return seeds.length > 0 ? { ...confidenceInterval(seeds), mean: meanAccuracy(c) } : confidenceInterval([meanAccuracy(c)]);
}

/** Each architecture's 95% interval over training seeds. */
export function architectureIntervals(c: Candidate): Record<string, Interval> {
  return Object.fromEntries(
    (c.fitness?.scores ?? []).map((s) => [s.architecture, s.seedAccuracies.length > 0 ? { ...confidenceInterval(s.seedAccuracies), mean: s.accuracy } : confidenceInterval([s.accuracy])]),
  );
}

/**
 * The outcome of `original` for its functional duplicate `candidate`: its scores, or its rejection,
 * and its inference cost. The duplicate computes the same function, and under `--objectives
 * accuracy,cost` a member without a cost would count as the slowest layer in every tournament.
 */
export function reuse(candidate: Candidate, original: Candidate): Candidate {
  const source = original.duplicateOf || original.id;
  const outcome = original.fitness ? { fitness: original.fitness } : { rejection: original.rejection };
  return { ...candidate, ...outcome, ...(original.cost ? { cost: original.cost } : {}), duplicateOf: source };
}

export function rejected(candidate: Candidate, rejection: Rejection): Candidate {
  return { ...candidate, rejection };
}
