import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Candidate } from '@evonorm/contracts';
import { DEFAULT_PLAN, planFrom, planFromJson } from '../src/search/plan.js';
import { meanInterval, seedMeans } from '../src/search/outcomes.js';
import { MIN_SEEDS_TO_STOP, wantsMoreSeeds } from '../src/search/stage-adaptive.js';
import { evaluationSeed, fitnessOf, withMoreSeeds } from '../src/search/stage-evaluation.js';
import { seedFor } from '../src/search/seeds.js';
import { SECONDS_GRID, meanCurve, meanCurveBySeconds, searchCurve } from '../src/search/curves.js';
import { rerankSeed } from '../src/search/rerank.js';

const score = (architecture: string, seedAccuracies: number[], seconds = 1) => ({
  architecture,
  accuracy: seedAccuracies.reduce((s, x) => s + x, 0) / seedAccuracies.length,
  loss: 1,
  steps: 10,
  seconds,
  seedAccuracies,
  seeds: seedAccuracies.map((_, j) => evaluationSeed(5n, j)),
});
const evaluated = (id: string, perArch: Record<string, number[]>): Candidate => Candidate.fromPartial({ id, fitness: fitnessOf(Object.entries(perArch).map(([a, xs]) => score(a, xs))) });

describe('multi-seed evaluation', () => {
  it('seeds are shared by every candidate, seed 0 is the single-seed search seed, rerank seeds are a separate stream', () => {
    assert.equal(evaluationSeed(11n, 0), seedFor(11n, -1, 'training'));
    const seeds = new Set([0, 1, 2, 3].map((j) => evaluationSeed(11n, j)));
    assert.equal(seeds.size, 4);
    for (let j = 0; j < 4; j++) assert.ok(!seeds.has(rerankSeed(11n, j)));
  });

  it('fitness is the mean of per-architecture means, and seed j over architectures gives the interval', () => {
    const c = evaluated('c1', { resnet_v2: [0.6, 0.7, 0.8], mobilenet_v2: [0.4, 0.5, 0.6] });
    assert.ok(Math.abs(c.fitness!.meanAccuracy - 0.6) < 1e-12);
    assert.deepEqual(
      seedMeans(c).map((x) => Number(x.toFixed(12))),
      [0.5, 0.6, 0.7],
    );
    const ci = meanInterval(c);
    assert.equal(ci.n, 3);
    assert.ok(Math.abs(ci.halfWidth! - (4.30265273 * 0.1) / Math.sqrt(3)) < 1e-8);
  });

  it('more seeds append to every architecture and recompute the means', () => {
    const c = evaluated('c1', { resnet_v2: [0.6], mobilenet_v2: [0.4] });
    const more = withMoreSeeds(c.fitness!, [score('resnet_v2', [0.8], 2), score('mobilenet_v2', [0.6], 3)]);
    assert.deepEqual(
      more.scores.map((s) => [s.architecture, s.seedAccuracies, Number(s.accuracy.toFixed(12)), s.seconds]),
      [
        ['resnet_v2', [0.6, 0.8], 0.7, 3],
        ['mobilenet_v2', [0.4, 0.6], 0.5, 4],
      ],
    );
    assert.ok(Math.abs(more.meanAccuracy - 0.6) < 1e-12);
  });

  it('adaptive seeds go to contenders only, until the interval is tight or the cap is reached', () => {
    const plan = planFrom({ candidates: '1', 'adaptive-seeds': '6', 'adaptive-half-width': '0.02' });
    const one = evaluated('c1', { resnet_v2: [0.6] });
    assert.equal(wantsMoreSeeds(plan, one, undefined), true, 'the first evaluated candidate leads');
    assert.equal(wantsMoreSeeds(plan, one, 0.55), true, 'above the best so far');
    assert.equal(wantsMoreSeeds(plan, one, 0.65), false, 'one seed below the best: no contender');
    const wide = evaluated('c2', { resnet_v2: [0.5, 0.7] });
    assert.equal(wantsMoreSeeds(plan, wide, 0.9), true, 'its upper bound reaches the best');
    const tight = evaluated('c3', { resnet_v2: [0.6, 0.601, 0.6005, 0.6, 0.601] });
    assert.equal(wantsMoreSeeds(plan, tight, 0.5), false, 'interval tight enough');
    const luckyPair = evaluated('c5', { resnet_v2: [0.691, 0.691] });
    assert.equal(wantsMoreSeeds(plan, luckyPair, 0.5), true, `${MIN_SEEDS_TO_STOP - 1} or fewer seeds never count as tight`);
    assert.equal(wantsMoreSeeds(plan, evaluated('c4', { resnet_v2: [0.1, 0.9, 0.2, 0.8, 0.1, 0.9] }), 0.5), false, 'at the cap');
    assert.equal(wantsMoreSeeds({ ...plan, adaptiveSeeds: 0 }, one, undefined), false, 'off');
    assert.equal(wantsMoreSeeds(plan, { ...one, duplicateOf: 'c0' }, undefined), false, 'duplicates reuse their original');
  });

  it('plans check the seed flags, and old plans read back with one seed', () => {
    assert.equal(DEFAULT_PLAN.evaluationSeeds, 1);
    assert.throws(() => planFrom({ candidates: '1', 'evaluation-seeds': '0' }), /--evaluation-seeds must be an integer in 1\.\.64/);
    assert.throws(() => planFrom({ candidates: '1', 'evaluation-seeds': '3', 'adaptive-seeds': '3' }), /--adaptive-seeds must be 0 \(off\) or an integer in 4\.\.64/);
    const { evaluationSeeds: _a, adaptiveSeeds: _b, adaptiveHalfWidth: _c, ...old } = { ...DEFAULT_PLAN, seed: '3' };
    const read = planFromJson(old);
    assert.deepEqual([read.evaluationSeeds, read.adaptiveSeeds, read.seed], [1, 0, 3n]);
  });
});

