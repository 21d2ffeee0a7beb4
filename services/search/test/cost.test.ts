/** Inference cost in the search (--measure-cost): the stage, and where it shows (top's table, the live view). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { Candidate, InferenceCost, graphToProto, type MeasureCostRequest } from '@evonorm/contracts';
import { zooLayer } from '@evonorm/graph';
import { TrainingError } from '@evonorm/rpc';
import { DEFAULT_PLAN, planFrom, planFromJson, type SearchBackend } from '../src/index.js';
import type { RetryNotice } from '../src/search/backend.js';
import { costText } from '../src/search/progress.js';
import { candidateTable } from '../src/search/ranking.js';
import { costStage } from '../src/search/stage-cost.js';

const COST = InferenceCost.fromPartial({ ratio: 2.5, layerMs: 0.25, referenceMs: 0.1, executionProvider: 'cpu', shape: [8, 64, 32, 32], clock: 'cpu_time' });

function costBackend(answer: () => Promise<InferenceCost>): { backend: SearchBackend; calls: MeasureCostRequest[] } {
  const calls: MeasureCostRequest[] = [];
  const unused = (): never => {
    throw new Error('not used by the stage under test');
  };
  const backend: SearchBackend = {
    getSearch: unused,
    randomGraph: unused,
    mutate: unused,
    sampleParent: unused,
    screen: unused,
    testStability: unused,
    testQuality: unused,
    train: unused,
    measureCost: (request) => {
      calls.push(request);
      return answer();
    },
    report: unused,
    history: unused,
    replicas: () => [],
    close: () => {},
  };
  return { backend, calls };
}

const evaluated = (): Candidate =>
  Candidate.fromPartial({ id: 'c000007', graph: graphToProto(zooLayer('evonorm-s0').graph), fitness: { scores: [{ architecture: 'resnet_v2', accuracy: 0.7 }] }, formula: { text: 'f' } });

describe('inference cost (--measure-cost)', () => {
  const signal = new AbortController().signal;

  it('times every evaluated layer once and keeps the answer on the candidate', async () => {
    const { backend, calls } = costBackend(async () => COST);
    const c = await costStage(DEFAULT_PLAN, backend, evaluated(), signal, () => assert.fail('no failure expected'));
    assert.deepEqual(c.cost, COST);
    assert.equal(calls.length, 1);
    assert.deepEqual(calls[0]!.graph, evaluated().graph);
  });

  it('times nothing that was rejected, nor with --measure-cost false (on by default; off in runs saved before it)', async () => {
    const { backend, calls } = costBackend(async () => COST);
    const rejected = Candidate.fromPartial({ id: 'c000008', graph: evaluated().graph, rejection: { reason: 8 } });
    assert.equal((await costStage(DEFAULT_PLAN, backend, rejected, signal, () => {})).cost, undefined);
    assert.equal((await costStage(planFrom({ 'measure-cost': 'false' }), backend, evaluated(), signal, () => {})).cost, undefined);
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
    const c = await costStage(DEFAULT_PLAN, backend, evaluated(), signal, (n) => notices.push(n));
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
});
