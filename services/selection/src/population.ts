/**
 * The population of one search: regularized (aging) evolution. A tournament samples a fraction of
 * the population at random and picks its winner by mean accuracy, or uniformly from its
 * non-dominated set (Pareto); evaluated candidates join and the oldest member leaves. Every
 * reported candidate stays in the history; the evaluated ones are indexed by functional hash.
 */
import { Rng } from '@evonorm/graph';
import { RejectionReason, SelectionCriterion, type Candidate } from '@evonorm/contracts';

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
  private readonly members: Candidate[] = [];
  private readonly history: Candidate[] = [];
  private readonly byId = new Map<string, Candidate>();
  private readonly byFunctionalHash = new Map<string, Candidate>();
  private readonly started = Date.now();

  constructor(readonly config: PopulationConfig) {}

  get size(): number {
    return this.members.length;
  }

  get reported(): number {
    return this.history.length;
  }

  /** One tournament seeded by `seed`; undefined when the population is empty. */
  sample(seed: number): { parent: Candidate; tournament: Candidate[] } | undefined {
    if (this.members.length === 0) return undefined;
    const rng = Rng.fromSeed(seed);
    const k = Math.max(1, Math.min(this.members.length, Math.round(this.members.length * this.config.tournamentFraction)));
    const tournament = rng.sample(this.members.length, k).map((i) => this.members[i]!);
    let parent: Candidate;
    if (this.config.criterion === SelectionCriterion.SELECTION_CRITERION_PARETO) {
      parent = rng.pick(paretoFront(tournament));
    } else {
      parent = tournament.reduce((best, c) => (meanAccuracy(c) > meanAccuracy(best) ? c : best));
    }
    return { parent, tournament };
  }

  /** Records a candidate; idempotent by id. */
  report(candidate: Candidate): { sequence: number; enteredPopulation: boolean; evictedId: string; alreadyReported: boolean } {
    const known = this.byId.get(candidate.id);
    if (known) return { sequence: known.sequence, enteredPopulation: false, evictedId: '', alreadyReported: true };
    const stored: Candidate = { ...candidate, sequence: this.history.length + 1, createdUnixMs: candidate.createdUnixMs || Date.now() };
    this.history.push(stored);
    this.byId.set(stored.id, stored);
    if (!stored.fitness) return { sequence: stored.sequence, enteredPopulation: false, evictedId: '', alreadyReported: false };
    const hash = stored.hashes?.functional;
    if (hash && !this.byFunctionalHash.has(hash)) this.byFunctionalHash.set(hash, stored);
    this.members.push(stored);
    const evicted = this.members.length > this.config.size ? this.members.shift()! : undefined;
    return { sequence: stored.sequence, enteredPopulation: true, evictedId: evicted?.id ?? '', alreadyReported: false };
  }

  lookup(functionalHash: string): Candidate | undefined {
    return this.byFunctionalHash.get(functionalHash);
  }

  population(limit = 0): Candidate[] {
    return limit > 0 ? this.members.slice(-limit) : [...this.members];
  }

  front(history: boolean): Candidate[] {
    return paretoFront(history ? this.history.filter((c) => c.fitness) : this.members);
  }

  /** History from position `offset`, oldest first. */
  page(offset: number, size: number, acceptedOnly: boolean): { candidates: Candidate[]; next: number | undefined } {
    const out: Candidate[] = [];
    let i = offset;
    for (; i < this.history.length && out.length < size; i++) {
      const c = this.history[i]!;
      if (!acceptedOnly || c.fitness) out.push(c);
    }
    return { candidates: out, next: i < this.history.length ? i : undefined };
  }

  statistics() {
    const rejections: Record<string, number> = {};
    let evaluated = 0;
    let duplicates = 0;
    let best: Candidate | undefined;
    for (const c of this.history) {
      if (c.duplicateOf) duplicates++;
      if (c.fitness) {
        evaluated++;
        if (!best || meanAccuracy(c) > meanAccuracy(best)) best = c;
      } else if (c.rejection) {
        const name = RejectionReason[c.rejection.reason] ?? String(c.rejection.reason);
        rejections[name] = (rejections[name] ?? 0) + 1;
      }
    }
    const hours = Math.max((Date.now() - this.started) / 3_600_000, 1e-9);
    return { candidates: this.history.length, evaluated, rejectionsByReason: rejections, duplicateHits: duplicates, candidatesPerHour: this.history.length / hours, best };
  }
}
