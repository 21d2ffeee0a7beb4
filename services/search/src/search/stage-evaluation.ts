/**
 * Stage 3, evaluation: a candidate that passed rejection is trained on every architecture of the
 * plan with --evaluation-seeds training seeds each, all at once (the training pool spreads them over
 * the replicas). Each architecture's score is the mean over its seeds and keeps every seed's
 * accuracy and seed; the fitness is the mean over architectures. A training that fails rejects the
 * candidate (training_failed).
 *
 * Seeds: seed j of every candidate is the same (common random numbers), forked from the search seed
 * by seed index (seedFor(seed, -1 - j, 'training'); j = 0 is the seed single-seed searches always
 * used, so their results and resumes are unchanged). Candidates trained on the same seeds differ
 * by their layers alone, so their per-seed scores can be compared seed by seed.
 */
import { RejectionReason, TrainRequest, type ArchitectureScore, type Candidate, type Fitness, type LayerGraph, type TrainResult } from '@evonorm/contracts';
import type { SearchBackend } from './backend.js';
import type { SearchStats } from './events.js';
import { rejected } from './outcomes.js';
import type { SearchPlan } from './plan.js';
import { engineCode, trainingConfig } from './proxy-config.js';
import { evaluationSeed } from './seeds.js';
import type { RungHeads } from './stage-quality-rung.js';
import { mean } from './statistics.js';

export { evaluationSeed } from './seeds.js';

/** One architecture's score over seeds `seeds` from their results (in seed order). */
function combine(architecture: string, seeds: readonly bigint[], results: readonly TrainResult[]): ArchitectureScore {
  const scores = results.map((r) => r.score!);
  return {
    architecture,
    accuracy: mean(scores.map((s) => s.accuracy)),
    loss: mean(scores.map((s) => s.loss)),
    steps: scores[0]?.steps ?? 0,
    seconds: scores.reduce((s, x) => s + x.seconds, 0),
    seedAccuracies: scores.map((s) => s.accuracy),
    seeds: [...seeds],
  };
}

/** The trainings' scores, and the seconds they reported (a continued rung's own steps not counted again). */
export type SeedTrainingOutcome = { readonly computeSeconds: number; readonly scores: ArchitectureScore[] } & ({ readonly ok: true } | { readonly ok: false; readonly detail: string });

/**
 * Seed 0's training on `architecture`: the quality rung's head continued from its checkpoint (its
 * seconds added, so the score counts the whole training), the head itself when the rung was the
 * whole training, or a fresh training.
 */
async function trainSeed(
  plan: SearchPlan,
  backend: SearchBackend,
  graph: LayerGraph,
  architecture: string,
  seed: bigint,
  head: TrainResult | undefined,
  signal: AbortSignal,
): Promise<{ result: TrainResult; computeSeconds: number }> {
  const request = TrainRequest.fromPartial({ graph, seed, engine: engineCode(plan.engine), progressEvery: 1_000_000, config: trainingConfig(plan, architecture, plan.evaluationSteps) });
  if (!head) {
    const result = await backend.train(request, signal);
    return { result, computeSeconds: result.seconds };
  }
  if (!head.checkpoint) return { result: head, computeSeconds: 0 };
  const rest = await backend.train({ ...request, resumeFrom: head.checkpoint }, signal);
  return { result: { ...rest, seconds: head.seconds + rest.seconds, score: rest.score && { ...rest.score, seconds: head.score!.seconds + rest.score.seconds } }, computeSeconds: rest.seconds };
}

/**
 * Trains `graph` on every architecture with the training seeds numbered `seedIndices`, all in
 * parallel; seed 0 continues the quality rung's `heads` where there are any.
 */
export async function trainSeeds(
  plan: SearchPlan,
  backend: SearchBackend,
  graph: LayerGraph,
  seedIndices: readonly number[],
  signal: AbortSignal,
  heads: RungHeads = new Map(),
): Promise<SeedTrainingOutcome> {
  const seeds = seedIndices.map((j) => evaluationSeed(plan.seed, j));
  const trained = await Promise.all(
    plan.architectures.map((architecture) =>
      Promise.all(seeds.map((seed, k) => trainSeed(plan, backend, graph, architecture, seed, seedIndices[k] === 0 ? heads.get(architecture) : undefined, signal))),
    ),
  );
  const results = trained.map((perSeed) => perSeed.map((t) => t.result));
  const computeSeconds = trained.flat().reduce((s, t) => s + t.computeSeconds, 0);
  const scores = plan.architectures.map((architecture, a) => combine(architecture, seeds, results[a]!));
  const failed = results.flat().find((r) => r.failure !== 0);
  return failed ? { ok: false, detail: `${failed.score?.architecture}: ${failed.failureDetail}`, scores, computeSeconds } : { ok: true, scores, computeSeconds };
}

/** A fitness from per-architecture scores: the mean of their means. */
export function fitnessOf(scores: ArchitectureScore[]): Fitness {
  return { scores, meanAccuracy: mean(scores.map((s) => s.accuracy)) };
}

/** `fitness` with more seeds' scores appended, every mean recomputed. */
export function withMoreSeeds(fitness: Fitness, more: readonly ArchitectureScore[]): Fitness {
  return fitnessOf(
    fitness.scores.map((s) => {
      const extra = more.find((m) => m.architecture === s.architecture)!;
      const seedAccuracies = [...s.seedAccuracies, ...extra.seedAccuracies];
      const k = s.seedAccuracies.length;
      return {
        ...s,
        accuracy: mean(seedAccuracies),
        loss: (s.loss * k + extra.loss * extra.seedAccuracies.length) / seedAccuracies.length,
        seconds: s.seconds + extra.seconds,
        seedAccuracies,
        seeds: [...s.seeds, ...extra.seeds],
      };
    }),
  );
}

export async function evaluationStage(plan: SearchPlan, backend: SearchBackend, stats: SearchStats, base: Candidate, signal: AbortSignal, heads: RungHeads = new Map()): Promise<Candidate> {
  stats.stages.evaluation++;
  const started = performance.now();
  try {
    const outcome = await trainSeeds(
      plan,
      backend,
      base.graph!,
      Array.from({ length: plan.evaluationSeeds }, (_, j) => j),
      signal,
      heads,
    );
    base.timings!.evaluationSeconds = (performance.now() - started) / 1000;
    base.timings!.evaluationComputeSeconds = outcome.computeSeconds;
    if (!outcome.ok) return rejected(base, { reason: RejectionReason.REJECTION_REASON_TRAINING_FAILED, detail: outcome.detail, problems: [], scores: outcome.scores });
    return { ...base, fitness: fitnessOf(outcome.scores) };
  } finally {
    stats.stages.evaluation--;
  }
}
