/**
 * The rejection ladder's compute: what each rung (cost rung, micro-quality rung, stability test,
 * quality rung, evaluation) cost in
 * the seconds its tests and trainings reported (Timings' *_compute_seconds), and what the ladder
 * saved against sending every candidate that passed the static checks and the probe through the
 * full budget, priced at the mean whole training of the evaluated layers. Duplicates cost nothing
 * and are left out. One definition for `search --json`, the live view, the report and the dashboard
 * (no imports: the report's browser bundle uses it too; ladder-entry.ts reads a candidate).
 */

/** One original candidate's part. */
export interface LadderEntry {
  /** Passed the static checks and the probe (went on to the trained rungs). */
  readonly screenedIn: boolean;
  readonly evaluated: boolean;
  /** The cost rung's measurement (--max-cost-ratio), before any training; 0 without it. */
  readonly costSeconds: number;
  readonly stabilitySeconds: number;
  readonly microSeconds: number;
  readonly qualitySeconds: number;
  readonly evaluationSeconds: number;
  /** An evaluated layer's whole trainings (every architecture and seed, a continued rung included). */
  readonly fullTrainingSeconds: number;
}

export interface LadderTotals {
  screenedIn: number;
  evaluated: number;
  costSeconds: number;
  stabilitySeconds: number;
  microSeconds: number;
  qualitySeconds: number;
  evaluationSeconds: number;
  fullTrainingSeconds: number;
}

export interface LadderSaving {
  /** Compute the rungs spent. */
  readonly spent: number;
  /** What every screened-in candidate at the full budget would have cost; null before any evaluation. */
  readonly fullBudget: number | null;
  /** fullBudget / spent. */
  readonly factor: number | null;
}

export function newLadder(): LadderTotals {
  return { screenedIn: 0, evaluated: 0, costSeconds: 0, stabilitySeconds: 0, microSeconds: 0, qualitySeconds: 0, evaluationSeconds: 0, fullTrainingSeconds: 0 };
}

export function addToLadder(totals: LadderTotals, entry: LadderEntry | undefined): void {
  if (!entry) return;
  if (entry.screenedIn) totals.screenedIn++;
  if (entry.evaluated) {
    totals.evaluated++;
    totals.fullTrainingSeconds += entry.fullTrainingSeconds;
  }
  totals.costSeconds += entry.costSeconds;
  totals.stabilitySeconds += entry.stabilitySeconds;
  totals.microSeconds += entry.microSeconds;
  totals.qualitySeconds += entry.qualitySeconds;
  totals.evaluationSeconds += entry.evaluationSeconds;
}

export function ladderTotals(entries: Iterable<LadderEntry | undefined>): LadderTotals {
  const totals = newLadder();
  for (const entry of entries) addToLadder(totals, entry);
  return totals;
}

export function ladderSaving(totals: LadderTotals): LadderSaving {
  const spent = totals.costSeconds + totals.stabilitySeconds + totals.microSeconds + totals.qualitySeconds + totals.evaluationSeconds;
  if (totals.evaluated === 0) return { spent, fullBudget: null, factor: null };
  const fullBudget = (totals.screenedIn * totals.fullTrainingSeconds) / totals.evaluated;
  return { spent, fullBudget, factor: spent > 0 ? fullBudget / spent : null };
}

/**
 * The saving in words: "1.6× less", or "1.4× more" where the ladder cost more than the full budget
 * would have (a tiny search whose stability tests cost more than its short trainings).
 */
export function factorText(factor: number): string {
  return factor >= 1 ? `${factor.toFixed(1)}× less` : `${(1 / factor).toFixed(1)}× more`;
}

/** "compute: micro 9 s · stability 12 s · quality 300 s · evaluation 500 s · 1.8× less than all 40 at full budget" (cost and micro only where they ran) */
export function ladderText(totals: LadderTotals): string {
  const s = (x: number): string => `${x.toFixed(0)} s`;
  const saving = ladderSaving(totals);
  const versus = saving.factor === null ? '' : ` · ${factorText(saving.factor)} than all ${totals.screenedIn} at full budget`;
  const micro = totals.microSeconds > 0 ? `micro ${s(totals.microSeconds)} · ` : '';
  const cost = totals.costSeconds > 0 ? `cost ${s(totals.costSeconds)} · ` : '';
  return `compute: ${cost}${micro}stability ${s(totals.stabilitySeconds)} · quality ${s(totals.qualitySeconds)} · evaluation ${s(totals.evaluationSeconds)}${versus}`;
}
