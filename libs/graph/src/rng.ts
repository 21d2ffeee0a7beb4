/**
 * Seeded pseudo-random generator (xoshiro128**), passed explicitly to everything random.
 * Its whole state is four uint32 words, so a search can persist it and resume exactly.
 */

/** A seed: an integer in [0, 2^53) as a number, or any uint64 as a bigint (what the wire carries). */
export type Seed = number | bigint;

/** The largest seed: 2^64 - 1, a uint64's range (what Python's random.getrandbits(64) may give). */
export const MAX_SEED = 0xffffffffffffffffn;

/** A seed from decimal text (a flag, an environment variable): any integer in [0, 2^64). */
export function parseSeed(text: string): bigint {
  const trimmed = text.trim();
  if (!/^\d+$/.test(trimmed) || BigInt(trimmed) > MAX_SEED) throw new RangeError(`must be an integer in [0, 2^64 - 1 = ${MAX_SEED}], got ${JSON.stringify(text)}`);
  return BigInt(trimmed);
}

/** The generator's full state: four uint32 words, not all zero. */
export type RngState = readonly [number, number, number, number];

const TWO_POW_32 = 4294967296;
/** Seeds whose high 32-bit half reaches this are 2^53 or more. */
const HI_OF_2_POW_53 = 0x200000;

function splitMix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  private constructor(state: RngState) {
    [this.a, this.b, this.c, this.d] = state;
  }

  /**
   * A generator from a seed: an integer in [0, 2^53) as a number, or any uint64 as a bigint; equal
   * seeds give equal sequences. Both 32-bit halves of the seed feed a splitmix32 stream that fills
   * the state (the mapping seeds below 2^53 have always had, kept so their results don't change);
   * above 2^53 the high half also seeds a second stream xored into the state, so distinct seeds
   * there (2^64-1 and 2^64-2, say) start distinct generators.
   */
  static fromSeed(seed: Seed): Rng {
    let lo: number;
    let hi: number;
    if (typeof seed === 'bigint') {
      if (seed < 0n || seed > MAX_SEED) throw new RangeError(`seed must be an integer in [0, 2^64), got ${seed}`);
      lo = Number(seed & 0xffffffffn);
      hi = Number(seed >> 32n);
    } else {
      if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`seed must be an integer in [0, 2^53) (or a bigint below 2^64), got ${seed}`);
      lo = seed >>> 0;
      hi = Math.floor(seed / TWO_POW_32) >>> 0;
    }
    const next = splitMix32(lo ^ Math.imul(hi, 0x27d4eb2f));
    const state: [number, number, number, number] = [next(), next(), next(), next()];
    if (hi >= HI_OF_2_POW_53) {
      const more = splitMix32(hi ^ 0x5851f42d);
      for (let i = 0; i < 4; i++) state[i] = (state[i]! ^ more()) >>> 0;
    }
    if ((state[0] | state[1] | state[2] | state[3]) === 0) state[0] = 1;
    return new Rng(state);
  }

  /** Restores a generator saved with `state()`. */
  static fromState(state: readonly number[]): Rng {
    if (state.length !== 4 || state.some((w) => !Number.isInteger(w) || w < 0 || w >= TWO_POW_32)) {
      throw new RangeError('rng state must be four uint32 words');
    }
    if (state.every((w) => w === 0)) throw new RangeError('rng state must not be all zero');
    return new Rng([state[0]!, state[1]!, state[2]!, state[3]!]);
  }

  state(): RngState {
    return [this.a, this.b, this.c, this.d];
  }

  clone(): Rng {
    return new Rng(this.state());
  }

  /** Next uniform uint32. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.b << 9) >>> 0;
    this.c = (this.c ^ this.a) >>> 0;
    this.d = (this.d ^ this.b) >>> 0;
    this.b = (this.b ^ this.c) >>> 0;
    this.a = (this.a ^ this.d) >>> 0;
    this.c = (this.c ^ t) >>> 0;
    this.d = rotl(this.d, 11);
    return result;
  }

  /** Uniform float in [0, 1) with 53 random bits. */
  float(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform integer in [0, n), unbiased (rejection of the short last bucket). */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > TWO_POW_32) {
      throw new RangeError(`int(n) needs an integer n in [1, 2^32], got ${n}`);
    }
    const limit = TWO_POW_32 - (TWO_POW_32 % n);
    for (;;) {
      const u = this.nextUint32();
      if (u < limit) return u % n;
    }
  }

  /** Uniform integer in [lo, hi] inclusive. */
  intBetween(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick from an empty list');
    return items[this.int(items.length)]!;
  }

  /** Standard normal sample (Box-Muller; one sample per call keeps the state simple). */
  normal(): number {
    const u = 1 - this.float(); // (0, 1]
    const v = this.float();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** A seed for an independent child generator (e.g. the seed of one remote call). */
  seed(): number {
    return (this.nextUint32() & 0x1fffff) * TWO_POW_32 + this.nextUint32();
  }

  /** k distinct indices from [0, n), in random order. */
  sample(n: number, k: number): number[] {
    if (k > n) throw new RangeError(`cannot sample ${k} of ${n}`);
    const pool = Array.from({ length: n }, (_, i) => i);
    for (let i = 0; i < k; i++) {
      const j = i + this.int(n - i);
      const t = pool[i]!;
      pool[i] = pool[j]!;
      pool[j] = t;
    }
    return pool.slice(0, k);
  }
}
