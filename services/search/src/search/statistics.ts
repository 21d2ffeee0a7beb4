/**
 * The statistics every multi-seed figure uses, once: mean, sample standard deviation, Student-t
 * quantiles, the 95% confidence interval of a mean over seeds, the paired difference of two
 * layers trained on the same seeds, and Spearman's rank correlation. Pure functions, no I/O.
 */

export function mean(xs: readonly number[]): number {
  return xs.length === 0 ? NaN : xs.reduce((s, x) => s + x, 0) / xs.length;
}

/** Sample standard deviation (n - 1 in the denominator); NaN below two values. */
export function sd(xs: readonly number[]): number {
  if (xs.length < 2) return NaN;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1));
}

/**
 * P(T ≤ t) for Student's t with an integer number of degrees of freedom (what n - 1 seeds give),
 * by the exact finite series in θ = atan(t/√df) (Abramowitz & Stegun 26.7.3-4).
 */
export function tCdf(t: number, df: number): number {
  if (!Number.isInteger(df) || df < 1) throw new RangeError(`tCdf: degrees of freedom must be a positive integer, got ${df}`);
  if (t === Infinity) return 1;
  if (t === -Infinity) return 0;
  const theta = Math.atan(t / Math.sqrt(df));
  const c2 = Math.cos(theta) ** 2;
  const s = Math.sin(theta);
  let a: number; // P(-|t| < T < |t|), signed like t
  if (df % 2 === 1) {
    // 1 + (2/3)c² + (2·4)/(3·5)c⁴ + ... up to c^(df-3).
    let sum = 0;
    let term = 1;
    for (let j = 1; 2 * j - 1 <= df - 2; j++) {
      sum += term;
      term *= ((2 * j) / (2 * j + 1)) * c2;
    }
    a = (2 / Math.PI) * (theta + (df > 1 ? s * Math.cos(theta) * sum : 0));
  } else {
    // 1 + (1/2)c² + (1·3)/(2·4)c⁴ + ... up to c^(df-2).
    let sum = 0;
    let term = 1;
    for (let j = 1; 2 * j <= df; j++) {
      sum += term;
      term *= ((2 * j - 1) / (2 * j)) * c2;
    }
    a = s * sum;
  }
  return 0.5 + a / 2;
}

/** The p-quantile of Student's t with `df` degrees of freedom (e.g. p = 0.975 for a two-sided 95% interval). */
export function tQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1) || !(df > 0)) return NaN;
  if (p === 0.5) return 0;
  if (p < 0.5) return -tQuantile(1 - p, df);
  let lo = 0;
  let hi = 1;
  while (tCdf(hi, df) < p) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-13 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (tCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** A mean over seeds with its two-sided confidence interval (half-width null below two seeds). */
export interface Interval {
  readonly n: number;
  readonly mean: number;
  readonly sd: number | null;
  readonly halfWidth: number | null;
  readonly low: number | null;
  readonly high: number | null;
}

/** The mean of `xs` and its `level` (default 95%) t-interval: mean ± t_{(1+level)/2, n-1} · sd / √n. */
export function confidenceInterval(xs: readonly number[], level = 0.95): Interval {
  const n = xs.length;
  const m = mean(xs);
  if (n < 2) return { n, mean: m, sd: null, halfWidth: null, low: null, high: null };
  const s = sd(xs);
  const halfWidth = (tQuantile((1 + level) / 2, n - 1) * s) / Math.sqrt(n);
  return { n, mean: m, sd: s, halfWidth, low: m - halfWidth, high: m + halfWidth };
}

/** a - b seed by seed (both trained on the same seeds, in the same order), with its interval. */
export function pairedDifference(a: readonly number[], b: readonly number[], level = 0.95): Interval {
  if (a.length !== b.length) throw new RangeError(`paired samples differ in length: ${a.length} and ${b.length}`);
  return confidenceInterval(
    a.map((x, i) => x - b[i]!),
    level,
  );
}

/** Ranks from 1, ties sharing the average of their positions. */
export function ranks(xs: readonly number[]): number[] {
  const order = xs.map((x, i) => ({ x, i })).sort((p, q) => p.x - q.x);
  const out = new Array<number>(xs.length);
  for (let start = 0; start < order.length;) {
    let end = start;
    while (end + 1 < order.length && order[end + 1]!.x === order[start]!.x) end++;
    const rank = (start + end) / 2 + 1;
    for (let k = start; k <= end; k++) out[order[k]!.i] = rank;
    start = end + 1;
  }
  return out;
}

function pearson(x: readonly number[], y: readonly number[]): number {
  const mx = mean(x);
  const my = mean(y);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < x.length; i++) {
    sxy += (x[i]! - mx) * (y[i]! - my);
    sxx += (x[i]! - mx) ** 2;
    syy += (y[i]! - my) ** 2;
  }
  return sxx === 0 || syy === 0 ? NaN : sxy / Math.sqrt(sxx * syy);
}

/** Spearman's rank correlation (Pearson's on average ranks, so ties are handled); NaN when either side is constant. */
export function spearman(x: readonly number[], y: readonly number[]): number {
  if (x.length !== y.length) throw new RangeError(`spearman: ${x.length} and ${y.length} values`);
  if (x.length < 2) return NaN;
  return pearson(ranks(x), ranks(y));
}

/** "68.4% ± 1.2" (points), or "68.4%" for a single seed. */
export function intervalText(interval: Pick<Interval, 'mean' | 'halfWidth'>, digits = 1): string {
  const m = `${(100 * interval.mean).toFixed(digits)}%`;
  return interval.halfWidth === null ? m : `${m} ± ${(100 * interval.halfWidth).toFixed(digits)}`;
}
