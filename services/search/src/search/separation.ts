/**
 * Whether one arm of a comparison beats another beyond the seeds' noise: from which budget on its
 * mean best-so-far's 95% interval stays wholly above the other arm's (issue 22 asks for exactly
 * this of evolution against random search). Pure functions; the report page shows the same text.
 */
import type { Interval } from './statistics.js';

/** Two arms' mean curves compared point by point: from which budget on the leader's 95% interval stays wholly above the other's. */
export interface Separation {
  /** The arm with the higher mean at the last budget both curves have. */
  readonly leader: string;
  readonly trailing: string;
  /**
   * The least budget (candidates, or training seconds) from which on, at every point both curves
   * have, the leader's interval lies wholly above the trailing arm's (leader's low > trailing's
   * high); null when that does not hold at the last point, or an interval is missing (one seed).
   */
  readonly from: number | null;
  /** The budgets both curves have. */
  readonly points: number;
}

/** separation() over one budget axis: the points are keyed by `budget`. */
export function separation<P extends Interval>(
  a: { readonly arm: string; readonly curve: readonly P[] },
  b: { readonly arm: string; readonly curve: readonly P[] },
  budget: (p: P) => number,
): Separation | null {
  const other = new Map(b.curve.map((p) => [budget(p), p]));
  const pairs = a.curve.flatMap((p) => {
    const q = other.get(budget(p));
    return q ? [{ at: budget(p), a: p, b: q }] : [];
  });
  const last = pairs.at(-1);
  if (!last) return null;
  const aLeads = last.a.mean >= last.b.mean;
  const [leader, trailing] = aLeads ? [a.arm, b.arm] : [b.arm, a.arm];
  const apart = (pair: (typeof pairs)[number]): boolean => {
    const [hi, lo] = aLeads ? [pair.a, pair.b] : [pair.b, pair.a];
    return hi.low !== null && lo.high !== null && hi.low > lo.high;
  };
  let from: number | null = null;
  for (let i = pairs.length - 1; i >= 0 && apart(pairs[i]!); i--) from = pairs[i]!.at;
  return { leader, trailing, from, points: pairs.length };
}

/** Two arms of a comparison (compare.json's `separations`): their separation on both budget axes. */
export interface ArmSeparation {
  readonly arms: readonly [string, string];
  /** Over candidate counts (null: no budget at which both arms have an evaluated layer in every seed). */
  readonly byCandidates: Separation | null;
  /** Over training seconds, up to the least any search spent. */
  readonly bySeconds: Separation | null;
}

/** One line on two arms: which leads at the end, and from which budget on the 95% intervals stay apart. */
export function separationText({ arms, byCandidates, bySeconds }: ArmSeparation): string {
  const on = (s: Separation | null, unit: (x: number) => string): string =>
    s === null ? 'no common budget' : s.from === null ? `${s.leader} ahead at the end, intervals not apart there` : `${s.leader} above ${s.trailing} from ${unit(s.from)} on`;
  return `${arms[0]} vs ${arms[1]}, 95% intervals of the mean best so far over seeds: by candidates, ${on(byCandidates, (n) => `candidate ${n}`)}; by training seconds, ${on(bySeconds, (x) => `${Math.round(x)} s`)}`;
}

/** Two arms' searches of one seed compared candidate by candidate (they share the seed's draws, so they start alike). */
export interface SeedLead {
  readonly seed: string;
  /** The arm ahead after the last candidate both searches have; null when they are level there. */
  readonly leader: string | null;
  /** The least candidate count from which on the leader's best so far stays strictly above the other's; null when level at the end. */
  readonly from: number | null;
  /** Candidate counts at which the first arm's best so far was above, level with and below the second's. */
  readonly ahead: number;
  readonly level: number;
  readonly behind: number;
}

/** Per seed both arms have run, how their best-so-far curves compare (a search with nothing evaluated yet counts as below any score). */
export function seedLeads(arms: readonly [string, string], searches: ReadonlyArray<{ readonly arm: string; readonly seed: string; readonly byCandidates: ReadonlyArray<number | null> }>): SeedLead[] {
  const of = (arm: string, seed: string) => searches.find((s) => s.arm === arm && s.seed === seed)?.byCandidates;
  const seeds = [...new Set(searches.filter((s) => s.arm === arms[0]).map((s) => s.seed))];
  return seeds.flatMap((seed) => {
    const a = of(arms[0], seed);
    const b = of(arms[1], seed);
    if (!a || !b) return [];
    const length = Math.min(a.length, b.length);
    // Nothing evaluated yet is below any score; both without one are level (−∞ − −∞ is NaN, hence || 0).
    const sign = (i: number): number => Math.sign((a[i] ?? -Infinity) - (b[i] ?? -Infinity)) || 0;
    let ahead = 0;
    let level = 0;
    let behind = 0;
    for (let i = 0; i < length; i++) {
      const s = sign(i);
      if (s > 0) ahead++;
      else if (s < 0) behind++;
      else level++;
    }
    const end = length > 0 ? sign(length - 1) : 0;
    let from: number | null = null;
    if (end !== 0) for (let i = length - 1; i >= 0 && sign(i) === end; i--) from = i + 1;
    return [{ seed, leader: end > 0 ? arms[0] : end < 0 ? arms[1] : null, from, ahead, level, behind }];
  });
}

/** "paired by seed: seed 0 evolve above random from candidate 221 on (behind at 0 of 2000 counts); ..." */
export function seedLeadsText(arms: readonly [string, string], leads: readonly SeedLead[]): string {
  const one = (l: SeedLead): string => {
    const counts = `${arms[0]} ahead at ${l.ahead}, level at ${l.level}, behind at ${l.behind} of ${l.ahead + l.level + l.behind} counts`;
    if (l.leader === null) return `seed ${l.seed} level at the end (${counts})`;
    const trailing = l.leader === arms[0] ? arms[1] : arms[0];
    return `seed ${l.seed} ${l.leader} above ${trailing} from candidate ${l.from} on (${counts})`;
  };
  return `${arms[0]} vs ${arms[1]}, best so far paired by seed: ${leads.map(one).join('; ')}`;
}
