/** What the page derives from the data: the best layer, its margin over BN-ReLU, the rejection funnel. */
import type { CandidateView, ReportData } from '../src/report/model.js';
import { ladderSaving, ladderTotals, type LadderSaving, type LadderTotals } from '../src/search/ladder.js';
import { confidenceInterval } from '../src/search/statistics.js';

export const SCREEN_REASONS = ['invalid_graph', 'independent_of_input', 'dead_output', 'batch_dependent', 'non_finite', 'constant_output'];

/** Evaluated originals (not duplicates), best mean first, earliest first on ties (as `evonorm top`). */
export function ranked(data: ReportData): CandidateView[] {
  return data.candidates.filter((c) => c.outcome === 'evaluated' && c.mean !== null).sort((a, b) => b.mean! - a.mean! || a.index - b.index);
}

/** The zoo's BN-ReLU with scores (evaluated, or a duplicate reusing an evaluation). */
export function bnRelu(data: ReportData): CandidateView | undefined {
  return data.candidates.find((c) => c.zoo === 'bn-relu' && c.mean !== null);
}

/** Why there is no BN-ReLU baseline, in words. */
export function missingBaseline(data: ReportData): string {
  const c = data.candidates.find((x) => x.zoo === 'bn-relu');
  if (!c) return 'BN-ReLU is not in this search (it joins the initial population with --init-zoo true), so there is no baseline to compare with.';
  const scores = Object.entries(c.scores)
    .map(([a, s]) => `${a} ${(100 * s).toFixed(1)}%`)
    .join(', ');
  return `BN-ReLU (${c.id}) is in this search but was rejected (${c.outcome}${c.detail ? `: ${c.detail}` : ''})${scores ? `; its quality-test accuracy: ${scores}` : ''}, so there is no evaluated baseline to compare with.`;
}

export interface FunnelStage {
  readonly stage: string;
  readonly passed: number;
  /** Rejections at this stage, by reason. */
  readonly reasons: Readonly<Record<string, number>>;
  /** Compute the stage's tests and trainings reported, in seconds (null where it has none of its own). */
  readonly computeSeconds: number | null;
}

/**
 * screened → passed the static and probe checks → cost → micro → stable → quality → promoted → evaluated,
 * with each rung's compute and the ladder's saving; duplicates skip it.
 */
