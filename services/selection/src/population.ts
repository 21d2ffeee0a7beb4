/**
 * The population of one search: regularized (aging) evolution. A tournament samples a fraction of
 * the population at random and picks its winner by mean accuracy, or uniformly from its
 * non-dominated set (Pareto); with the cost objective, uniformly from the set no member beats on
 * accuracy (the mean, or every architecture's under Pareto) and inference cost together.
 * Evaluated candidates join and the oldest member leaves. Every
 * reported candidate stays in the history; the evaluated ones are indexed by functional hash.
 * State lives in a SearchStore (SQLite), so a restarted service continues where it stopped.
 */
import { Rng, type Seed } from '@evonorm/graph';
import { Objective, SelectionCriterion, type Candidate } from '@evonorm/contracts';
import type { ReportOutcome, SearchStore } from '@evonorm/store';

export interface PopulationConfig {
  readonly size: number;
  readonly tournamentFraction: number;
  readonly criterion: SelectionCriterion;
  /** Empty or [accuracy]: accuracy alone; with cost, Candidate.cost's ratio too (lower is better). */
  readonly objectives: readonly Objective[];
}

/** Accuracies by architecture; a candidate without a score on an architecture has 0 there. */
export function scoresOf(c: Candidate, architectures: readonly string[]): number[] {
  const scores = c.fitness?.scores ?? [];
  return architectures.map((a) => scores.find((s) => s.architecture === a)?.accuracy ?? 0);
}

export function meanAccuracy(c: Candidate): number {
  const scores = c.fitness?.scores ?? [];
  return scores.length === 0 ? 0 : scores.reduce((s, x) => s + x.accuracy, 0) / scores.length;
}

/** a dominates b: at least as good everywhere and better somewhere. */
export function dominates(a: readonly number[], b: readonly number[]): boolean {
  return a.every((x, i) => x >= b[i]!) && a.some((x, i) => x > b[i]!);
}

/** What a front compares: every architecture's accuracy or only their mean, and the cost ratio or not. */
export interface FrontObjectives {
  readonly accuracy: 'per_architecture' | 'mean';
  readonly cost: boolean;
}

const PER_ARCHITECTURE: FrontObjectives = { accuracy: 'per_architecture', cost: false };

/** The negated cost ratio (higher is better); a layer without a measured cost is worst. */
function costScore(c: Candidate): number {
  return c.cost ? -c.cost.ratio : -Infinity;
}

/** The candidates no other candidate beats on every objective (default: every architecture's accuracy). */
export function paretoFront(candidates: readonly Candidate[], objectives: FrontObjectives = PER_ARCHITECTURE): Candidate[] {
  const archs = [...new Set(candidates.flatMap((c) => (c.fitness?.scores ?? []).map((s) => s.architecture)))].sort();
  const vectors = candidates.map((c) => [...(objectives.accuracy === 'mean' ? [meanAccuracy(c)] : scoresOf(c, archs)), ...(objectives.cost ? [costScore(c)] : [])]);
  return candidates.filter((_, i) => !vectors.some((v, j) => j !== i && dominates(v, vectors[i]!)));
}

export class Population {
  private readonly started: number;

  constructor(
    readonly config: PopulationConfig,
    private readonly store: SearchStore,
  ) {
    const recorded = store.getMeta('started_ms');
    this.started = recorded ? Number(recorded) : Date.now();
    if (!recorded) store.setMeta('started_ms', String(this.started));
  }

  get size(): number {
    return this.store.populationSize();
  }

  get reported(): number {
    return this.store.statistics().candidates;
  }

  /**
   * One tournament seeded by `seed`, from the population now or as of the first `asOf` reports
   * (SampleParentRequest.as_of); undefined when that population is empty.
   */
  sample(seed: Seed, asOf?: number): { parent: Candidate; tournament: Candidate[]; population: number } | undefined {
    const members = this.store.population(asOf);
    if (members.length === 0) return undefined;
    const rng = Rng.fromSeed(seed);
    const k = Math.max(1, Math.min(members.length, Math.round(members.length * this.config.tournamentFraction)));
    const tournament = rng.sample(members.length, k).map((i) => members[i]!);
    const { objectives } = this;
    const parent =
      objectives.accuracy === 'per_architecture' || objectives.cost ? rng.pick(paretoFront(tournament, objectives)) : tournament.reduce((best, c) => (meanAccuracy(c) > meanAccuracy(best) ? c : best));
    return { parent, tournament, population: members.length };
  }

  /** The criterion and objectives as a front's comparison. */
  private get objectives(): FrontObjectives {
    return {
      accuracy: this.config.criterion === SelectionCriterion.SELECTION_CRITERION_PARETO ? 'per_architecture' : 'mean',
      cost: this.config.objectives.includes(Objective.OBJECTIVE_COST),
    };
  }

  /** Records a candidate; idempotent by id. */
  report(candidate: Candidate): ReportOutcome {
    return this.store.report(candidate, this.config.size);
  }

  lookup(functionalHash: string): Candidate | undefined {
    return this.store.lookup(functionalHash);
  }

  population(limit = 0): Candidate[] {
    const members = this.store.population();
    return limit > 0 ? members.slice(-limit) : members;
  }

  /** The non-dominated set over every architecture's accuracy, and the cost ratio with the cost objective. */
  front(history: boolean): Candidate[] {
    return paretoFront(history ? this.store.evaluated() : this.store.population(), { accuracy: 'per_architecture', cost: this.objectives.cost });
  }

  /** History after sequence `after`, oldest first. */
  page(after: number, size: number, acceptedOnly: boolean): { candidates: Candidate[]; next: number | undefined } {
    return this.store.page(after, size, acceptedOnly);
  }

  statistics() {
    const stats = this.store.statistics();
    const hours = Math.max((Date.now() - this.started) / 3_600_000, 1e-9);
    return { ...stats, candidatesPerHour: stats.candidates / hours, best: this.store.best() };
  }
}
