import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_SEED, Rng, parseSeed } from '../src/index.js';

describe('Rng', () => {
  it('gives the same sequence for the same seed and different ones for different seeds', () => {
    const a = Rng.fromSeed(42);
    const b = Rng.fromSeed(42);
    const c = Rng.fromSeed(43);
    const seqA = Array.from({ length: 100 }, () => a.nextUint32());
    assert.deepEqual(
      Array.from({ length: 100 }, () => b.nextUint32()),
      seqA,
    );
    assert.notDeepEqual(
      Array.from({ length: 100 }, () => c.nextUint32()),
      seqA,
    );
  });

  it('separates seeds that differ only above 32 bits', () => {
    assert.notEqual(Rng.fromSeed(1).nextUint32(), Rng.fromSeed(1 + 2 ** 32).nextUint32());
  });

  it('keeps the streams seeds below 2^53 had before bigint seeds existed, as numbers or bigints', () => {
    // First words of the generator as it was before 64-bit seeds (commit 7859f73): searches keep their results.
    const before: Array<[number, number[]]> = [
      [42, [2837322924, 544945897, 479756282]],
      [2 ** 32 + 7, [3142239856, 2553708286, 2393956051]],
      [2 ** 53 - 1, [1764558986, 2416934603, 1623258036]],
    ];
    for (const [seed, words] of before) {
      for (const rng of [Rng.fromSeed(seed), Rng.fromSeed(BigInt(seed))]) {
        assert.deepEqual([rng.nextUint32(), rng.nextUint32(), rng.nextUint32()], words, `seed ${seed}`);
      }
    }
  });

  it('takes the full uint64 range and separates the largest seeds', () => {
    const max = 2n ** 64n - 1n;
    const streams = [max, max - 1n, 2n ** 53n, 2n ** 53n + 1n, 2n ** 63n, 0x1234_5678n << 32n].map((seed) => {
      const rng = Rng.fromSeed(seed);
      return Array.from({ length: 8 }, () => rng.nextUint32()).join(',');
    });
    assert.equal(new Set(streams).size, streams.length);
    const again = Rng.fromSeed(max);
    assert.equal(Array.from({ length: 8 }, () => again.nextUint32()).join(','), streams[0]);
    assert.throws(() => Rng.fromSeed(2n ** 64n), /seed must be an integer in \[0, 2\^64\)/);
    assert.throws(() => Rng.fromSeed(-1n), /seed must be an integer/);
    assert.throws(() => Rng.fromSeed(2 ** 53), /seed must be an integer/);
  });

  it('parses seeds from text over the whole uint64 range and names the range otherwise', () => {
    assert.equal(parseSeed('18446744073709551615'), MAX_SEED);
    assert.equal(parseSeed(' 0 '), 0n);
    assert.equal(parseSeed('42'), 42n);
    for (const bad of ['18446744073709551616', '-1', '1.5', '0x10', '', 'seven']) assert.throws(() => parseSeed(bad), /must be an integer in \[0, 2\^64 - 1/, bad);
  });

  it('resumes exactly from a saved state', () => {
    const rng = Rng.fromSeed(7);
    for (let i = 0; i < 37; i++) rng.float();
    const saved = rng.state();
    const expected = Array.from({ length: 50 }, () => rng.nextUint32());
    const resumed = Rng.fromState([...saved]);
    assert.deepEqual(
      Array.from({ length: 50 }, () => resumed.nextUint32()),
      expected,
    );
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
    assert.deepEqual(
      [...s].sort((a, b) => a - b),
      Array.from({ length: 20 }, (_, i) => i),
    );
    assert.throws(() => rng.sample(3, 4));
  });
});
