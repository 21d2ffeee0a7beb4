/**
 * The search loop: regularized evolution (or random search) over the four services, with many
 * candidates in flight and a result that depends only on the seed. It schedules the stages, each
 * in its own file: proposal (stage-proposal.ts), rejection (stage-rejection.ts), evaluation
 * (stage-evaluation.ts, and stage-adaptive.ts for --adaptive-seeds) and report (stage-report.ts).
 *
 * Determinism under concurrency: candidate i's draws are seeded by (seed, i); candidates are
 * proposed (parent, mutation, screen) one at a time in index order, and reported to selection in
 * index order; the parent of candidate i is drawn right after candidate i - concurrency was
 * reported, from the population as of that report (SampleParentRequest.as_of, which a resumed
 * search needs: it proposes its first candidates with more reported). The population every
 * tournament sees is therefore fixed by the seed, however the trainings interleave; so are
 * multi-fidelity promotions (promotion.ts), which compare candidate i with candidates
 * 0 .. i - concurrency. Functional duplicates are decided at proposal time against
 * every earlier candidate and reuse its outcome (AutoML-Zero's functional-equivalence cache).
 */
import { setMaxListeners } from 'node:events';
import type { Candidate, Fitness } from '@evonorm/contracts';
import type { RetryNotice, SearchBackend } from './backend.js';
import type { SearchEvent, SearchStats, StopReason } from './events.js';
import { reuse } from './outcomes.js';
import type { SearchPlan } from './plan.js';
import { candidateId, candidateIndex } from './seeds.js';
import { adaptiveSeedsStage, wantsMoreSeeds } from './stage-adaptive.js';
import { evaluationStage } from './stage-evaluation.js';
import { ladderSaving } from './ladder.js';
import { RungScores, notPromoted, promotionDecision, rungMean } from './promotion.js';
import { ProposalStage } from './stage-proposal.js';
import { costRung, costStage } from './stage-cost.js';
import { rejectionStage } from './stage-rejection.js';
import { account, newStats, reportStage } from './stage-report.js';

export { candidateEvent, newStats } from './stage-report.js';
export { meanAccuracy, reasonName } from './outcomes.js';

export interface RunOptions {
  readonly plan: SearchPlan;
  readonly backend: SearchBackend;
  /** Ctrl-C: stop proposing, cancel work in flight, report what is finished, return. */
  readonly interrupt: AbortSignal;
  readonly onEvent?: (event: SearchEvent) => void;
  /** Shown in the start event. */
  readonly dir?: string;
  readonly trainingLabel?: string;
  /** Receives the live totals object once, at the start (it is updated in place). */
  readonly onStats?: (stats: SearchStats) => void;
}

export interface SearchSummary {
  readonly stopReason: StopReason;
  readonly stats: SearchStats;
}

export class HistoryMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HistoryMismatchError';
  }
}

interface Slot {
  readonly index: number;
  readonly outcome: Promise<Candidate>;
  settled?: Candidate;
}

/** Resume: the history is the generator's state (see seeds.ts); every entry must be this search's next candidate. */
function replayHistory(history: readonly Candidate[], stats: SearchStats, byHash: Map<string, Promise<Candidate>>, rungs: RungScores, emit: (event: SearchEvent) => void): void {
  history.forEach((c, i) => {
    rungs.record(i, c);
    if (candidateIndex(c.id) !== i) {
      throw new HistoryMismatchError(`the selection service's history does not belong to this search: entry ${i} is ${JSON.stringify(c.id)}, expected ${candidateId(i)}`);
    }
    account(stats, c, emit);
    const hash = c.hashes?.functional;
    if (hash && !c.duplicateOf && !byHash.has(hash)) byHash.set(hash, Promise.resolve(c));
  });
}

