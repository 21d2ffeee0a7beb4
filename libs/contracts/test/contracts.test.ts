import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { OP_NAMES, Rng, layerJson, parseLayerGraph, randomGraph, zooLayers } from '@evonorm/graph';
import {
  Candidate,
  IndexSet,
  LayerGraph,
  MutationServiceService,
  Objective,
  Op,
  RejectionReason,
  RejectionServiceService,
  SelectionServiceService,
  TrainResponse,
  TrainingServiceService,
  descriptorSetPath,
  graphFromProto,
  graphToProto,
  layerJsonFromProto,
  opFromIr,
  RandomGraphRequest,
  SearchConfig,
} from '../src/index.js';

describe('contracts', () => {
  it('round-trips every zoo layer and 1,000 random graphs through the wire format', () => {
    const graphs = [...zooLayers().map((l) => l.graph)];
    for (let seed = 0; seed < 1000; seed++) graphs.push(randomGraph(Rng.fromSeed(seed)));
    for (const graph of graphs) {
      const bytes = LayerGraph.encode(graphToProto(graph)).finish();
      const back = graphFromProto(LayerGraph.decode(bytes));
      assert.ok(back.ok);
      if (back.ok) assert.deepEqual(back.graph, graph);
    }
  });

  it('maps every IR op to a distinct wire op', () => {
    const wire = OP_NAMES.map(opFromIr);
    assert.equal(new Set(wire).size, OP_NAMES.length);
    assert.ok(wire.every((op) => op !== Op.OP_UNSPECIFIED && op !== undefined));
  });

  it('turns unknown or unspecified enum values into validation problems naming the node', () => {
    const unknown = graphFromProto({ nodes: [{ op: 99 as Op, inputs: [0], indexSet: IndexSet.INDEX_SET_UNSPECIFIED }] });
    assert.equal(unknown.ok, false);
    if (!unknown.ok) {
      assert.equal(unknown.problems[0]!.code, 'unknown_op');
      assert.match(unknown.problems[0]!.message, /node 4/);
    }
    const noAxes = graphFromProto({ nodes: [{ op: Op.OP_STD, inputs: [0], indexSet: IndexSet.INDEX_SET_UNSPECIFIED }] });
    assert.ok(!noAxes.ok && noAxes.problems[0]!.code === 'missing_axes');
    const badAxes = graphFromProto({ nodes: [{ op: Op.OP_STD, inputs: [0], indexSet: 7 as IndexSet }] });
    assert.ok(!badAxes.ok && badAxes.problems[0]!.code === 'unknown_axes');
    const missing = graphFromProto(undefined);
    assert.ok(!missing.ok && missing.problems[0]!.code === 'not_an_object');
  });

  it('encodes candidates with fitness or rejection outcomes', () => {
    const candidate: Candidate = Candidate.fromPartial({
      id: 'c-1',
      graph: graphToProto(zooLayers()[0]!.graph),
      hashes: { structural: 'ab', functional: 'cd' },
      fitness: { scores: [{ architecture: 'resnet_v2', accuracy: 0.9, loss: 0.3, steps: 100, seconds: 2 }], meanAccuracy: 0.9 },
    });
    const back = Candidate.decode(Candidate.encode(candidate).finish());
    assert.deepEqual(back, candidate);
    const rejected = Candidate.fromPartial({ id: 'c-2', rejection: { reason: RejectionReason.REJECTION_REASON_UNSTABLE, detail: 'norm 3e9' } });
    assert.equal(Candidate.decode(Candidate.encode(rejected).finish()).rejection?.reason, RejectionReason.REJECTION_REASON_UNSTABLE);
    const priced = Candidate.fromPartial({
      id: 'c-3',
      rejection: { reason: RejectionReason.REJECTION_REASON_TOO_SLOW },
      cost: { ratio: 6.5, layerMs: 0.65, referenceMs: 0.1, executionProvider: 'cpu', shape: [8, 64, 32, 32], clock: 'cpu_time' },
      timings: { costSeconds: 1.3, costComputeSeconds: 1.2 },
    });
    assert.deepEqual(Candidate.decode(Candidate.encode(priced).finish()), priced);
    const objectives = SearchConfig.fromPartial({ objectives: [Objective.OBJECTIVE_ACCURACY, Objective.OBJECTIVE_COST] });
    assert.deepEqual(SearchConfig.fromJSON(SearchConfig.toJSON(objectives)).objectives, objectives.objectives);
    const event = TrainResponse.fromPartial({ progress: { step: 10, loss: 2.1 } });
    assert.equal(TrainResponse.decode(TrainResponse.encode(event).finish()).progress?.step, 10);
  });

  it('carries every 64-bit field over its whole range, as bigint in code and decimal strings in JSON', () => {
    const max = 2n ** 64n - 1n;
    assert.equal(RandomGraphRequest.decode(RandomGraphRequest.encode({ seed: max, space: undefined }).finish()).seed, max);
    const candidate = Candidate.fromPartial({ id: 'c', sequence: max, createdUnixMs: -(2n ** 63n) });
    const back = Candidate.decode(Candidate.encode(candidate).finish());
    assert.deepEqual([back.sequence, back.createdUnixMs], [max, -(2n ** 63n)]);
    assert.deepEqual(SearchConfig.toJSON(SearchConfig.fromPartial({ seed: max })), { seed: '18446744073709551615' });
    assert.equal(SearchConfig.fromJSON({ seed: '18446744073709551615' }).seed, max);
    assert.throws(() => RandomGraphRequest.encode({ seed: max + 1n, space: undefined }), /uint64 too large/);
  });

  it('writes wire graphs as the documented layer JSON, which parseLayerGraph reads back', () => {
    for (const { graph } of zooLayers()) {
      const json = layerJsonFromProto(graphToProto(graph));
      assert.deepEqual(json, layerJson(graph));
      const parsed = parseLayerGraph(JSON.parse(JSON.stringify(json)));
      assert.ok(parsed.ok);
      if (parsed.ok) assert.deepEqual(parsed.graph, graph);
    }
    const s0 = layerJsonFromProto(graphToProto(zooLayers().find((l) => l.name === 'evonorm-s0')!.graph));
    assert.deepEqual(s0.nodes[3], { op: 'std', inputs: [0], axes: 'whcg' });
    assert.deepEqual(s0.nodes[0], { op: 'mul', inputs: [3, 0] });
  });

  it('defines the four services with their RPCs', () => {
    assert.deepEqual(Object.keys(MutationServiceService).sort(), ['canonicalize', 'mutate', 'randomGraph', 'renderFormula']);
    assert.deepEqual(Object.keys(RejectionServiceService).sort(), ['screen', 'testQuality', 'testStability']);
    assert.deepEqual(Object.keys(TrainingServiceService).sort(), ['getWorkerInfo', 'measureCost', 'train']);
    assert.equal(TrainingServiceService.train.responseStream, true);
    assert.deepEqual(Object.keys(SelectionServiceService).sort(), [
      'getParetoFront',
      'getSearch',
      'getStatistics',
      'listHistory',
      'listPopulation',
      'lookupFunctionalHash',
      'reportCandidate',
      'sampleParent',
    ]);
    assert.equal(SelectionServiceService.sampleParent.path, '/evonorm.v1.SelectionService/SampleParent');
  });

  it('ships the binary descriptor set of the protos for server reflection', () => {
    const bytes = readFileSync(descriptorSetPath());
    const text = bytes.toString('latin1');
    for (const name of ['MutationService', 'RejectionService', 'TrainingService', 'SelectionService', 'evonorm/v1/graph.proto']) {
      assert.ok(text.includes(name), name);
    }
  });
});
