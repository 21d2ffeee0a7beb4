/** A reported candidate's part in the rejection ladder's compute (ladder.ts). */
import { RejectionReason, type Candidate } from '@evonorm/contracts';
import type { LadderEntry } from './ladder.js';

/** The entry of a reported candidate, or undefined for a duplicate. */
export function ladderEntry(c: Candidate): LadderEntry | undefined {
  if (c.duplicateOf) return undefined;
  const t = c.timings;
  // Reasons up to constant_output are the screen's (static checks and probe).
  const screenedIn = !c.rejection || c.rejection.reason >= RejectionReason.REJECTION_REASON_UNSTABLE;
  return {
    screenedIn,
    evaluated: c.fitness !== undefined,
    // The cost rung's measurement; an evaluated layer's cost measured after its training (no
    // --max-cost-ratio) is not part of the ladder.
    costSeconds: t?.costComputeSeconds ?? 0,
    stabilitySeconds: t?.stabilityComputeSeconds ?? 0,
    microSeconds: t?.microQualityComputeSeconds ?? 0,
    qualitySeconds: t?.qualityComputeSeconds ?? 0,
    evaluationSeconds: t?.evaluationComputeSeconds ?? 0,
    fullTrainingSeconds: (c.fitness?.scores ?? []).reduce((s, x) => s + x.seconds, 0),
  };
}
