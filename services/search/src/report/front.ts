/**
 * The history-wide Pareto front exactly as the selection service computes it for
 * GetParetoFront(history: true): its own paretoFront over every evaluated candidate (duplicates
 * included, as its store counts them), imported from the service rather than re-implemented.
 */
import type { Candidate } from '@evonorm/contracts';
import { paretoFront } from '@evonorm/selection/dist/src/population.js';

export const FRONT_FROM_CODE = "selection's GetParetoFront code run over the run's SQLite history";
export const FRONT_FROM_SERVICE = "the selection service's GetParetoFront (whole history)";

export function historyFront(history: readonly Candidate[]): string[] {
  return paretoFront(history.filter((c) => c.fitness)).map((c) => c.id);
}
