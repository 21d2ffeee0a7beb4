/**
 * The population of one search: regularized (aging) evolution. A tournament samples a fraction of
 * the population at random and picks its winner by mean accuracy, or uniformly from its
 * non-dominated set (Pareto); evaluated candidates join and the oldest member leaves. Every
 * reported candidate stays in the history; the evaluated ones are indexed by functional hash.
 * State lives in a SearchStore (SQLite), so a restarted service continues where it stopped.
 */
import { Rng, type Seed } from '@evonorm/graph';
import { SelectionCriterion, type Candidate } from '@evonorm/contracts';
import type { ReportOutcome, SearchStore } from '@evonorm/store';

export interface PopulationConfig {
  readonly size: number;
  readonly tournamentFraction: number;
  readonly criterion: SelectionCriterion;
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

export function paretoFront(candidates: readonly Candidate[]): Candidate[] {
  const archs = [...new Set(candidates.flatMap((c) => (c.fitness?.scores ?? []).map((s) => s.architecture)))].sort();
  const vectors = candidates.map((c) => scoresOf(c, archs));
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

  /** One tournament seeded by `seed`; undefined when the population is empty. */
  sample(seed: Seed): { parent: Candidate; tournament: Candidate[] } | undefined {
    const members = this.store.population();
    if (members.length === 0) return undefined;
    const rng = Rng.fromSeed(seed);
    const k = Math.max(1, Math.min(members.length, Math.round(members.length * this.config.tournamentFraction)));
    const tournament = rng.sample(members.length, k).map((i) => members[i]!);
    const parent =
      this.config.criterion === SelectionCriterion.SELECTION_CRITERION_PARETO ? rng.pick(paretoFront(tournament)) : tournament.reduce((best, c) => (meanAccuracy(c) > meanAccuracy(best) ? c : best));
    return { parent, tournament };
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

  front(history: boolean): Candidate[] {
    return paretoFront(history ? this.store.evaluated() : this.store.population());
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
