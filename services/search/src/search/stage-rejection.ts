/**
 * Stage 2, rejection: the expensive tests of a screened candidate, cheapest first. The micro-quality
 * rung (stage-micro-quality.ts, about 0.8 s of one core), the stability test (adversarial
 * gradient-norm ascent on the first architecture's proxy, at the size the search trains, about 3 s),
 * then the quality test (a short training per architecture, one at a time, stopping at
 * the first that falls below --min-accuracy on each of --quality-tries seeds): by default the first
 * rung of the evaluation's own trainings (stage-quality-rung.ts), else a separate training through
 * the rejection service. Records each test's seconds in the candidate's timings.
 */
import type { ArchitectureScore, Candidate, LayerGraph, TestStabilityRequest } from '@evonorm/contracts';
import type { SearchBackend } from './backend.js';
import type { SearchStats } from './events.js';
import { rejected } from './outcomes.js';
import { scaleFor, type SearchPlan } from './plan.js';
import { engineCode, trainingConfig } from './proxy-config.js';
import { qualitySeed, seedFor } from './seeds.js';
import { microQualityRung } from './stage-micro-quality.js';
import { qualityRung, type RungHeads } from './stage-quality-rung.js';

export { qualitySeed } from './seeds.js';

/**
 * The quality test's tries on one architecture: the quality seed and, while a try falls short, the
 * next quality seeds, up to --quality-tries (40 steps decide on noise near the threshold: BN-ReLU
 * once scored 19.4% against 20% on one seed). Every try's result, in order; the last one decides.
 * One definition for the search and bench-fidelity's quality line.
 */
export async function runQualityTries<T>(plan: SearchPlan, tryOn: (seed: bigint) => Promise<T>, passed: (result: T) => boolean): Promise<T[]> {
  const tries: T[] = [];
  for (let attempt = 0; attempt < plan.qualityTries; attempt++) {
    const result = await tryOn(qualitySeed(plan.seed, attempt));
    tries.push(result);
    if (passed(result)) break;
  }
  return tries;
}

/** The stability test of `graph` as the search asks it: on the first architecture's proxy at the size the search trains. */
export function stabilityRequest(plan: SearchPlan, graph: LayerGraph): TestStabilityRequest {
  const architecture = plan.architectures[0]!;
  return {
    graph,
    seed: seedFor(plan.seed, -1, 'stability'),
    architecture,
    steps: plan.stabilitySteps,
    maxGradientNorm: 0,
    batchSize: 0,
    widthMultiplier: scaleFor(plan.width, architecture),
    depthMultiplier: scaleFor(plan.depth, architecture),
  };
}

/** The rejected candidate, or a pass with seed 0's rung trainings for the evaluation to continue (none without --quality-rung). */
export type RejectionOutcome = { readonly rejected: Candidate } | { readonly rejected?: undefined; readonly heads: RungHeads; readonly rungScores: readonly ArchitectureScore[] };

const PASSED: RejectionOutcome = { heads: new Map(), rungScores: [] };

export async function rejectionStage(plan: SearchPlan, backend: SearchBackend, stats: SearchStats, base: Candidate, signal: AbortSignal): Promise<RejectionOutcome> {
  const graph = base.graph!;
  const timings = base.timings!;
  if (plan.microSteps > 0) {
    stats.stages.micro++;
    const started = performance.now();
    try {
      const micro = await microQualityRung(plan, backend, base, signal);
      timings.microQualitySeconds = (performance.now() - started) / 1000;
      timings.microQualityComputeSeconds = micro.computeSeconds;
      if (micro.rejected) return { rejected: micro.rejected };
    } finally {
      stats.stages.micro--;
    }
  }
  if (plan.stabilitySteps > 0) {
    stats.stages.stability++;
    const started = performance.now();
    try {
      const verdict = await backend.testStability(stabilityRequest(plan, graph), signal);
      timings.stabilitySeconds = (performance.now() - started) / 1000;
      timings.stabilityComputeSeconds = verdict.seconds;
      if (!verdict.accepted) return { rejected: rejected(base, verdict.rejection!) };
    } finally {
      stats.stages.stability--;
    }
  }
  if (plan.qualitySteps > 0) {
    stats.stages.quality++;
    const started = performance.now();
    try {
      if (plan.qualityRung) {
        const rung = await qualityRung(plan, backend, base, signal);
        timings.qualitySeconds = (performance.now() - started) / 1000;
        timings.qualityComputeSeconds = rung.computeSeconds;
        return rung.passed ? { heads: rung.heads, rungScores: rung.rungScores } : { rejected: rung.candidate };
      }
      // One architecture at a time (each has its own proxy size), cheapest verdict first.
      const scores = [];
      for (const architecture of plan.architectures) {
        const tries = await runQualityTries(
          plan,
          (seed) =>
            backend.testQuality(
              {
                graph,
                seed,
                architectures: [architecture],
                dataset: plan.dataset,
                steps: plan.qualitySteps,
                minAccuracy: plan.minAccuracy,
                batchSize: plan.batchSize,
                training: trainingConfig(plan, architecture),
                engine: engineCode(plan.engine),
              },
              signal,
            ),
          (verdict) => verdict.accepted,
        );
        scores.push(...tries.flatMap((verdict) => verdict.scores));
        const verdict = tries.at(-1)!;
        timings.qualityComputeSeconds = scores.reduce((s, x) => s + x.seconds, 0);
        if (!verdict.accepted) {
          timings.qualitySeconds = (performance.now() - started) / 1000;
          return { rejected: rejected(base, { ...verdict.rejection!, scores }) };
        }
      }
      timings.qualitySeconds = (performance.now() - started) / 1000;
    } finally {
      stats.stages.quality--;
    }
  }
  return PASSED;
}
