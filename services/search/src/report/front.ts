/**
 * The history-wide Pareto front by the selection service's rule for GetParetoFront(history: true):
 * every evaluated candidate (duplicates included, as its store counts them), architectures in
 * sorted order, a missing score counting 0, and a candidate on the front when no other one is at
 * least as good everywhere and better somewhere; with the cost objective (--objectives
 * accuracy,cost), the negated cost ratio is one more coordinate and a layer without a measured cost is
 * worst on it. Services never import each other's code (the lint's
 * module boundaries), so the rule is restated here; the report test checks it against a real
 * selection service's answer for the same history.
 */
import type { Candidate } from '@evonorm/contracts';

export const FRONT_FROM_CODE = "selection's GetParetoFront rule applied to the run's SQLite history";
export const FRONT_FROM_SERVICE = "the selection service's GetParetoFront (whole history)";

const dominates = (a: readonly number[], b: readonly number[]): boolean => a.every((x, i) => x >= b[i]!) && a.some((x, i) => x > b[i]!);

export function historyFront(history: readonly Candidate[], withCost = false): string[] {
  const evaluated = history.filter((c) => c.fitness);
  const archs = [...new Set(evaluated.flatMap((c) => c.fitness!.scores.map((s) => s.architecture)))].sort();
  const vectors = evaluated.map((c) => [...archs.map((a) => c.fitness!.scores.find((s) => s.architecture === a)?.accuracy ?? 0), ...(withCost ? [c.cost ? -c.cost.ratio : -Infinity] : [])]);
  return evaluated.filter((_, i) => !vectors.some((v, j) => j !== i && dominates(v, vectors[i]!))).map((c) => c.id);
}
