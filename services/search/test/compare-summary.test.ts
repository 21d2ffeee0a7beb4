import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { summarize, type SearchEntry } from '../src/commands/compare.js';
import { seedLeads, seedLeadsText, separation, separationText } from '../src/search/separation.js';
import { confidenceInterval } from '../src/search/statistics.js';

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

  it("says from which candidate count on the arms' 95% intervals stay apart, on both budget axes", () => {
    // Two seeds per arm. The intervals (t with 1 df: ±12.7 sd/√2) overlap until candidate 3, touch
    // nowhere after it: evolve's seeds agree closely from there, random's stay at 0.40 and 0.41.
    const finished = [entry('evolve', 0, [0.3, 0.5, 0.7, 0.8]), entry('random', 0, [0.4, 0.4, 0.4, 0.4]), entry('evolve', 1, [0.5, 0.45, 0.701, 0.801]), entry('random', 1, [0.41, 0.41, 0.41, 0.41])];
    const result = summarize({ ...head, candidates: 4 }, order, finished);
    const [s] = result.separations;
    assert.deepEqual(s!.arms, ['evolve', 'random']);
    assert.deepEqual(s!.byCandidates, { leader: 'evolve', trailing: 'random', from: 3, points: 4 });
    // By seconds (one second per candidate): the grid's points from 3 s on.
    assert.equal(s!.bySeconds!.leader, 'evolve');
    assert.equal(s!.bySeconds!.from, 3);
    assert.equal(
      separationText(s!),
      'evolve vs random, 95% intervals of the mean best so far over seeds: by candidates, evolve above random from candidate 3 on; by training seconds, evolve above random from 3 s on',
    );
  });

  it('names the leader but no budget when the intervals overlap at the end, or with one seed', () => {
    const point = (candidates: number, xs: number[]) => ({ candidates, ...confidenceInterval(xs) });
    const apartThenNot = separation({ arm: 'a', curve: [point(1, [0.9, 0.91]), point(2, [0.9, 0.91])] }, { arm: 'b', curve: [point(1, [0.1, 0.11]), point(2, [0.5, 1.0])] }, (p) => p.candidates);
    // Apart at 1, overlapping at 2 (the last point): no budget from which on they stay apart. b's mean 0.75 < a's 0.905.
    assert.deepEqual(apartThenNot, { leader: 'a', trailing: 'b', from: null, points: 2 });
    const oneSeed = separation({ arm: 'a', curve: [point(1, [0.2])] }, { arm: 'b', curve: [point(1, [0.9])] }, (p) => p.candidates);
    assert.deepEqual(oneSeed, { leader: 'b', trailing: 'a', from: null, points: 1 });
    // Curves with no budget in common.
    assert.equal(
      separation({ arm: 'a', curve: [point(1, [0.2, 0.3])] }, { arm: 'b', curve: [point(2, [0.2, 0.3])] }, (p) => p.candidates),
      null,
    );
    assert.equal(
      separationText({ arms: ['a', 'b'], byCandidates: oneSeed, bySeconds: null }),
      'a vs b, 95% intervals of the mean best so far over seeds: by candidates, b ahead at the end, intervals not apart there; by training seconds, no common budget',
    );
  });

  it("compares each seed's two searches candidate by candidate: who leads at the end, from when, and how often", () => {
    const searches = [
      { arm: 'evolve', seed: '0', byCandidates: [null, 0.5, 0.5, 0.7, 0.8] },
      { arm: 'random', seed: '0', byCandidates: [null, 0.5, 0.6, 0.6, 0.6] },
      { arm: 'evolve', seed: '1', byCandidates: [0.4, 0.4, 0.4] },
      { arm: 'random', seed: '1', byCandidates: [null, 0.4, 0.4] },
      { arm: 'evolve', seed: '2', byCandidates: [0.5] }, // random-seed2 has not run
    ];
    const leads = seedLeads(['evolve', 'random'], searches);
    assert.deepEqual(leads, [
      { seed: '0', leader: 'evolve', from: 4, ahead: 2, level: 2, behind: 1 },
      // Candidate 1: evolve had a score, random none yet; level from then on.
      { seed: '1', leader: null, from: null, ahead: 1, level: 2, behind: 0 },
    ]);
    assert.equal(
      seedLeadsText(['evolve', 'random'], leads),
      'evolve vs random, best so far paired by seed: seed 0 evolve above random from candidate 4 on (evolve ahead at 2, level at 2, behind at 1 of 5 counts); seed 1 level at the end (evolve ahead at 1, level at 2, behind at 0 of 3 counts)',
    );
    const result = summarize({ ...head, candidates: 5 }, order, [entry('evolve', 0, [0.3, 0.5]), entry('random', 0, [0.4, 0.4])]);
    assert.deepEqual(result.seedLeads, [{ arms: ['evolve', 'random'], seeds: [{ seed: '0', leader: 'evolve', from: 2, ahead: 1, level: 0, behind: 1 }] }]);
  });
});
