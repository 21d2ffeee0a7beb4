import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Candidate, InferenceCost, RejectionReason } from '@evonorm/contracts';
import { reuse } from '../src/search/outcomes.js';
import { numericsChange } from '../src/search/run-folder.js';
import { DEFAULT_PLAN, PlanError, candidateId, candidateIndex, candidateTable, newStats, paretoFront, parseScale, planFrom, renderView, scaleFor, seedFor, topCandidates } from '../src/index.js';

const evaluated = (id: string, scores: Record<string, number>, duplicateOf = ''): Candidate =>
  Candidate.fromPartial({
    id,
    duplicateOf,
    formula: { text: `f(${id})`, latex: '' },
    fitness: { scores: Object.entries(scores).map(([architecture, accuracy]) => ({ architecture, accuracy })), meanAccuracy: 0 },
  });

describe('search seeds', () => {
  it('are deterministic, distinct across candidates and purposes, and valid Rng seeds', () => {
    assert.equal(seedFor(7n, 3, 'mutation'), seedFor(7n, 3, 'mutation'));
    const seen = new Set<bigint>();
    for (let i = 0; i < 2000; i++) for (const p of ['graph', 'tournament', 'mutation'] as const) seen.add(seedFor(7n, i, p));
    assert.equal(seen.size, 6000);
    assert.notEqual(seedFor(7n, 3, 'graph'), seedFor(8n, 3, 'graph'));
    assert.notEqual(seedFor(2n ** 40n, 0, 'graph'), seedFor(0n, 0, 'graph'));
    for (const s of seen) assert.ok(s >= 0n && s < 2n ** 53n);
  });

  it('take search seeds over the whole uint64 range and keep the seeds small ones always gave', () => {
    const max = 2n ** 64n - 1n;
    assert.notEqual(seedFor(max, 0, 'graph'), seedFor(max - 1n, 0, 'graph'));
    assert.notEqual(seedFor(max, 0, 'graph'), seedFor(max - (1n << 32n), 0, 'graph'), 'the high half counts');
    // Values of seedFor before search seeds were 64-bit (commit 7859f73): resumed searches keep their draws.
    assert.equal(seedFor(7n, 3, 'mutation'), 8636688445877043n);
    assert.equal(seedFor(2n ** 40n, 0, 'graph'), 4980428125582367n);
    assert.equal(seedFor(11n, -1, 'stability'), 1209795586423808n);
  });

  it('read --seed over the whole uint64 range and refuse what lies outside it', () => {
    assert.equal(planFrom({ seed: '18446744073709551615' }).seed, 2n ** 64n - 1n);
    assert.throws(() => planFrom({ seed: '18446744073709551616' }), /--seed must be an integer in \[0, 2\^64 - 1/);
    assert.throws(() => planFrom({ seed: '-3' }), PlanError);
  });

  it('name candidates by position', () => {
    assert.equal(candidateId(42), 'c000042');
    assert.equal(candidateIndex('c000042'), 42);
    assert.equal(candidateIndex('c1234567'), 1234567);
    assert.equal(candidateIndex('parent-1'), undefined);
  });
});

describe('search plans', () => {
  it('apply flags over the defaults', () => {
    const plan = planFrom({ population: '50', criterion: 'pareto', architectures: 'resnet_v2,efficientnet_b0', width: 'resnet_v2=0.5,efficientnet_b0=0.3', 'init-zoo': 'false' });
    assert.equal(plan.population, 50);
    assert.equal(plan.criterion, 'pareto');
    assert.deepEqual(plan.architectures, ['resnet_v2', 'efficientnet_b0']);
    assert.equal(scaleFor(plan.width, 'efficientnet_b0'), 0.3);
    assert.equal(scaleFor(plan.depth, 'resnet_v2'), 0.34);
    assert.equal(plan.initZoo, false);
    assert.equal(scaleFor(parseScale('0.7'), 'mobilenet_v2'), 0.7);
    assert.equal(DEFAULT_PLAN.dataset, 'fashion_mnist');
  });

  it('reject bad values, naming the flag', () => {
    const bad: Array<[Record<string, string>, RegExp]> = [
      [{ population: '-1' }, /--population must be an integer/],
      [{ 'tournament-fraction': '0' }, /--tournament-fraction must be in \(0, 1\]/],
      [{ criterion: 'best' }, /--criterion must be one of average, pareto/],
      [{ architectures: 'resnet_v2,resnet_v2' }, /--architectures must not repeat/],
      [{ width: 'vgg=0.5' }, /--width names architectures among/],
      [{ depth: '9' }, /--depth must be a multiplier in \[0.05, 4\]/],
      [{ candidates: '0', minutes: '0' }, /--candidates or --minutes must set a budget/],
      [{ 'init-zoo': 'yes' }, /--init-zoo must be true or false/],
      [{ dataset: 'imagenet' }, /--dataset must be one of fashion_mnist, cifar10, synthetic/],
    ];
    for (const [flags, says] of bad)
      assert.throws(
        () => planFrom(flags),
        (e: Error) => e instanceof PlanError && says.test(e.message),
        JSON.stringify(flags),
      );
  });
});

describe('rankings and the live view', () => {
  const history = [
    evaluated('c000000', { resnet_v2: 0.6, mobilenet_v2: 0.7 }),
    evaluated('c000001', { resnet_v2: 0.7, mobilenet_v2: 0.5 }),
    evaluated('c000002', { resnet_v2: 0.5, mobilenet_v2: 0.5 }),
    evaluated('c000003', { resnet_v2: 0.6, mobilenet_v2: 0.7 }, 'c000000'),
    Candidate.fromPartial({ id: 'c000004', rejection: { reason: RejectionReason.REJECTION_REASON_UNSTABLE, detail: 'x' } }),
  ];

  it('ranks by mean accuracy, collapses duplicates, and finds the Pareto front', () => {
    assert.deepEqual(
      topCandidates(history, 2).map((c) => c.id),
      ['c000000', 'c000001'],
    );
    assert.deepEqual(
      paretoFront(history).map((c) => c.id),
      ['c000000', 'c000001'],
    );
    const table = candidateTable(topCandidates(history, 3)).split('\n');
    assert.match(table[0]!, /^rank\s+id\s+mean\s+resnet_v2\s+mobilenet_v2\s+formula$/);
    assert.match(table[1]!, /^1\s+c000000\s+65\.0%\s+60\.0%\s+70\.0%\s+f\(c000000\)$/);
  });

  it('draws a progress bar, the best layer, rejections, the ladder’s compute and workers', () => {
    const stats = newStats(Date.now() - 30_000);
    Object.assign(stats, { reported: 5, reportedThisRun: 5, evaluated: 4, duplicates: 1, rejectionsByReason: { unstable: 1 } });
    stats.best = { id: 'c000000', meanAccuracy: 0.65, formula: 'f(c000000)', scores: { resnet_v2: 0.6 } };
    const lines = renderView(
      { ...DEFAULT_PLAN, candidates: 10, minutes: 0 },
      stats,
      [
        { target: 'a', active: 1, up: true, failures: 0 },
        { target: 'b', active: 0, up: false, failures: 2 },
      ],
      'c000004 rejected',
    );
    assert.match(lines[0]!, /^\[█{15}░{15}\] 50\.0%/);
    assert.match(lines[1]!, /candidates 5 \(4 evaluated, 1 duplicates reused\)\s+10\.0\/min/);
    assert.match(lines[2]!, /best c000000\s+mean 65\.0%\s+resnet_v2 60\.0%/);
    assert.match(lines[4]!, /rejections unstable 1/);
    assert.equal(lines[5], 'compute: stability 0 s · quality 0 s · evaluation 0 s');
    assert.match(lines[6]!, /replicas 1\/2 up, 1 busy$/);
    assert.match(lines[6]!, /^workers screening 0 · micro 0 · stability 0 · quality 0 · evaluation 0/);
    Object.assign(stats.ladder, { screenedIn: 4, evaluated: 2, costSeconds: 0, stabilitySeconds: 4, microSeconds: 2, qualitySeconds: 30, evaluationSeconds: 26, fullTrainingSeconds: 60 });
    // A terminal wide enough for the whole line (narrower ones cut it with …).
    const again = renderView({ ...DEFAULT_PLAN, candidates: 10, minutes: 0 }, stats, [], '', 120);
    // Spent 62 s; 4 candidates at 30 s each: 120 s, 1.9× less.
    assert.equal(again[5], 'compute: micro 2 s · stability 4 s · quality 30 s · evaluation 26 s · 1.9× less than all 4 at full budget');
  });
});

describe('functional duplicates', () => {
  it('reuse their original’s scores or rejection and its inference cost, naming the first original', () => {
    const cost = InferenceCost.fromPartial({ ratio: 2.5, layerMs: 0.25, referenceMs: 0.1, executionProvider: 'cpu', shape: [8, 64, 32, 32], clock: 'process-cpu' });
    const original = Candidate.fromPartial({ id: 'c000003', fitness: { scores: [{ architecture: 'resnet_v2', accuracy: 0.7 }] }, cost });
    const dup = reuse(Candidate.fromPartial({ id: 'c000009' }), original);
    assert.deepEqual([dup.id, dup.duplicateOf, dup.fitness, dup.cost], ['c000009', 'c000003', original.fitness, cost]);
    // A duplicate of a duplicate names the first original.
    assert.equal(reuse(Candidate.fromPartial({ id: 'c000011' }), dup).duplicateOf, 'c000003');
    const rejectedOriginal = Candidate.fromPartial({ id: 'c000004', rejection: { reason: RejectionReason.REJECTION_REASON_UNSTABLE, detail: 'grew' } });
    const rejectedDup = reuse(Candidate.fromPartial({ id: 'c000010' }), rejectedOriginal);
    assert.deepEqual([rejectedDup.rejection, rejectedDup.fitness, rejectedDup.cost], [rejectedOriginal.rejection, undefined, undefined]);
  });
});

describe('resuming under other numerics', () => {
  it('warns, naming what changed, and says nothing when it matches or was not recorded', () => {
    const started = { ep: 'cpu', threadsPerReplica: 1, rejectionThreads: 1 };
    assert.equal(numericsChange(started, { ...started }), undefined);
    assert.equal(numericsChange(undefined, { ...started, threadsPerReplica: 4 }), undefined);
    const warning = numericsChange(started, { ...started, threadsPerReplica: 2 });
    assert.match(warning!, /threadsPerReplica 1 → 2/);
    assert.match(warning!, /--threads-per-replica/);
    assert.doesNotMatch(warning!, /ep cpu/);
  });
});
