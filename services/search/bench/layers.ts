/**
 * Layers the benchmarks measure besides the zoo: probe-valid random graphs, and mutants of zoo
 * layers (one to three of the paper's mutations in a row), each passing the static checks and the
 * functional probe and each a function no earlier layer computes. Seeded: the same seed, the same layers.
 */
import { FunctionalProbe, Rng, canonicalize, mutate, parseLayerGraph, randomGraph, zooLayer, type LayerGraph, type ZooName } from '@evonorm/graph';

export interface NamedLayer {
  readonly name: string;
  readonly graph: LayerGraph;
}

/** Keeps graphs that pass the screen (static checks, probe) and compute a function not seen before. */
export class ScreenedSet {
  private readonly probe = new FunctionalProbe();
  private readonly seen = new Set<string>();

  constructor(private readonly batchIndependent: boolean) {}

  /** True (and remembered) when `graph` passes and is new. */
  admit(graph: LayerGraph): boolean {
    if (!parseLayerGraph(graph, { batchIndependent: this.batchIndependent }).ok) return false;
    const result = this.probe.probe(canonicalize(graph).graph);
    if (!result.ok || this.seen.has(result.hash)) return false;
    this.seen.add(result.hash);
    return true;
  }
}

function draw(n: number, prefix: string, next: () => LayerGraph | undefined, set: ScreenedSet, fail: (message: string) => never): NamedLayer[] {
  const out: NamedLayer[] = [];
  for (let draws = 0; out.length < n; draws++) {
    if (draws > 100_000) fail(`found only ${out.length} ${prefix} layers that pass the screen in 100000 draws`);
    const graph = next();
    if (graph && set.admit(graph)) out.push({ name: `${prefix}-${out.length + 1}`, graph });
  }
  return out;
}

/** `n` distinct probe-valid random layers. */
export function randomLayers(n: number, seed: number, set: ScreenedSet, batchIndependent: boolean, fail: (message: string) => never): NamedLayer[] {
  const rng = Rng.fromSeed(seed);
  return draw(n, 'random', () => randomGraph(rng, { batchIndependent }), set, fail);
}

/** `n` distinct probe-valid mutants of the `parents` zoo layers, 1-3 mutations deep. */
export function mutantLayers(n: number, seed: number, parents: readonly ZooName[], set: ScreenedSet, batchIndependent: boolean, fail: (message: string) => never): NamedLayer[] {
  const rng = Rng.fromSeed(seed);
  return draw(
    n,
    'mutant',
    () => {
      let graph = zooLayer(parents[rng.int(parents.length)]!).graph;
      const depth = 1 + rng.int(3);
      for (let k = 0; k < depth; k++) {
        try {
          graph = mutate(graph, rng, { batchIndependent }).child;
        } catch {
          return undefined; // no valid mutation of this one: draw again
        }
      }
      return graph;
    },
    set,
    fail,
  );
}
