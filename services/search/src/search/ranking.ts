/** The best layers of a search: by mean accuracy over the architectures, or the Pareto front. */
import type { Candidate } from '@evonorm/contracts';
import { meanAccuracy } from './loop.js';
import { architectureIntervals, meanInterval } from './outcomes.js';
import { intervalText } from './statistics.js';

/** Evaluated candidates, best mean accuracy first (earliest first on ties); duplicates collapse onto their original. */
export function topCandidates(history: readonly Candidate[], n: number): Candidate[] {
  return history
    .filter((c) => c.fitness && !c.duplicateOf)
    .map((c, order) => ({ c, order, mean: meanAccuracy(c) }))
    .sort((a, b) => b.mean - a.mean || a.order - b.order)
    .slice(0, n)
    .map((x) => x.c);
}

const dominates = (a: readonly number[], b: readonly number[]): boolean => a.every((x, i) => x >= b[i]!) && a.some((x, i) => x > b[i]!);

/** Evaluated candidates no other evaluated candidate beats on every architecture. */
export function paretoFront(history: readonly Candidate[]): Candidate[] {
  const evaluated = history.filter((c) => c.fitness && !c.duplicateOf);
  const archs = [...new Set(evaluated.flatMap((c) => c.fitness!.scores.map((s) => s.architecture)))].sort();
  const vectors = evaluated.map((c) => archs.map((a) => c.fitness!.scores.find((s) => s.architecture === a)?.accuracy ?? 0));
  return evaluated.filter((_, i) => !vectors.some((v, j) => j !== i && dominates(v, vectors[i]!)));
}

/**
 * A fixed-width table of candidates with their per-architecture scores (± 95% CI over seeds),
 * inference cost against BN-ReLU where measured (Candidate.cost), and formulas.
 */
export function candidateTable(candidates: readonly Candidate[]): string {
  if (candidates.length === 0) return '(no evaluated candidates yet)';
  const archs = [...new Set(candidates.flatMap((c) => (c.fitness?.scores ?? []).map((s) => s.architecture)))];
  const costs = candidates.some((c) => c.cost);
  const header = ['rank', 'id', 'mean', ...archs, ...(costs ? ['cost'] : []), 'formula'];
  const rows = candidates.map((c, i) => [
    String(i + 1),
    c.id,
    // mean ± 95% CI half-width (points) over training seeds, where there are several.
    intervalText(meanInterval(c)),
    ...archs.map((a) => {
      const interval = architectureIntervals(c)[a];
      return interval ? intervalText(interval) : '—';
    }),
    ...(costs ? [c.cost ? `${c.cost.ratio.toFixed(1)}×` : '—'] : []),
    c.formula?.text ?? '',
  ]);
  const widths = header.map((h, k) => (k === header.length - 1 ? 0 : Math.max(h.length, ...rows.map((r) => r[k]!.length))));
  const line = (cells: string[]): string => cells.map((cell, k) => (k === cells.length - 1 ? cell : cell.padEnd(widths[k]!))).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}
