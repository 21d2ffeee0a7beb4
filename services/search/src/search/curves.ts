/**
 * What a finished search shows in a comparison (evonorm compare): its best-so-far mean accuracy
 * after each candidate and against the training seconds spent so far, and its rejections by reason.
 * Training seconds are what the replicas report for each training (evaluation, every seed, and the
 * quality test with its retries); duplicates reuse an outcome and cost none. Pure functions over the history.
 */
import type { Candidate } from '@evonorm/contracts';
import { meanAccuracy, reasonName } from './outcomes.js';
import { confidenceInterval, type Interval } from './statistics.js';

export interface SearchCurve {
  /** Best mean accuracy after candidates 1..n (null before the first evaluated one). */
  readonly byCandidates: ReadonlyArray<number | null>;
  /** After each candidate: cumulative training seconds and the best so far. */
  readonly bySeconds: ReadonlyArray<{ readonly seconds: number; readonly best: number | null }>;
  readonly rejections: Readonly<Record<string, number>>;
  readonly duplicates: number;
  readonly evaluated: number;
  readonly trainingSeconds: number;
  readonly best: { readonly id: string; readonly meanAccuracy: number; readonly formula: string } | null;
}

/**
 * Replica-reported training seconds of a candidate's own trainings: its micro-quality rung, quality
 * tests (every try) and evaluation as recorded in its timings, or, in runs from before those were recorded, the
 * seconds of the scores it kept.
 */
export function trainingSeconds(c: Candidate): number {
  if (c.duplicateOf) return 0;
  const t = c.timings;
  const recorded = (t?.microQualityComputeSeconds ?? 0) + (t?.qualityComputeSeconds ?? 0) + (t?.evaluationComputeSeconds ?? 0);
  if (recorded > 0) return recorded;
  const scores = c.fitness?.scores ?? c.rejection?.scores ?? [];
  return scores.reduce((s, x) => s + x.seconds, 0);
}

export function searchCurve(history: readonly Candidate[]): SearchCurve {
  let best: Candidate | undefined;
  let seconds = 0;
  const byCandidates: Array<number | null> = [];
  const bySeconds: Array<{ seconds: number; best: number | null }> = [];
  const rejections: Record<string, number> = {};
  let duplicates = 0;
  let evaluated = 0;
  for (const c of history) {
    seconds += trainingSeconds(c);
    if (c.duplicateOf) duplicates++;
    if (c.fitness) {
      evaluated++;
      if (!best || meanAccuracy(c) > meanAccuracy(best)) best = c;
    } else if (c.rejection && !c.duplicateOf) {
      const reason = reasonName(c.rejection.reason);
      rejections[reason] = (rejections[reason] ?? 0) + 1;
    }
    const value = best ? meanAccuracy(best) : null;
    byCandidates.push(value);
    bySeconds.push({ seconds, best: value });
  }
  return {
    byCandidates,
    bySeconds,
    rejections,
    duplicates,
    evaluated,
    trainingSeconds: seconds,
    best: best ? { id: best.id, meanAccuracy: meanAccuracy(best), formula: best.formula?.text ?? '' } : null,
  };
}

/** The mean best-so-far of several searches (one per seed) after each candidate count, with its 95% interval over seeds. */
export function meanCurve(curves: ReadonlyArray<ReadonlyArray<number | null>>): Array<Interval & { readonly candidates: number }> {
  const length = Math.min(...curves.map((c) => c.length));
  if (curves.length === 0 || !Number.isFinite(length)) return [];
  const out: Array<Interval & { candidates: number }> = [];
  for (let i = 0; i < length; i++) {
    const values = curves.map((c) => c[i]);
    if (values.some((v) => v === null || v === undefined)) continue;
    out.push({ candidates: i + 1, ...confidenceInterval(values as number[]) });
  }
  return out;
}

/** Points of meanCurveBySeconds: the budget split in this many equal steps. */
export const SECONDS_GRID = 20;

/**
 * The mean best-so-far of several searches at equal training seconds, with its 95% interval over
 * seeds: at `upTo` × k / SECONDS_GRID for k = 1..SECONDS_GRID, each search's best among the
 * candidates it had finished within that many seconds. A point where some search had no evaluated
 * layer yet is left out, as in meanCurve. `upTo` should be at most the least any search spent:
 * beyond a search's own total it would not show the same compute.
 */
export function meanCurveBySeconds(curves: ReadonlyArray<ReadonlyArray<{ readonly seconds: number; readonly best: number | null }>>, upTo: number): Array<Interval & { readonly seconds: number }> {
  if (curves.length === 0 || !(upTo > 0) || !Number.isFinite(upTo)) return [];
  const out: Array<Interval & { seconds: number }> = [];
  for (let k = 1; k <= SECONDS_GRID; k++) {
    const seconds = (upTo * k) / SECONDS_GRID;
    const values = curves.map((curve) => {
      let best: number | null = null;
      // Seconds only grow along a curve; a tiny tolerance keeps the last grid point on a total that rounding moved.
      for (const p of curve) {
        if (p.seconds > seconds * (1 + 1e-12)) break;
        best = p.best;
      }
      return best;
    });
    if (values.some((v) => v === null)) continue;
    out.push({ seconds, ...confidenceInterval(values as number[]) });
  }
  return out;
}
