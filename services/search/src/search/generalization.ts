/**
 * Generalization across architectures, the paper's argument for searching on several proxies at
 * once: among a search's evaluated layers, how often a layer in the top quarter on one proxy is in
 * the bottom half on another. Pure functions over the history.
 */
import type { Candidate } from '@evonorm/contracts';

export interface Generalization {
  /** The two architectures compared (the first two of the search, in the order scored). */
  readonly architectures: readonly [string, string];
  /** Distinct evaluated layers scored on both at the full budget. */
  readonly layers: number;
  /** Layers in the top quarter on at least one of the two. */
  readonly topQuarter: number;
  /** Of those, the layers in the bottom half on the other. */
  readonly flips: number;
}

/**
 * Ranks are by accuracy among the layers compared; a layer's rank is the number of layers strictly
 * better, so ties share the better rank. Top quarter: rank < n/4; bottom half: rank ≥ n/2. Only
 * scores at an architecture's largest step count are used, so that a multi-fidelity search's
 * short-budget scores are not ranked against full ones. Undefined below 4 layers or with fewer
 * than two architectures.
 */
export function generalization(history: readonly Candidate[]): Generalization | undefined {
  const evaluated = history.filter((c) => c.fitness && !c.duplicateOf);
  const architectures = [...new Set(evaluated.flatMap((c) => c.fitness!.scores.map((s) => s.architecture)))];
  if (architectures.length < 2) return undefined;
  const [a, b] = architectures as [string, string];
  const fullSteps = (arch: string): number => Math.max(...evaluated.flatMap((c) => c.fitness!.scores.filter((s) => s.architecture === arch).map((s) => s.steps)));
  const stepsA = fullSteps(a);
  const stepsB = fullSteps(b);
  const pairs: Array<readonly [number, number]> = [];
  for (const c of evaluated) {
    const sa = c.fitness!.scores.find((s) => s.architecture === a && s.steps === stepsA);
    const sb = c.fitness!.scores.find((s) => s.architecture === b && s.steps === stepsB);
    if (sa && sb) pairs.push([sa.accuracy, sb.accuracy]);
  }
  const n = pairs.length;
  if (n < 4) return undefined;
  const rank = (k: 0 | 1, value: number): number => pairs.filter((p) => p[k] > value).length;
  let topQuarter = 0;
  let flips = 0;
  for (const p of pairs) {
    const [ra, rb] = [rank(0, p[0]), rank(1, p[1])];
    const topA = ra < n / 4;
    const topB = rb < n / 4;
    if (!topA && !topB) continue;
    topQuarter++;
    if ((topA && rb >= n / 2) || (topB && ra >= n / 2)) flips++;
  }
  return { architectures: [a, b], layers: n, topQuarter, flips };
}

/** Several searches' counts pooled (one arm over its seeds), or undefined when none had any. */
export function pooledGeneralization(parts: ReadonlyArray<Generalization | undefined>): Generalization | undefined {
  const known = parts.filter((g): g is Generalization => g !== undefined);
  if (known.length === 0) return undefined;
  return {
    architectures: known[0]!.architectures,
    layers: known.reduce((s, g) => s + g.layers, 0),
    topQuarter: known.reduce((s, g) => s + g.topQuarter, 0),
    flips: known.reduce((s, g) => s + g.flips, 0),
  };
}
