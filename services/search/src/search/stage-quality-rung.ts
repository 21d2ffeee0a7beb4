/**
 * The quality test as the first rung of the evaluation (--quality-rung true, the default). On each
 * architecture in turn, evaluation seed 0's training runs its first --quality-steps steps (under the
 * evaluation's learning-rate schedule), is scored there, and stops with its checkpoint. A layer
 * below --min-accuracy gets the next tries (--quality-tries) on the retry seeds, each stopped at
 * the same step; a layer that passes continues seed 0's training from its checkpoint in the
 * evaluation (trainSeeds' `heads`), so nothing that passes is trained from scratch twice. A
 * training that failed on seed 0 is not continued: its seed-0 evaluation starts afresh.
 */
import { TrainRequest, TrainingFailure, qualityRejection, type ArchitectureScore, type Candidate, type LayerGraph, type TrainResult } from '@evonorm/contracts';
import type { SearchBackend } from './backend.js';
import { rejected } from './outcomes.js';
import type { SearchPlan } from './plan.js';
import { engineCode, trainingConfig } from './proxy-config.js';
import { evaluationSeed, qualitySeed } from './seeds.js';

/** Seed 0's training on each architecture as far as the quality rung took it (a checkpoint, or the finished training). */
export type RungHeads = ReadonlyMap<string, TrainResult>;

/** The rung's step: the quality steps, or the whole evaluation when that is shorter. */
export function rungStep(plan: SearchPlan): number {
  return Math.min(plan.qualitySteps, plan.evaluationSteps);
}

/** Whether the rung stops before the end of the evaluation (else it is the whole training and its score the final one). */
export function rungStopsEarly(plan: SearchPlan): boolean {
  return rungStep(plan) < plan.evaluationSteps;
}

/** Evaluation seed `seed`'s training of `graph` on `architecture`, stopped at the rung (unless the rung is the end). */
export function rungRequest(plan: SearchPlan, graph: LayerGraph, architecture: string, seed: bigint): TrainRequest {
  const early = rungStopsEarly(plan);
  return TrainRequest.fromPartial({
    graph,
    seed,
    engine: engineCode(plan.engine),
    progressEvery: 1_000_000,
    config: trainingConfig(plan, architecture, plan.evaluationSteps),
    stopAfterStep: early ? rungStep(plan) : 0,
    // A rung that is the end of the evaluation is its final score, always in inference form.
    scoreWithBatchStatistics: plan.rungStatistics === 'batch' && early,
  });
}

/** The verdict, with the seconds every try's training reported; a pass keeps seed 0's heads and each architecture's passing score. */
export type RungOutcome = { readonly computeSeconds: number } & (
  { readonly passed: false; readonly candidate: Candidate } | { readonly passed: true; readonly heads: RungHeads; readonly rungScores: readonly ArchitectureScore[] }
);

/** Runs the rung on every architecture in order, stopping at the first the layer fails on every try. */
export async function qualityRung(plan: SearchPlan, backend: SearchBackend, base: Candidate, signal: AbortSignal): Promise<RungOutcome> {
  const graph = base.graph!;
  const heads = new Map<string, TrainResult>();
  const scores: ArchitectureScore[] = [];
  const rungScores: ArchitectureScore[] = [];
  let computeSeconds = 0;
  for (const architecture of plan.architectures) {
    const fallsShort = (result: TrainResult): boolean => qualityRejection(architecture, result, plan.minAccuracy, []) !== undefined;
    const head = await backend.train(rungRequest(plan, graph, architecture, evaluationSeed(plan.seed, 0)), signal);
    const tries = [head];
    for (let attempt = 1; attempt < plan.qualityTries && fallsShort(tries.at(-1)!); attempt++) {
      tries.push(await backend.train(rungRequest(plan, graph, architecture, qualitySeed(plan.seed, attempt)), signal));
    }
    scores.push(...tries.map((t) => t.score!));
    computeSeconds += tries.reduce((s, t) => s + t.seconds, 0);
    const last = tries.at(-1)!;
    const rejection = qualityRejection(architecture, last, plan.minAccuracy, scores);
    if (rejection) return { passed: false, candidate: rejected(base, rejection), computeSeconds };
    if (head.failure === TrainingFailure.TRAINING_FAILURE_UNSPECIFIED) heads.set(architecture, head);
    rungScores.push(last.score!);
  }
  return { passed: true, heads, rungScores, computeSeconds };
}
