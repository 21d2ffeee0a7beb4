/**
 * Re-ranking (the paper's last step, and its test of generalization): layers — a search's best
 * and known baselines — trained longer on several seeds and architectures and scored on the test
 * split, each training a call on the training replicas, all in flight at once. Every layer is
 * trained on the same seeds, so its difference to the reference layer (BN-ReLU) is paired by seed.
 * Architectures the search did not train on are marked held out. The result is rerank.json's
 * content (schema in the README).
 */
import { TrainRequest, graphToProto, type LayerGraph, type TrainResult } from '@evonorm/contracts';
import type { LayerGraph as Graph } from '@evonorm/graph';
import { scaleFor, type SearchPlan } from './plan.js';
import { engineCode, trainingConfig } from './proxy-config.js';
import { seedFor } from './seeds.js';
import { confidenceInterval, mean, pairedDifference, type Interval } from './statistics.js';

export interface RerankLayer {
  /** e.g. "c000123" for a candidate, "bn-relu" for a baseline. */
  readonly name: string;
  readonly kind: 'candidate' | 'baseline';
  readonly graph: Graph;
  readonly formula: string;
  /** The search's score of a candidate (mean validation accuracy). */
  readonly searchMeanAccuracy?: number;
}

export interface RerankOptions {
  readonly plan: SearchPlan;
  readonly layers: readonly RerankLayer[];
  /** Architectures to train on; those outside plan.architectures are held out. */
  readonly architectures: readonly string[];
  readonly seeds: number;
  readonly steps: number;
  /** The layer every other is compared with, seed by seed (default bn-relu when present). */
  readonly reference?: string;
  readonly train: (request: TrainRequest, signal: AbortSignal) => Promise<TrainResult>;
  readonly signal: AbortSignal;
  /** Told after each training. */
  readonly onTrained?: (done: number, total: number) => void;
}

/** Test accuracies of one layer on one architecture, one per seed (0 for a failed training). */
export interface ArchitectureResult extends Interval {
  readonly accuracies: readonly number[];
  readonly failures: number;
  /** This layer minus the reference on the same seeds; null for the reference itself or without one. */
  readonly vsReference: Interval | null;
}

export interface LayerResult {
  readonly name: string;
  readonly kind: 'candidate' | 'baseline';
  readonly formula: string;
  readonly searchMeanAccuracy: number | null;
  readonly architectures: Readonly<Record<string, ArchitectureResult>>;
  /** Over the architectures: seed j's value is the mean of seed j's accuracies. */
  readonly mean: Interval & { readonly accuracies: readonly number[]; readonly vsReference: Interval | null };
  /** Every architecture's paired difference to the reference has its 95% interval above zero. */
  readonly beatsReferenceEverywhere: boolean;
}

export interface RerankResult {
  readonly version: 1;
  readonly split: 'test';
  readonly steps: number;
  readonly seeds: readonly string[];
  readonly dataset: string;
  readonly reference: string | null;
  readonly architectures: ReadonlyArray<{ readonly name: string; readonly heldOut: boolean; readonly width: number; readonly depth: number }>;
  /** Best mean test accuracy first. */
  readonly layers: readonly LayerResult[];
}

/** Re-ranking seed j of a search: its own stream, apart from the search's evaluation seeds, shared by every layer. */
export function rerankSeed(searchSeed: bigint, j: number): bigint {
  return seedFor(searchSeed, -1_000_000 - j, 'training');
}

function withDifference(xs: readonly number[], reference: readonly number[] | undefined, isReference: boolean): Interval & { accuracies: readonly number[]; vsReference: Interval | null } {
  return { ...confidenceInterval(xs), accuracies: xs, vsReference: reference && !isReference ? pairedDifference(xs, reference) : null };
}

export async function rerank(options: RerankOptions): Promise<RerankResult> {
  const { plan, layers, architectures, seeds: k, steps } = options;
  const seeds = Array.from({ length: k }, (_, j) => rerankSeed(plan.seed, j));
  const reference = options.reference ?? (layers.some((l) => l.name === 'bn-relu') ? 'bn-relu' : undefined);
  const total = layers.length * architectures.length * k;
  let done = 0;
  const graphs: LayerGraph[] = layers.map((l) => graphToProto(l.graph));
  const accuracy = await Promise.all(
    layers.map((_, l) =>
      Promise.all(
        architectures.map((architecture) =>
          Promise.all(
            seeds.map(async (seed) => {
              const result = await options.train(
                TrainRequest.fromPartial({ graph: graphs[l]!, seed, engine: engineCode(plan.engine), progressEvery: 1_000_000, config: trainingConfig(plan, architecture, steps, true) }),
                options.signal,
              );
              options.onTrained?.(++done, total);
              return result.failure !== 0 ? { accuracy: 0, failed: true } : { accuracy: result.score!.accuracy, failed: false };
            }),
          ),
        ),
      ),
    ),
  );
  const refIndex = layers.findIndex((l) => l.name === reference);
  const perArch = (l: number, a: number): number[] => accuracy[l]![a]!.map((r) => r.accuracy);
  const seedMeans = (l: number): number[] => seeds.map((_, j) => mean(architectures.map((_, a) => accuracy[l]![a]![j]!.accuracy)));
  const results: LayerResult[] = layers.map((layer, l) => {
    const isReference = l === refIndex;
    const archResults = Object.fromEntries(
      architectures.map((name, a) => [
        name,
        { ...withDifference(perArch(l, a), refIndex >= 0 ? perArch(refIndex, a) : undefined, isReference), failures: accuracy[l]![a]!.filter((r) => r.failed).length },
      ]),
    );
    const differences = Object.values(archResults).map((r) => r.vsReference);
    return {
      name: layer.name,
      kind: layer.kind,
      formula: layer.formula,
      searchMeanAccuracy: layer.searchMeanAccuracy ?? null,
      architectures: archResults,
      mean: withDifference(seedMeans(l), refIndex >= 0 ? seedMeans(refIndex) : undefined, isReference),
      beatsReferenceEverywhere: differences.length > 0 && differences.every((d) => d !== null && d.low !== null && d.low > 0),
    };
  });
  results.sort((a, b) => b.mean.mean - a.mean.mean);
  return {
    version: 1,
    split: 'test',
    steps,
    seeds: seeds.map(String),
    dataset: plan.dataset,
    reference: reference ?? null,
    architectures: architectures.map((name) => ({ name, heldOut: !plan.architectures.includes(name), width: scaleFor(plan.width, name), depth: scaleFor(plan.depth, name) })),
    layers: results,
  };
}
