/**
 * The search's generator, counter-based: every random draw of candidate i is seeded by
 * (search seed, i, purpose). Its whole state is the seed and the next index, and the index is
 * the length of the history the selection service has persisted, so a resumed search draws
 * exactly what an uninterrupted one would have drawn (no generator state to lose in a crash).
 */

/** What a seed is for; each purpose is an independent stream. */
export const SEED_PURPOSE = { graph: 1, tournament: 2, mutation: 3, stability: 4, quality: 5, training: 6, micro: 7, start: 8 } as const;
export type SeedPurpose = keyof typeof SEED_PURPOSE;

function mix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * A seed in [0, 2^53) for draw `purpose` of candidate `index` (index -1: search-wide draws), from
 * a search seed anywhere in [0, 2^64): both 32-bit halves of the search seed are mixed in (search
 * seeds below 2^53 give the seeds they always gave).
 */
export function seedFor(searchSeed: bigint, index: number, purpose: SeedPurpose): bigint {
  const lo = Number(searchSeed & 0xffffffffn);
  const hi = Number((searchSeed >> 32n) & 0xffffffffn);
  let h = mix32(lo ^ 0x9e3779b9);
  h = mix32(h ^ hi);
  h = mix32(h ^ (index >>> 0));
  h = mix32(h ^ Math.imul(SEED_PURPOSE[purpose], 0x27d4eb2f));
  const h2 = mix32(h ^ 0x165667b1);
  return BigInt((h2 & 0x1fffff) * 2 ** 32 + h);
}

/** Training seed number j of a search's evaluations (the same for every candidate and architecture). */
export function evaluationSeed(searchSeed: bigint, j: number): bigint {
  return seedFor(searchSeed, -1 - j, 'training');
}

/**
 * The seed of quality try `attempt`: the same for every candidate, so candidates compare on equal
 * terms. Under --quality-rung try 0 is evaluation seed 0 instead, and tries 1, 2, ... use these.
 */
export function qualitySeed(searchSeed: bigint, attempt = 0): bigint {
  return seedFor(searchSeed, -1 - attempt, 'quality');
}

/** Candidate ids are positions in the search: c000000, c000001, ... */
export function candidateId(index: number): string {
  return `c${String(index).padStart(6, '0')}`;
}

export function candidateIndex(id: string): number | undefined {
  const match = /^c(\d{6,})$/.exec(id);
  return match ? Number(match[1]) : undefined;
}