export function funnel(data: ReportData): { stages: FunnelStage[]; duplicates: number; ladder: LadderTotals; saving: LadderSaving } {
  const originals = data.candidates.filter((c) => c.outcome !== 'duplicate');
  const count = (reasons: string[]): Record<string, number> => {
    const out: Record<string, number> = {};
    for (const c of originals) if (reasons.includes(c.outcome)) out[c.outcome] = (out[c.outcome] ?? 0) + 1;
    return out;
  };
  const known = new Set([...SCREEN_REASONS, 'too_slow', 'unstable', 'low_micro_quality', 'low_quality', 'not_promoted', 'training_failed', 'evaluated']);
  const screen = count([...SCREEN_REASONS, ...originals.map((c) => c.outcome).filter((o) => !known.has(o))]);
  const sum = (r: Record<string, number>): number => Object.values(r).reduce((s, x) => s + x, 0);
  const afterScreen = originals.length - sum(screen);
  const tooSlow = count(['too_slow']);
  const afterCost = afterScreen - sum(tooSlow);
  const micro = count(['low_micro_quality']);
  const afterMicro = afterCost - sum(micro);
  const unstable = count(['unstable']);
  const afterStability = afterMicro - sum(unstable);
  const quality = count(['low_quality']);
  const afterQuality = afterStability - sum(quality);
  const notPromoted = count(['not_promoted']);
  const afterPromotion = afterQuality - sum(notPromoted);
  const failed = count(['training_failed']);
  const ladder = ladderTotals(originals.map((c) => c.ladder));
  const stages: FunnelStage[] = [
    { stage: 'proposed', passed: originals.length, reasons: {}, computeSeconds: null },
    { stage: 'passed static + probe checks', passed: afterScreen, reasons: screen, computeSeconds: null },
  ];
  // Only searches with --max-cost-ratio above 0 (runs from before it have none).
  const maxCostRatio = Number(data.plan['max-cost-ratio'] ?? '0');
  if (sum(tooSlow) > 0 || maxCostRatio > 0) {
    stages.push({ stage: `passed cost rung (≤ ${maxCostRatio}× BN-ReLU)`, passed: afterCost, reasons: tooSlow, computeSeconds: ladder.costSeconds });
  }
  // Only searches with --micro-steps > 0 (the plan says so; runs from before it have none).
  const microSteps = Number(data.plan['micro-steps'] ?? '0');
  if (sum(micro) > 0 || microSteps > 0) {
    stages.push({ stage: 'passed micro-quality rung', passed: afterMicro, reasons: micro, computeSeconds: ladder.microSeconds });
  }
  stages.push(
    { stage: 'stable', passed: afterStability, reasons: unstable, computeSeconds: ladder.stabilitySeconds },
    { stage: 'passed quality test', passed: afterQuality, reasons: quality, computeSeconds: ladder.qualitySeconds },
  );
  // Only searches with --promotion-fraction below 1 stop layers at the rung.
  const promotes = (data.plan['promotion-fraction'] ?? '1') !== '1';
  if (sum(notPromoted) > 0 || promotes) {
    stages.push({ stage: 'promoted to the full budget', passed: afterPromotion, reasons: notPromoted, computeSeconds: null });
  }
  stages.push({ stage: 'evaluated', passed: afterPromotion - sum(failed), reasons: failed, computeSeconds: ladder.evaluationSeconds });
  return { stages, duplicates: data.candidates.length - originals.length, ladder, saving: ladderSaving(ladder) };
}

/** The best layer's ancestors, oldest first, ending with the layer itself. */
export function lineage(data: ReportData, id: string): CandidateView[] {
  const byId = new Map(data.candidates.map((c) => [c.id, c]));
  const chain: CandidateView[] = [];
  for (let c = byId.get(id); c && chain.length < 10_000; c = c.parentId ? byId.get(c.parentId) : undefined) chain.unshift(c);
  return chain;
}

/** Half-width of the 95% confidence interval of the mean of `xs` (Student t, statistics.ts); null for fewer than 2. */
export function ci95(xs: readonly number[]): number | null {
  return confidenceInterval(xs).halfWidth;
}

/** "83.1%", or "83.1% ± 1.2" where the architecture was trained with several seeds. */
export function score(c: CandidateView, architecture: string): string {
  const half = ci95(c.seedScores[architecture] ?? []);
  return half === null ? pct(c.scores[architecture]) : `${pct(c.scores[architecture])} ± ${(100 * half).toFixed(1)}`;
}

/**
 * The mean over architectures, "± 1.2" where every architecture has several seeds: the interval of
 * seed j's mean over architectures (as `evonorm top` and src/search/statistics.ts compute it).
 */
export function meanScore(c: CandidateView): string {
  const perArch = Object.values(c.seedScores);
  const k = Math.min(...perArch.map((s) => s.length));
  const complete = perArch.length > 0 && perArch.length === Object.keys(c.scores).length && k >= 2;
  const half = complete ? ci95(Array.from({ length: k }, (_, j) => perArch.reduce((t, s) => t + s[j]!, 0) / perArch.length)) : null;
  return half === null ? pct(c.mean) : `${pct(c.mean)} ± ${(100 * half).toFixed(1)}`;
}

/** Most seeds any evaluated candidate was trained with (1 when none has several). */
export function maxSeeds(data: ReportData): number {
  return Math.max(1, ...data.candidates.flatMap((c) => Object.values(c.seedScores).map((s) => s.length)));
}

export const pct = (x: number | null | undefined, digits = 1): string => (x === null || x === undefined ? '—' : `${(100 * x).toFixed(digits)}%`);
export const signedPts = (x: number): string => `${x >= 0 ? '+' : '−'}${Math.abs(100 * x).toFixed(1)} pts`;
