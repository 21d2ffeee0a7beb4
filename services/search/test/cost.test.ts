/**
 * Inference cost in the search (--measure-cost): the stage after the evaluation, the cost rung before
 * any training (--max-cost-ratio), the cost objective's plan checks, and where it shows (top's table,
 * the live view, the ladder's compute line).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { Candidate, InferenceCost, RejectionReason, Timings, graphToProto, type MeasureCostRequest } from '@evonorm/contracts';
import { zooLayer } from '@evonorm/graph';
import { TrainingError } from '@evonorm/rpc';
import { DEFAULT_PLAN, newStats, planFrom, planFromJson, type SearchBackend } from '../src/index.js';
import type { RetryNotice } from '../src/search/backend.js';
import { costText, renderView } from '../src/search/progress.js';
import { candidateTable } from '../src/search/ranking.js';
import { costRung, costStage } from '../src/search/stage-cost.js';
import { candidateEvent } from '../src/search/stage-report.js';
import { ladderEntry } from '../src/search/ladder-entry.js';
import { ladderText, ladderTotals } from '../src/search/ladder.js';
import { stubBackend } from './stub-backend.js';

const COST = InferenceCost.fromPartial({ ratio: 2.5, layerMs: 0.25, referenceMs: 0.1, executionProvider: 'cpu', shape: [8, 64, 32, 32], clock: 'cpu_time' });

function costBackend(answer: () => Promise<InferenceCost>): { backend: SearchBackend; calls: MeasureCostRequest[] } {
  const calls: MeasureCostRequest[] = [];
  const backend = stubBackend({
    measureCost: (request) => {
      calls.push(request);
      return answer().then((cost) => ({ cost, seconds: 1.25 }));
    },
  });
  return { backend, calls };
}

const evaluated = (): Candidate =>
  Candidate.fromPartial({ id: 'c000007', graph: graphToProto(zooLayer('evonorm-s0').graph), fitness: { scores: [{ architecture: 'resnet_v2', accuracy: 0.7 }] }, formula: { text: 'f' } });

describe('inference cost (--measure-cost)', () => {
  const signal = new AbortController().signal;

  it('times every evaluated layer once and keeps the answer on the candidate', async () => {
    const stats = newStats(0);
    const { backend, calls } = costBackend(async () => {
      assert.equal(stats.stages.evaluation, 1, 'the live view counts the measurement as part of the evaluation');
      return COST;
    });
    const c = await costStage(DEFAULT_PLAN, backend, stats, evaluated(), signal, () => assert.fail('no failure expected'));
    assert.equal(stats.stages.evaluation, 0);
    assert.deepEqual(c.cost, COST);
    assert.equal(calls.length, 1);
    assert.deepEqual(calls[0]!.graph, evaluated().graph);
  });

  it('times nothing that was rejected, nor with --measure-cost false (on by default; off in runs saved before it)', async () => {
    const { backend, calls } = costBackend(async () => COST);
    const rejected = Candidate.fromPartial({ id: 'c000008', graph: evaluated().graph, rejection: { reason: 8 } });
    assert.equal((await costStage(DEFAULT_PLAN, backend, newStats(0), rejected, signal, () => {})).cost, undefined);
    assert.equal((await costStage(planFrom({ 'measure-cost': 'false' }), backend, newStats(0), evaluated(), signal, () => {})).cost, undefined);
    assert.equal(calls.length, 0);
    assert.equal(DEFAULT_PLAN.measureCost, true);
    const { measureCost: _, ...old } = DEFAULT_PLAN;
    assert.equal(planFromJson({ ...old, seed: '0' }).measureCost, false);
    assert.throws(() => planFrom({ 'measure-cost': 'maybe' }), /--measure-cost must be true or false/);
  });

  it('leaves the cost unset when the replica cannot measure it, and says why', async () => {
    const { backend } = costBackend(async () => {
      throw new TrainingError(status.FAILED_PRECONDITION, "BN-ReLU's chain was not measurably slower than the generator");
    });
    const notices: RetryNotice[] = [];
    const c = await costStage(DEFAULT_PLAN, backend, newStats(0), evaluated(), signal, (n) => notices.push(n));
    assert.equal(c.cost, undefined);
    assert.ok(c.fitness, 'the outcome stands');
    assert.deepEqual(
      notices.map((n) => [n.method, n.code, n.attempt]),
      [['MeasureCost', 'FAILED_PRECONDITION', 0]],
    );
    assert.match(notices[0]!.detail, /^c000007: no inference cost: BN-ReLU's chain/);
  });

  it('shows as a column of `top` and on the live view’s best line', () => {
    const table = candidateTable([
      { ...evaluated(), cost: COST },
      { ...evaluated(), id: 'c000009' },
    ]);
    const [header, first, second] = table.split('\n');
    assert.match(header!, /\bcost\b/);
    assert.match(first!, /\b2\.5×/);
    assert.match(second!, /—\s+f$/);
    assert.doesNotMatch(candidateTable([evaluated()]).split('\n')[0]!, /cost/, 'no column where nothing was measured');
    assert.equal(costText(2.53), '  cost 2.5× BN-ReLU');
    assert.equal(costText(null), '');
  });

  it('the cost rung (--max-cost-ratio R) rejects a layer over R × BN-ReLU before any training, and keeps the cost it measured', async () => {
    const plan = planFrom({ 'max-cost-ratio': '2' });
    const stats = newStats(0);
    let rungWorkers = -1;
    const { backend, calls } = costBackend(async () => {
      rungWorkers = stats.stages.cost;
      return COST;
    });
    const screened = (): Candidate => Candidate.fromPartial({ id: 'c000010', graph: evaluated().graph, timings: Timings.fromPartial({ screenSeconds: 0.01 }) });
    const slow = await costRung(plan, backend, stats, screened(), signal, () => assert.fail('no failure expected'));
    assert.deepEqual([rungWorkers, stats.stages.cost], [1, 0], 'the live view counts a cost-rung worker while it measures');
    assert.match(
      renderView(plan, stats, [], '').find((l) => l.startsWith('workers'))!,
      /^workers screening 0 · cost 0 · micro 0 ·/,
    );
    assert.doesNotMatch(
      renderView(DEFAULT_PLAN, stats, [], '').find((l) => l.startsWith('workers'))!,
      /cost/,
      'no cost workers without the rung',
    );
    assert.equal(slow.rejected, true);
    assert.equal(slow.candidate.rejection?.reason, RejectionReason.REJECTION_REASON_TOO_SLOW);
    assert.match(slow.candidate.rejection!.detail, /^cost rung: inference cost 2\.50× BN-ReLU's \(0\.250 ms against 0\.100 ms per layer at \[8, 64, 32, 32\] on cpu\) > --max-cost-ratio 2$/);
    assert.deepEqual(slow.candidate.cost, COST);
    assert.equal(slow.candidate.timings!.costComputeSeconds, 1.25);
    assert.ok(slow.candidate.timings!.costSeconds >= 0);
    assert.equal(candidateEvent(10, slow.candidate).seconds, 0.01 + slow.candidate.timings!.costSeconds, "the candidate's seconds include the cost rung's");

    const fast = await costRung(planFrom({ 'max-cost-ratio': '2.5' }), backend, newStats(0), screened(), signal, () => {});
    assert.equal(fast.rejected, false, 'a ratio equal to the limit passes');
    assert.equal(fast.candidate.rejection, undefined);
    const later = await costStage(plan, backend, newStats(0), { ...fast.candidate, fitness: evaluated().fitness }, signal, () => {});
    assert.deepEqual(later.cost, COST);
    assert.equal(calls.length, 2, 'the evaluated layer is not timed again');

    const off = await costRung(DEFAULT_PLAN, backend, newStats(0), screened(), signal, () => {});
    assert.deepEqual([off.rejected, off.candidate.cost, calls.length], [false, undefined, 2], 'off by default: no measurement');
  });

  it('the cost rung lets a layer through when the replica cannot measure it', async () => {
    const { backend } = costBackend(async () => {
      throw new TrainingError(status.UNAVAILABLE, 'replica gone');
    });
    const notices: RetryNotice[] = [];
    const outcome = await costRung(planFrom({ 'max-cost-ratio': '2' }), backend, newStats(0), Candidate.fromPartial({ id: 'c000011', graph: evaluated().graph, timings: {} }), signal, (n) =>
      notices.push(n),
    );
    assert.deepEqual([outcome.rejected, outcome.candidate.cost, outcome.candidate.rejection], [false, undefined, undefined]);
    assert.deepEqual(
      notices.map((n) => [n.method, n.code]),
      [['MeasureCost', 'UNAVAILABLE']],
    );
  });

  it('counts the cost rung in the ladder and reads the cost flags (the objective needs measured costs)', () => {
    const entry = ladderEntry(Candidate.fromPartial({ rejection: { reason: RejectionReason.REJECTION_REASON_TOO_SLOW }, timings: { costComputeSeconds: 1.5 } }));
    assert.deepEqual([entry!.screenedIn, entry!.costSeconds], [true, 1.5]);
    assert.match(ladderText(ladderTotals([entry])), /^compute: cost 2 s · stability 0 s/);
    assert.doesNotMatch(ladderText(ladderTotals([{ ...entry!, costSeconds: 0 }])), /cost/);

    assert.deepEqual(DEFAULT_PLAN.objectives, ['accuracy']);
    assert.equal(DEFAULT_PLAN.maxCostRatio, 0);
    assert.deepEqual(planFrom({ objectives: 'accuracy,cost' }).objectives, ['accuracy', 'cost']);
    assert.throws(() => planFrom({ objectives: 'cost' }), /--objectives must be accuracy or accuracy,cost, got "cost"/);
    assert.throws(() => planFrom({ objectives: 'accuracy,speed' }), /--objectives must be accuracy or accuracy,cost/);
    assert.throws(() => planFrom({ objectives: 'accuracy,cost', 'measure-cost': 'false' }), /--objectives with cost needs --measure-cost true/);
    assert.throws(() => planFrom({ 'max-cost-ratio': '0.5' }), /--max-cost-ratio must be 0 \(off\) or a ratio to BN-ReLU of at least 1, got 0\.5/);
    assert.throws(() => planFrom({ 'max-cost-ratio': '4', 'measure-cost': 'false' }), /--max-cost-ratio needs --measure-cost true/);
    const { objectives: _o, maxCostRatio: _m, ...old } = DEFAULT_PLAN;
    const back = planFromJson({ ...old, seed: '0' });
    assert.deepEqual([back.objectives, back.maxCostRatio], [['accuracy'], 0], 'runs saved before the cost objective read back without it');
  });
});
