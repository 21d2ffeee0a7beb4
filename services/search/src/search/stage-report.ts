/**
 * Stage 4, report: a finished candidate goes to the selection service (in index order; see
 * loop.ts), is counted in the live totals (evaluated, duplicates, rejections by reason, best so
 * far with its 95% interval over seeds), and is announced as an event.
 */
import type { Candidate } from '@evonorm/contracts';
import type { SearchBackend } from './backend.js';
import type { CandidateEvent, SearchEvent, SearchStats } from './events.js';
import { ladderEntry } from './ladder-entry.js';
import { addToLadder, newLadder } from './ladder.js';
import { meanAccuracy, meanInterval, reasonName, scoreMap } from './outcomes.js';

export function newStats(startedMs: number): SearchStats {
  return {
    startedMs,
    reportedThisRun: 0,
    reported: 0,
    evaluated: 0,
    duplicates: 0,
    rejectionsByReason: {},
    stages: { screening: 0, cost: 0, stability: 0, micro: 0, quality: 0, evaluation: 0, inFlight: 0 },
    ladder: newLadder(),
  };
}

/** Counts a reported candidate in `stats`; a new best is announced. */
export function account(stats: SearchStats, c: Candidate, emit: (event: SearchEvent) => void): void {
  stats.reported++;
  addToLadder(stats.ladder, ladderEntry(c));
  if (c.duplicateOf) stats.duplicates++;
  if (c.fitness) {
    stats.evaluated++;
    const mean = meanAccuracy(c);
    if (!stats.best || mean > stats.best.meanAccuracy) {
      stats.best = { id: c.id, meanAccuracy: mean, halfWidth: meanInterval(c).halfWidth, formula: c.formula?.text ?? '', scores: scoreMap(c), costRatio: c.cost?.ratio ?? null };
      emit({ type: 'best', ...stats.best });
    }
  } else if (c.rejection) {
    const reason = reasonName(c.rejection.reason);
    stats.rejectionsByReason[reason] = (stats.rejectionsByReason[reason] ?? 0) + 1;
  }
}

/** Reports candidate `index` to selection, counts it and announces it. */
export async function reportStage(backend: SearchBackend, stats: SearchStats, index: number, candidate: Candidate, emit: (event: SearchEvent) => void): Promise<void> {
  await backend.report({ ...candidate, createdUnixMs: BigInt(Date.now()) });
  stats.reportedThisRun++;
  account(stats, candidate, emit);
  emit(candidateEvent(index, candidate));
}

export function candidateEvent(index: number, c: Candidate): CandidateEvent {
  return {
    type: 'candidate',
    index,
    id: c.id,
    parentId: c.parentId,
    outcome: c.fitness ? 'evaluated' : 'rejected',
    reason: c.rejection ? reasonName(c.rejection.reason) : '',
    detail: c.rejection?.detail ?? '',
    duplicateOf: c.duplicateOf,
    meanAccuracy: meanAccuracy(c),
    halfWidth: c.fitness ? meanInterval(c).halfWidth : null,
    scores: scoreMap(c),
    costRatio: c.cost?.ratio ?? null,
    formula: c.formula?.text ?? '',
    seconds: c.timings ? c.timings.screenSeconds + c.timings.costSeconds + c.timings.stabilitySeconds + c.timings.microQualitySeconds + c.timings.qualitySeconds + c.timings.evaluationSeconds : 0,
  };
}
