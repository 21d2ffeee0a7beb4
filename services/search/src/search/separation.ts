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
