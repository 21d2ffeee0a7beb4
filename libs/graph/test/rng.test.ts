import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Rng } from '../src/index.js';

describe('Rng', () => {
  it('gives the same sequence for the same seed and different ones for different seeds', () => {
    const a = Rng.fromSeed(42);
    const b = Rng.fromSeed(42);
    const c = Rng.fromSeed(43);
    const seqA = Array.from({ length: 100 }, () => a.nextUint32());
    assert.deepEqual(Array.from({ length: 100 }, () => b.nextUint32()), seqA);
    assert.notDeepEqual(Array.from({ length: 100 }, () => c.nextUint32()), seqA);
  });

  it('separates seeds that differ only above 32 bits', () => {
    assert.notEqual(Rng.fromSeed(1).nextUint32(), Rng.fromSeed(1 + 2 ** 32).nextUint32());
  });

  it('resumes exactly from a saved state', () => {
    const rng = Rng.fromSeed(7);
    for (let i = 0; i < 37; i++) rng.float();
    const saved = rng.state();
    const expected = Array.from({ length: 50 }, () => rng.nextUint32());
    const resumed = Rng.fromState([...saved]);
    assert.deepEqual(Array.from({ length: 50 }, () => resumed.nextUint32()), expected);
  });

  it('rejects bad seeds and states', () => {
    assert.throws(() => Rng.fromSeed(-1), /seed must be an integer/);
    assert.throws(() => Rng.fromSeed(1.5), /seed must be an integer/);
    assert.throws(() => Rng.fromState([0, 0, 0, 0]), /all zero/);
    assert.throws(() => Rng.fromState([1, 2, 3]), /four uint32/);
    assert.throws(() => Rng.fromState([1, 2, 3, 2 ** 32]), /four uint32/);
  });

  it('draws integers in range with roughly uniform frequencies (chi-square)', () => {
    const rng = Rng.fromSeed(3);
    const k = 7;
    const draws = 70_000;
    const counts = new Array<number>(k).fill(0);
    for (let i = 0; i < draws; i++) {
      const v = rng.int(k);
      assert.ok(v >= 0 && v < k && Number.isInteger(v));
      counts[v]!++;
    }
    const expected = draws / k;
    const chi2 = counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
    // 6 degrees of freedom: P(chi2 > 22.46) = 0.001.
    assert.ok(chi2 < 22.46, `chi2 = ${chi2}`);
  });

  it('draws floats in [0, 1) with mean 1/2 and normals with mean 0 and variance 1', () => {
    const rng = Rng.fromSeed(11);
    const n = 100_000;
    let sum = 0;
    let nsum = 0;
    let nsq = 0;
    for (let i = 0; i < n; i++) {
      const f = rng.float();
      assert.ok(f >= 0 && f < 1);
      sum += f;
      const z = rng.normal();
      nsum += z;
      nsq += z * z;
    }
    assert.ok(Math.abs(sum / n - 0.5) < 0.005);
    assert.ok(Math.abs(nsum / n) < 0.02);
    assert.ok(Math.abs(nsq / n - 1) < 0.02);
  });

  it('samples distinct indices', () => {
    const rng = Rng.fromSeed(5);
    const s = rng.sample(20, 20);
    assert.deepEqual([...s].sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i));
    assert.throws(() => rng.sample(3, 4));
  });
});
