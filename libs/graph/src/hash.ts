/**
 * A small, fast 64-bit streaming hash over uint32 words (two murmur3-style lanes), rendered as 16
 * hex characters. Used for structural and functional hashes; not cryptographic.
 */

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

export class Hash64 {
  private h1: number;
  private h2: number;
  private length = 0;

  constructor(seed = 0) {
    this.h1 = (0x9747b28c ^ seed) >>> 0;
    this.h2 = (0x85ebca6b ^ Math.imul(seed, 0x27d4eb2f)) >>> 0;
  }

  word(value: number): this {
    let k = Math.imul(value >>> 0, C1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2);
    this.h1 ^= k;
    this.h1 = (this.h1 << 13) | (this.h1 >>> 19);
    this.h1 = (Math.imul(this.h1, 5) + 0xe6546b64) >>> 0;
    let j = Math.imul((value ^ 0x5bd1e995) >>> 0, C2);
    j = (j << 17) | (j >>> 15);
    j = Math.imul(j, C1);
    this.h2 ^= j;
    this.h2 = (this.h2 << 15) | (this.h2 >>> 17);
    this.h2 = (Math.imul(this.h2, 5) + 0x38495ab5) >>> 0;
    this.h2 = (this.h2 + this.h1) >>> 0;
    this.length++;
    return this;
  }

  /** Feeds a signed integer up to 2^53 in magnitude as two words. */
  int(value: number): this {
    const hi = Math.floor(value / 4294967296);
    return this.word(value >>> 0).word(hi >>> 0);
  }

  /**
   * Feeds many int32 words with a lighter per-word mix (one multiply-xorshift per lane); used for
   * the functional probe's hundreds of rounded outputs, where `word` would dominate the cost.
   */
  int32s(values: Int32Array): this {
    let a = this.h1;
    let b = this.h2;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      a = Math.imul(a ^ v, 0x9e3779b1);
      a ^= a >>> 15;
      b = Math.imul(b + v, 0x85ebca77) ^ a;
      b ^= b >>> 13;
    }
    this.h1 = a >>> 0;
    this.h2 = b >>> 0;
    this.length += values.length;
    return this;
  }

  string(text: string): this {
    this.word(text.length);
    for (let i = 0; i < text.length; i++) this.word(text.charCodeAt(i));
    return this;
  }

  /** Final 64 bits as [high, low] uint32 words. */
  digest(): [number, number] {
    let a = (this.h1 ^ this.length) >>> 0;
    let b = (this.h2 ^ this.length) >>> 0;
    a = (a + b) >>> 0;
    b = (b + a) >>> 0;
    a = fmix(a);
    b = fmix(b);
    a = (a + b) >>> 0;
    b = (b + a) >>> 0;
    return [a, b];
  }

  hex(): string {
    const [a, b] = this.digest();
    return a.toString(16).padStart(8, '0') + b.toString(16).padStart(8, '0');
  }
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
