/**
 * Evaluation where decisions are made (--adaptive-seeds MAX): a candidate that might lead the
 * search (the upper end of its mean's 95% interval, or its mean with one seed, reaches the best mean
 * reported so far) is trained on one more seed at a time, on every architecture, until its interval's
 * half-width is at most --adaptive-half-width (judged from MIN_SEEDS_TO_STOP seeds on), it drops out
 * of contention, or it has MAX seeds.
 * Candidates that cannot lead keep their --evaluation-seeds. Runs when the candidate reaches the head
 * of the report order, against the best so far at that point, so the extra seeds depend only on the
 * search seed. The extra seeds continue the candidate's seed numbering (evaluationSeed(seed, j)).
 */
import type { Candidate } from '@evonorm/contracts';
import type { SearchBackend } from './backend.js';
import type { SearchStats } from './events.js';
import { meanInterval } from './outcomes.js';
import type { SearchPlan } from './plan.js';
import { trainSeeds, withMoreSeeds } from './stage-evaluation.js';

/**
 * Fewest seeds whose interval may end the extra seeds. Two or three seeds' sd is too unreliable to stop
 * on: the main job's first run stopped its incumbent at 2 seeds whose means agreed to 0.05 points
 * (half-width 0), while the same kind of layer's 10 seeds had an sd of 2.8 points.
 */
export const MIN_SEEDS_TO_STOP = 5;

/** Whether `c` should get another seed before it is reported. */
export function wantsMoreSeeds(plan: SearchPlan, c: Candidate, bestSoFar: number | undefined): boolean {
  if (plan.adaptiveSeeds === 0 || !c.fitness || c.duplicateOf) return false;
  const seeds = Math.min(...c.fitness.scores.map((s) => s.seedAccuracies.length));
  if (!(seeds < plan.adaptiveSeeds)) return false;
  const interval = meanInterval(c);
  if (seeds >= MIN_SEEDS_TO_STOP && interval.halfWidth !== null && interval.halfWidth <= plan.adaptiveHalfWidth) return false;
  return bestSoFar === undefined || (interval.high ?? interval.mean) >= bestSoFar;
}

export async function adaptiveSeedsStage(plan: SearchPlan, backend: SearchBackend, stats: SearchStats, candidate: Candidate, signal: AbortSignal): Promise<Candidate> {
  let c = candidate;
  while (wantsMoreSeeds(plan, c, stats.best?.meanAccuracy)) {
    const next = Math.min(...c.fitness!.scores.map((s) => s.seedAccuracies.length));
    stats.stages.evaluation++;
    const started = performance.now();
    try {
      const more = await trainSeeds(plan, backend, c.graph!, [next], signal);
      // A failed extra seed leaves the candidate with the seeds it has.
      if (!more.ok) break;
      const timings = {
        ...c.timings!,
        evaluationSeconds: c.timings!.evaluationSeconds + (performance.now() - started) / 1000,
        evaluationComputeSeconds: c.timings!.evaluationComputeSeconds + more.computeSeconds,
      };
      c = { ...c, fitness: withMoreSeeds(c.fitness!, more.scores), timings };
    } finally {
      stats.stages.evaluation--;
    }
  }
  return c;
}
