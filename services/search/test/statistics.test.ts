import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { confidenceInterval, intervalText, mean, pairedDifference, ranks, sd, spearman, tCdf, tQuantile } from '../src/search/statistics.js';

const close = (actual: number, expected: number, tolerance: number, what: string): void => assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} vs ${expected}`);

describe('statistics over seeds', () => {
  it('mean and sample sd match hand computation', () => {
    assert.equal(mean([1, 2, 3, 6]), 3);
    close(sd([2, 4, 4, 4, 5, 5, 7, 9]), Math.sqrt(32 / 7), 1e-12, 'sd');
    assert.ok(Number.isNaN(sd([1])));
  });

  it("Student's t CDF matches its closed forms for 1 and 2 degrees of freedom", () => {
    for (const t of [-3, -0.4, 0, 0.7, 2.5, 10]) {
      close(tCdf(t, 1), 0.5 + Math.atan(t) / Math.PI, 1e-12, `df 1, t ${t}`);
      close(tCdf(t, 2), 0.5 + t / (2 * Math.sqrt(2 + t * t)), 1e-12, `df 2, t ${t}`);
    }
    // df 3: 1/2 + (θ + sinθ cosθ)/π with θ = atan(t/√3); other df by symmetry (and the table below).
    for (const t of [-2, 0.5, 3]) close(tCdf(t, 3), 0.5 + (Math.atan(t / Math.sqrt(3)) + t / Math.sqrt(3) / (1 + (t * t) / 3)) / Math.PI, 1e-12, `df 3, t ${t}`);
    for (const df of [4, 7, 30]) close(tCdf(-1.3, df) + tCdf(1.3, df), 1, 1e-12, `symmetry df ${df}`);
    assert.throws(() => tCdf(1, 2.5), RangeError);
  });

  it('t quantiles match the published table', () => {
    const table: Array<[number, number]> = [
      [1, 12.706204736],
      [2, 4.30265273],
      [3, 3.182446305],
      [4, 2.776445105],
      [10, 2.228138852],
      [30, 2.042272456],
    ];
    for (const [df, q] of table) close(tQuantile(0.975, df), q, 1e-7, `t_0.975,${df}`);
    close(tQuantile(0.95, 5), 2.015048373, 1e-7, 't_0.95,5');
    close(tQuantile(0.025, 3), -3.182446305, 1e-7, 'lower tail');
    close(tQuantile(0.975, 1000), 1.962339, 1e-5, 't_0.975,1000, near the normal quantile');
  });

  it('a 95% interval over three seeds is mean ± t_{0.975,2} sd / √3; one seed has none', () => {
    const ci = confidenceInterval([0.1, 0.2, 0.3]);
    close(ci.mean, 0.2, 1e-15, 'mean');
    close(ci.sd!, 0.1, 1e-15, 'sd');
    close(ci.halfWidth!, (4.30265273 * 0.1) / Math.sqrt(3), 1e-9, 'half-width');
    close(ci.low!, 0.2 - ci.halfWidth!, 1e-15, 'low');
    const one = confidenceInterval([0.4]);
    assert.deepEqual([one.n, one.mean, one.halfWidth], [1, 0.4, null]);
    assert.equal(intervalText(ci), '20.0% ± 24.8');
    assert.equal(intervalText(one), '40.0%');
  });

  it('a paired difference is the interval of the seed-by-seed differences', () => {
    const d = pairedDifference([0.7, 0.8, 0.9], [0.6, 0.75, 0.8]);
    close(d.mean, 0.25 / 3, 1e-12, 'mean difference');
    close(d.sd!, sd([0.1, 0.05, 0.1]), 1e-12, 'sd of differences');
    // Pairing removes the shared seed effect: the unpaired spread is far wider.
    assert.ok(d.halfWidth! < confidenceInterval([0.7, 0.8, 0.9]).halfWidth!);
    assert.throws(() => pairedDifference([1, 2], [1]), RangeError);
  });

  it("Spearman's correlation: monotone ±1, the no-ties formula, average ranks for ties", () => {
    assert.equal(spearman([1, 2, 3, 4], [10, 20, 30, 1000]), 1);
    assert.equal(spearman([1, 2, 3, 4], [4, 3, 2, 1]), -1);
    // 1 - 6 Σd² / (n(n² - 1)) with d = (-1, 1, -1, 1, 0): 1 - 24/120.
    close(spearman([1, 2, 3, 4, 5], [2, 1, 4, 3, 5]), 0.8, 1e-12, 'rho');
    assert.deepEqual(ranks([10, 20, 20, 30]), [1, 2.5, 2.5, 4]);
    assert.ok(Number.isNaN(spearman([1, 1, 1], [1, 2, 3])));
  });
});
