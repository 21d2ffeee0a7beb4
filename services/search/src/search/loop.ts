/**
 * The search loop: regularized evolution (or random search) over the four services, with many
 * candidates in flight and a result that depends only on the seed.
 *
 * Determinism under concurrency: candidate i's draws are seeded by (seed, i); candidates are
 * proposed (parent, mutation, screen) one at a time in index order, and reported to selection in
 * index order; the parent of candidate i is drawn right after candidate i - concurrency was
 * reported. The population every tournament sees is therefore fixed by the seed, however the
 * trainings interleave. Functional duplicates are decided at proposal time against every earlier
 * candidate and reuse its outcome (AutoML-Zero's functional-equivalence cache).
 */
import { Engine, RejectionReason, graphFromProto, graphToProto, type Candidate, type LayerGraph, type Rejection, type TrainingConfig } from '@evonorm/contracts';
import { renderFormula, zooLayers } from '@evonorm/graph';
import type { SearchBackend } from './backend.js';
import type { CandidateEvent, SearchEvent, SearchStats, StopReason } from './events.js';
import { scaleFor, type SearchPlan } from './plan.js';
import { candidateId, candidateIndex, seedFor } from './seeds.js';

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

const REASON_PREFIX = 'REJECTION_REASON_';

/** auto leaves the choice to each replica (its --engine, auto by default). */
const ENGINE_CODES: Record<string, Engine> = { auto: Engine.ENGINE_UNSPECIFIED, onnx: Engine.ENGINE_ONNX, tfjs: Engine.ENGINE_TFJS };

export function reasonName(reason: RejectionReason): string {
  return (RejectionReason[reason] ?? String(reason)).replace(REASON_PREFIX, '').toLowerCase();
}

export function meanAccuracy(c: Candidate): number {
  const scores = c.fitness?.scores ?? [];
  return scores.length === 0 ? 0 : scores.reduce((s, x) => s + x.accuracy, 0) / scores.length;
}

function scoreMap(c: Candidate): Record<string, number> {
  return Object.fromEntries((c.fitness?.scores ?? c.rejection?.scores ?? []).map((s) => [s.architecture, s.accuracy]));
}

function formulaOf(graph: LayerGraph | undefined): { text: string; latex: string } {
  const parsed = graphFromProto(graph, {});
  return parsed.ok ? { text: renderFormula(parsed.graph, 'text'), latex: renderFormula(parsed.graph, 'latex') } : { text: '', latex: '' };
}

/** The outcome of `original` for its functional duplicate `candidate`. */
function reuse(candidate: Candidate, original: Candidate): Candidate {
  const source = original.duplicateOf || original.id;
  return original.fitness ? { ...candidate, fitness: original.fitness, duplicateOf: source } : { ...candidate, rejection: original.rejection, duplicateOf: source };
}

function rejected(candidate: Candidate, rejection: Rejection): Candidate {
  return { ...candidate, rejection };
}

export function newStats(startedMs: number): SearchStats {
  return { startedMs, reportedThisRun: 0, reported: 0, evaluated: 0, duplicates: 0, rejectionsByReason: {}, stages: { screening: 0, stability: 0, quality: 0, evaluation: 0, inFlight: 0 } };
}

