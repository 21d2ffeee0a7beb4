import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { summarize, type SearchEntry } from '../src/commands/compare.js';

/** A finished search whose best-so-far is `bests` after candidates 1, 2, ..., one training second each. */
function entry(arm: string, seed: number, bests: ReadonlyArray<number | null>): SearchEntry {
  return {
    name: `${arm}-seed${seed}`,
    arm,
    strategy: arm,
    seed: String(seed),
    dir: `/cmp/${arm}-seed${seed}`,
    candidates: bests.length,
    byCandidates: bests,
    bySeconds: bests.map((best, i) => ({ seconds: i + 1, best })),
    rejections: {},
    duplicates: 0,
    evaluated: bests.filter((b) => b !== null).length,
    trainingSeconds: bests.length,
    best: null,
    generalization: null,
  };
}

const arms = [
  { name: 'evolve', strategy: 'evolve', flags: [] },
  { name: 'random', strategy: 'random', flags: [] },
];
const head = { version: 1 as const, candidates: 3, strategies: ['evolve', 'random'], arms, seeds: ['0', '1'], searchFlags: [], rerank: null };
// Seed-major, as compare runs them.
const order = ['evolve-seed0', 'random-seed0', 'evolve-seed1', 'random-seed1'].map((name) => ({ name }));

describe('compare.json of a comparison stopped part way', () => {
  it('summarizes the finished searches arm by arm and names the ones still to run', () => {
    const finished = [entry('evolve', 0, [null, 0.5, 0.7]), entry('random', 0, [0.4, 0.4, 0.4]), entry('evolve', 1, [0.6, 0.6, 0.8])];
    const result = summarize(head, order, finished);
    assert.deepEqual(
      result.searches.map((s) => s.name),
      ['evolve-seed0', 'evolve-seed1', 'random-seed0'],
    );
    assert.deepEqual(result.pending, ['random-seed1']);
    // evolve over its two finished seeds: candidate 1 is left out (seed 0 had nothing evaluated yet).
    assert.deepEqual(
      result.summary.evolve!.map((p) => [p.candidates, p.n, p.mean]),
      [
        [2, 2, 0.55],
        [3, 2, 0.75],
      ],
    );
    assert.deepEqual(
      result.summary.random!.map((p) => [p.candidates, p.n, p.mean]),
      [
        [1, 1, 0.4],
        [2, 1, 0.4],
        [3, 1, 0.4],
      ],
    );
    assert.ok(Object.values(result.summaryBySeconds).every((curve) => curve.every((p) => p.seconds <= 3)));
  });

  it('has nothing pending once every search has finished, and empty curves before any has', () => {
    const all = [entry('evolve', 0, [0.5]), entry('random', 0, [0.4]), entry('evolve', 1, [0.6]), entry('random', 1, [0.3])];
    assert.deepEqual(summarize(head, order, all).pending, []);
    const none = summarize(head, order, []);
    assert.deepEqual(
      none.pending,
      order.map((o) => o.name),
    );
    assert.deepEqual(none.summary, { evolve: [], random: [] });
    assert.deepEqual(none.summaryBySeconds, { evolve: [], random: [] });
  });
});