export async function runSearch(options: RunOptions): Promise<SearchSummary> {
  const { plan, backend, interrupt } = options;
  const emit = options.onEvent ?? (() => {});
  const stats = newStats(Date.now());
  options.onStats?.(stats);
  const work = new AbortController();
  // Every training in flight listens to it: concurrency × architectures × seeds of them.
  setMaxListeners(0, work.signal);
  const stopWork = (): void => work.abort();
  interrupt.addEventListener('abort', stopWork, { once: true });
  const byHash = new Map<string, Promise<Candidate>>();
  /** Fitness of originals that gained seeds at report time (--adaptive-seeds), for their later duplicates. */
  const refined = new Map<string, Fitness>();
  const proposals = new ProposalStage(plan, backend, byHash);

  const rungs = new RungScores();
  replayHistory(await backend.history(), stats, byHash, rungs, emit);
  let reported = stats.reported;
  emit({ type: 'start', plan, resumedAt: reported, dir: options.dir ?? '', training: options.trainingLabel ?? '' });

  /** Rejection tests, then (when promoted: promotion.ts) evaluation, of new candidate i. */
  const testAndEvaluate = async (i: number, screened: Candidate): Promise<Candidate> => {
    const onCostFailure = (notice: RetryNotice): void => emit({ type: 'retry', ...notice });
    const priced = await costRung(plan, backend, stats, screened, work.signal, onCostFailure);
    if (priced.rejected) return priced.candidate;
    const base = priced.candidate;
    const outcome = await rejectionStage(plan, backend, stats, base, work.signal);
    if (outcome.rejected) return outcome.rejected;
    const withRung = { ...base, rungScores: [...outcome.rungScores] };
    const decision = promotionDecision(plan, rungMean(outcome.rungScores), rungs.upTo(i - plan.concurrency));
    if (!decision.promoted) return notPromoted(plan, withRung, decision);
    const evaluated = await evaluationStage(plan, backend, stats, withRung, work.signal, outcome.heads);
    return costStage(plan, backend, stats, evaluated, work.signal, onCostFailure);
  };

  /** Proposes and screens candidate i (in index order); the returned promise is its final outcome. */
  const generate = async (i: number): Promise<{ outcome: Promise<Candidate> }> => {
    stats.stages.screening++;
    try {
      const proposal = await proposals.propose(i);
      // Wrapped: an async function would otherwise wait for the whole evaluation.
      if (proposal.kind === 'rejected') return { outcome: Promise.resolve(proposal.candidate) };
      if (proposal.kind === 'duplicate') return { outcome: byHash.get(proposal.hash)!.then((original) => reuse(proposal.candidate, original)) };
      const outcome = testAndEvaluate(i, proposal.candidate);
      byHash.set(proposal.hash, outcome);
      return { outcome };
    } finally {
      stats.stages.screening--;
    }
  };

  const deadline = plan.minutes > 0 ? stats.startedMs + plan.minutes * 60_000 : Infinity;
  const slots = new Map<number, Slot>();
  let next = reported;
  let stopReason: StopReason | undefined;
  const budgetReason = (): StopReason | undefined => {
    if (interrupt.aborted) return 'interrupted';
    if (plan.candidates > 0 && next >= plan.candidates) return 'candidates';
    if (Date.now() >= deadline) return 'time';
    return undefined;
  };

  const reportInOrder = async (slot: Slot, candidate: Candidate): Promise<void> => {
    const shown = candidate.duplicateOf && refined.has(candidate.duplicateOf) ? { ...candidate, fitness: refined.get(candidate.duplicateOf)! } : candidate;
    await reportStage(backend, stats, slot.index, shown, emit);
    rungs.record(slot.index, shown);
    slots.delete(slot.index);
    reported++;
  };

  try {
    for (;;) {
      while (next < reported + plan.concurrency) {
        const reason = budgetReason();
        if (reason) {
          stopReason ??= reason;
          break;
        }
        const i = next;
        const { outcome } = await generate(i);
        const slot: Slot = { index: i, outcome };
        outcome.then(
          (c) => (slot.settled = c),
          () => {}, // awaited (or abandoned on interrupt) below
        );
        slots.set(i, slot);
        next++;
      }
      const head = slots.get(reported);
      if (!head) break;
      stats.stages.inFlight = slots.size;
      let candidate: Candidate;
      try {
        candidate = await head.outcome;
        if (plan.adaptiveSeeds > 0) {
          const before = candidate;
          candidate = await adaptiveSeedsStage(plan, backend, stats, candidate, work.signal);
          if (candidate !== before) refined.set(candidate.id, candidate.fitness!);
        }
      } catch (error) {
        if (interrupt.aborted) break;
        throw error;
      }
      await reportInOrder(head, candidate);
    }
    if (interrupt.aborted) {
      stopReason = 'interrupted';
      // Finished candidates at the head of the order are kept; the rest are redone on resume.
      // (Under --adaptive-seeds a head still owed extra seeds is redone too.)
      for (let head = slots.get(reported); head?.settled && !wantsMoreSeeds(plan, head.settled, stats.best?.meanAccuracy); head = slots.get(reported)) await reportInOrder(head, head.settled);
    }
  } finally {
    interrupt.removeEventListener('abort', stopWork);
    work.abort();
    stats.stages.inFlight = 0;
  }
  const summary: SearchSummary = { stopReason: stopReason ?? 'candidates', stats };
  emit({
    type: 'stop',
    reason: summary.stopReason,
    candidates: stats.reported,
    evaluated: stats.evaluated,
    seconds: (Date.now() - stats.startedMs) / 1000,
    ladder: { ...stats.ladder, saving: ladderSaving(stats.ladder) },
  });
  return summary;
}