export async function runSearch(options: RunOptions): Promise<SearchSummary> {
  const { plan, backend, interrupt } = options;
  const emit = options.onEvent ?? (() => {});
  const stats = newStats(Date.now());
  options.onStats?.(stats);
  const work = new AbortController();
  const stopWork = (): void => work.abort();
  interrupt.addEventListener('abort', stopWork, { once: true });
  const byHash = new Map<string, Promise<Candidate>>();
  const zoo = plan.initZoo ? zooLayers().filter((z) => z.batchIndependent || !plan.batchIndependent) : [];
  const training = (architecture: string): TrainingConfig => ({
    architecture,
    dataset: plan.dataset,
    steps: 0,
    batchSize: plan.batchSize,
    momentum: 0,
    weightDecay: 0,
    warmupSteps: 0,
    widthMultiplier: scaleFor(plan.width, architecture),
    depthMultiplier: scaleFor(plan.depth, architecture),
    learningRate: plan.learningRate,
    validationExamples: plan.validationExamples,
  });

  const account = (c: Candidate): void => {
    stats.reported++;
    if (c.duplicateOf) stats.duplicates++;
    if (c.fitness) {
      stats.evaluated++;
      const mean = meanAccuracy(c);
      if (!stats.best || mean > stats.best.meanAccuracy) {
        stats.best = { id: c.id, meanAccuracy: mean, formula: c.formula?.text ?? '', scores: scoreMap(c) };
        emit({ type: 'best', ...stats.best });
      }
    } else if (c.rejection) {
      const reason = reasonName(c.rejection.reason);
      stats.rejectionsByReason[reason] = (stats.rejectionsByReason[reason] ?? 0) + 1;
    }
  };

  // Resume: the history is the generator's state (see seeds.ts).
  const history = await backend.history();
  history.forEach((c, i) => {
    if (candidateIndex(c.id) !== i) {
      throw new HistoryMismatchError(`the selection service's history does not belong to this search: entry ${i} is ${JSON.stringify(c.id)}, expected ${candidateId(i)}`);
    }
    account(c);
    const hash = c.hashes?.functional;
    if (hash && !c.duplicateOf && !byHash.has(hash)) byHash.set(hash, Promise.resolve(c));
  });
  let reported = history.length;
  emit({ type: 'start', plan, resumedAt: reported, dir: options.dir ?? '', training: options.trainingLabel ?? '' });

  const propose = async (i: number): Promise<{ graph: LayerGraph; parentId: string }> => {
    const zooLayer = zoo[i];
    if (zooLayer) return { graph: graphToProto(zooLayer.graph), parentId: '' };
    // The first P candidates form the initial population (zoo, then random graphs); those the
    // rejection stages turn away never enter it, so it starts at most P strong.
    if (plan.strategy === 'evolve' && i >= plan.population) {
      const parent = await backend.sampleParent(seedFor(plan.seed, i, 'tournament'));
      if (parent) return { graph: await backend.mutate(parent.graph!, seedFor(plan.seed, i, 'mutation'), plan.batchIndependent), parentId: parent.id };
    }
    return { graph: await backend.randomGraph(seedFor(plan.seed, i, 'graph'), plan.batchIndependent), parentId: '' };
  };

  const evaluate = async (base: Candidate): Promise<Candidate> => {
    const graph = base.graph!;
    const timings = base.timings!;
    const signal = work.signal;
    if (plan.stabilitySteps > 0) {
      stats.stages.stability++;
      const started = performance.now();
      try {
        const verdict = await backend.testStability(
          {
            graph,
            seed: seedFor(plan.seed, -1, 'stability'),
            architecture: plan.architectures[0]!,
            steps: plan.stabilitySteps,
            maxGradientNorm: 0,
            batchSize: 0,
            // The proxy the search trains on, at its size.
            widthMultiplier: scaleFor(plan.width, plan.architectures[0]!),
            depthMultiplier: scaleFor(plan.depth, plan.architectures[0]!),
          },
          signal,
        );
        timings.stabilitySeconds = (performance.now() - started) / 1000;
        if (!verdict.accepted) return rejected(base, verdict.rejection!);
      } finally {
        stats.stages.stability--;
      }
    }
    if (plan.qualitySteps > 0) {
      stats.stages.quality++;
      const started = performance.now();
      try {
        // One architecture at a time (each has its own proxy size), cheapest verdict first.
        const scores = [];
        for (const architecture of plan.architectures) {
          const verdict = await backend.testQuality(
            {
              graph,
              seed: seedFor(plan.seed, -1, 'quality'),
              architectures: [architecture],
              dataset: plan.dataset,
              steps: plan.qualitySteps,
              minAccuracy: plan.minAccuracy,
              batchSize: plan.batchSize,
              training: training(architecture),
              engine: ENGINE_CODES[plan.engine]!,
            },
            signal,
          );
          scores.push(...verdict.scores);
          if (!verdict.accepted) {
            timings.qualitySeconds = (performance.now() - started) / 1000;
            return rejected(base, { ...verdict.rejection!, scores });
          }
        }
        timings.qualitySeconds = (performance.now() - started) / 1000;
      } finally {
        stats.stages.quality--;
      }
    }
    stats.stages.evaluation++;
    const started = performance.now();
    try {
      const results = await Promise.all(
        plan.architectures.map((architecture) =>
          backend.train(
            {
              graph,
              seed: seedFor(plan.seed, -1, 'training'),
              engine: ENGINE_CODES[plan.engine]!,
              progressEvery: 1_000_000,
              config: { ...training(architecture), steps: plan.evaluationSteps },
            },
            signal,
          ),
        ),
      );
      timings.evaluationSeconds = (performance.now() - started) / 1000;
      const scores = results.map((r) => r.score!);
      const failed = results.find((r) => r.failure !== 0);
      if (failed) {
        return rejected(base, { reason: RejectionReason.REJECTION_REASON_TRAINING_FAILED, detail: `${failed.score?.architecture}: ${failed.failureDetail}`, problems: [], scores });
      }
      return { ...base, fitness: { scores, meanAccuracy: scores.reduce((s, x) => s + x.accuracy, 0) / scores.length } };
    } finally {
      stats.stages.evaluation--;
    }
  };

  /** Proposes and screens candidate i (in index order); the returned promise is its final outcome. */
  const generate = async (i: number): Promise<{ outcome: Promise<Candidate> }> => {
    stats.stages.screening++;
    try {
      const started = performance.now();
      const { graph, parentId } = await propose(i);
      const verdict = await backend.screen(graph, plan.batchIndependent);
      const base: Candidate = {
        id: candidateId(i),
        graph,
        hashes: verdict.hashes,
        parentId,
        sequence: 0n,
        formula: formulaOf(verdict.canonical ?? graph),
        timings: { screenSeconds: (performance.now() - started) / 1000, stabilitySeconds: 0, qualitySeconds: 0, evaluationSeconds: 0 },
        duplicateOf: '',
        createdUnixMs: 0n,
      };
      // Wrapped: an async function would otherwise wait for the whole evaluation.
      if (!verdict.accepted) return { outcome: Promise.resolve(rejected(base, verdict.rejection!)) };
      const hash = verdict.hashes!.functional;
      const first = byHash.get(hash);
      if (first) return { outcome: first.then((original) => reuse(base, original)) };
      const outcome = evaluate(base);
      byHash.set(hash, outcome);
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
    await backend.report({ ...candidate, createdUnixMs: BigInt(Date.now()) });
    slots.delete(slot.index);
    reported++;
    stats.reportedThisRun++;
    account(candidate);
    emit(candidateEvent(slot.index, candidate));
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
      } catch (error) {
        if (interrupt.aborted) break;
        throw error;
      }
      await reportInOrder(head, candidate);
    }
    if (interrupt.aborted) {
      stopReason = 'interrupted';
      // Finished candidates at the head of the order are kept; the rest are redone on resume.
      for (let head = slots.get(reported); head?.settled; head = slots.get(reported)) await reportInOrder(head, head.settled);
    }
  } finally {
    interrupt.removeEventListener('abort', stopWork);
    work.abort();
    stats.stages.inFlight = 0;
  }
  const summary: SearchSummary = { stopReason: stopReason ?? 'candidates', stats };
  emit({ type: 'stop', reason: summary.stopReason, candidates: stats.reported, evaluated: stats.evaluated, seconds: (Date.now() - stats.startedMs) / 1000 });
  return summary;
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
    scores: scoreMap(c),
    formula: c.formula?.text ?? '',
    seconds: c.timings ? c.timings.screenSeconds + c.timings.stabilitySeconds + c.timings.qualitySeconds + c.timings.evaluationSeconds : 0,
  };
}
