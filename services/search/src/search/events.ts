/** What a running search tells its observers: the live view, the JSON-lines stream, tests. */
import type { SearchPlan } from './plan.js';
import type { RetryNotice } from './backend.js';
import type { LadderSaving, LadderTotals } from './ladder.js';

export type Outcome = 'evaluated' | 'rejected';

export interface CandidateEvent {
  readonly type: 'candidate';
  readonly index: number;
  readonly id: string;
  readonly parentId: string;
  readonly outcome: Outcome;
  /** RejectionReason name without its prefix, e.g. "low_quality"; empty when evaluated. */
  readonly reason: string;
  readonly detail: string;
  readonly duplicateOf: string;
  readonly meanAccuracy: number;
  /** Half-width of the mean's 95% interval over training seeds; null with one seed (absent in older streams). */
  readonly halfWidth?: number | null;
  readonly scores: Readonly<Record<string, number>>;
  /** Inference time over BN-ReLU's (Candidate.cost); null where not measured (absent in older streams). */
  readonly costRatio?: number | null;
  readonly formula: string;
  readonly seconds: number;
}

/** The best layer so far: what the live view keeps and the 'best' event carries. */
export interface BestSoFar {
  readonly id: string;
  readonly meanAccuracy: number;
  /** As CandidateEvent's. */
  readonly halfWidth?: number | null;
  readonly scores: Readonly<Record<string, number>>;
  readonly costRatio?: number | null;
  readonly formula: string;
}

export type SearchEvent =
  | { readonly type: 'start'; readonly plan: SearchPlan; readonly resumedAt: number; readonly dir: string; readonly training: string }
  | CandidateEvent
  | ({ readonly type: 'best' } & BestSoFar)
  | ({ readonly type: 'retry' } & RetryNotice)
  | {
      readonly type: 'stop';
      readonly reason: StopReason;
      readonly candidates: number;
      readonly evaluated: number;
      readonly seconds: number;
      /** The ladder's compute per rung and its saving (absent in older streams). */
      readonly ladder?: LadderTotals & { readonly saving: LadderSaving };
    };

export type StopReason = 'candidates' | 'time' | 'interrupted';

/** Running totals for the live view. */
export interface SearchStats {
  readonly startedMs: number;
  /** Candidates reported in this run (not counting those resumed from the history). */
  reportedThisRun: number;
  reported: number;
  evaluated: number;
  duplicates: number;
  rejectionsByReason: Record<string, number>;
  /** Candidates in each stage right now. */
  stages: { screening: number; cost: number; stability: number; micro: number; quality: number; evaluation: number; inFlight: number };
  /** Compute per rung of the rejection ladder and what it saved (ladder.ts). */
  ladder: LadderTotals;
  best?: BestSoFar;
}
