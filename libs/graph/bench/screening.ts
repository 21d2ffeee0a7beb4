/**
 * Screening throughput on one core, one JSON line per figure:
 *   node libs/graph/dist/bench/screening.js [--seconds 3] [--seed 1]
 * `screening` is the whole cheap path a candidate takes: random parent, mutation, validation,
 * canonical hash and the functional probe.
 */
import { parseArgs } from 'node:util';
import { FunctionalProbe, Rng, canonicalize, mutate, randomGraph, validateGraph, type LayerGraph } from '../src/index.js';

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '3' }, seed: { type: 'string', default: '1' } },
});
const seconds = Number(values.seconds);
const rng = Rng.fromSeed(Number(values.seed));
const probe = new FunctionalProbe();

function measure(run: (i: number) => void): { perSecond: number; count: number } {
  for (let i = 0; i < 2000; i++) run(i); // warm-up
  const start = performance.now();
  let count = 0;
  while (performance.now() - start < seconds * 1000) {
    for (let k = 0; k < 100; k++) run(count++);
  }
  return { perSecond: count / ((performance.now() - start) / 1000), count };
}

function emit(metric: string, value: number, extra: Record<string, unknown> = {}): void {
  console.log(JSON.stringify({ bench: 'screening', metric, value: Math.round(value), unit: 'per_s', cores: 1, ...extra }));
}

let accepted = 0;
let nonFinite = 0;
let constant = 0;
const pipeline = measure(() => {
  const parent = randomGraph(rng);
  const child = mutate(parent, rng).child;
  if (validateGraph(child).length > 0) throw new Error('mutation produced an invalid graph');
  const canonical = canonicalize(child);
  const result = probe.probe(canonical.graph);
  if (result.ok) accepted++;
  else if (result.reason === 'non_finite') nonFinite++;
  else constant++;
});
emit('candidates_per_s', pipeline.perSecond, {
  stages: 'random+mutate+validate+canonical_hash+probe',
  candidates: pipeline.count,
  probe_accepted: accepted / pipeline.count,
  probe_non_finite: nonFinite / pipeline.count,
  probe_constant: constant / pipeline.count,
});

const pool: LayerGraph[] = Array.from({ length: 4096 }, () => mutate(randomGraph(rng), rng).child);
const canonicalPool = pool.map((g) => canonicalize(g).graph);
const at = <T>(items: readonly T[], i: number): T => items[i % items.length]!;
emit('random_graphs_per_s', measure(() => randomGraph(rng)).perSecond);
emit('mutations_per_s', measure((i) => mutate(at(pool, i), rng)).perSecond);
emit('validations_per_s', measure((i) => validateGraph(at(pool, i))).perSecond);
emit('canonical_hashes_per_s', measure((i) => canonicalize(at(pool, i))).perSecond);
emit('probes_per_s', measure((i) => probe.probe(at(canonicalPool, i))).perSecond, {
  probe_shape: [2, 64, 2, 2],
  mean_live_nodes: canonicalPool.reduce((s, g) => s + g.nodes.length, 0) / canonicalPool.length,
});