describe('comparison curves', () => {
  it('track the best so far by candidates and by training seconds, counting rejections and not duplicates', () => {
    const history = [
      Candidate.fromPartial({ id: 'c0', rejection: { reason: 8, scores: [{ architecture: 'resnet_v2', accuracy: 0.1, seconds: 2 }] } }),
      evaluated('c1', { resnet_v2: [0.5] }),
      evaluated('c2', { resnet_v2: [0.4] }),
      { ...evaluated('c3', { resnet_v2: [0.5] }), duplicateOf: 'c1' },
      evaluated('c4', { resnet_v2: [0.7] }),
    ];
    const curve = searchCurve(history);
    assert.deepEqual(curve.byCandidates, [null, 0.5, 0.5, 0.5, 0.7]);
    assert.deepEqual(
      curve.bySeconds.map((p) => p.seconds),
      [2, 3, 4, 4, 5],
    );
    assert.deepEqual([curve.rejections, curve.duplicates, curve.evaluated, curve.best?.id], [{ low_quality: 1 }, 1, 4, 'c4']);
    const mean = meanCurve([curve.byCandidates, [0.3, 0.3, 0.6, 0.6, 0.6]]);
    assert.deepEqual(
      mean.map((m) => [m.candidates, Number(m.mean.toFixed(12)), m.n]),
      [
        [2, 0.4, 2],
        [3, 0.55, 2],
        [4, 0.55, 2],
        [5, 0.65, 2],
      ],
    );
  });

  it('compare searches at equal training seconds, each at its best within the budget', () => {
    // Search a reaches 0.6 after 10 s and 0.8 after 40 s; search b reaches 0.5 after 20 s only.
    const a = [
      { seconds: 10, best: 0.6 },
      { seconds: 40, best: 0.8 },
    ];
    const b = [
      { seconds: 5, best: null },
      { seconds: 20, best: 0.5 },
    ];
    const curve = meanCurveBySeconds([a, b], 40);
    assert.equal(curve.at(-1)!.seconds, 40);
    // Before 20 s search b has no evaluated layer: those points are left out.
    assert.equal(curve[0]!.seconds, 20);
    assert.equal(curve.length, SECONDS_GRID / 2 + 1);
    const at = (t: number) => curve.find((p) => Math.abs(p.seconds - t) < 1e-9)!;
    assert.equal(at(20).mean, (0.6 + 0.5) / 2);
    assert.equal(at(38).mean, (0.6 + 0.5) / 2, 'a search counts a layer only once its seconds are spent');
    assert.equal(at(40).mean, (0.8 + 0.5) / 2);
    assert.equal(at(40).n, 2);
    assert.deepEqual(meanCurveBySeconds([a, b], 0), []);
    assert.deepEqual(meanCurveBySeconds([], 40), []);
  });
});
