import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Rng, evaluateLayer, initialState, randomTensor, zooLayers, type LayerState, type Shape4 } from '../src/index.js';
import { closedForm, perChannel, stat, type Params } from './closed-form.js';
import { maxRelativeError } from './helpers.js';

const TOLERANCE = 1e-9;
// C = 64: 32 groups of 2 channels; C = 48 falls back to 24 groups; C = 6 to 6 groups of one channel.
const SHAPES: readonly Shape4[] = [
  [3, 64, 3, 2],
  [2, 48, 2, 3],
  [4, 6, 3, 3],
];

function randomParams(c: number, rng: Rng): Params {
  return {
    v0: Float64Array.from({ length: c }, () => rng.normal() * 0.5),
    v1: Float64Array.from({ length: c }, () => 1 + rng.normal() * 0.5),
    gamma: Float64Array.from({ length: c }, () => 1 + rng.normal() * 0.3),
    beta: Float64Array.from({ length: c }, () => rng.normal() * 0.3),
  };
}

/** The batch aggregates of each zoo layer, by node id: what their moving averages track. */
function batchNodes(state: LayerState): number[] {
  return [...state.keys()].sort((a, b) => a - b);
}

describe('zoo layers against closed forms (float64, relative error <= 1e-9)', () => {
  for (const layer of zooLayers()) {
    for (const shape of SHAPES) {
      it(`${layer.name} on [${shape.join(', ')}] in training and inference mode`, () => {
        const rng = Rng.fromSeed(shape[1] * 1000 + layer.name.length);
        const x = randomTensor(shape, rng, 1.5, 0.3);
        const params = randomParams(shape[1], rng);
        const stateBefore = initialState(layer.graph, shape[1]);

        // Training mode: batch statistics, moving averages updated with decay 0.9.
        const train = evaluateLayer(layer.graph, x, { mode: 'train', params, state: stateBefore });
        const mean = perChannel(stat(x.data, shape, 'bwh', 'mean').values, shape);
        const { values: varValues, count } = stat(x.data, shape, 'bwh', 'var');
        const variance = perChannel(varValues, shape);
        const expectedTrain = closedForm(layer.name, x.data, shape, params, { mean, variance });
        const trainErr = maxRelativeError(train.output.data, expectedTrain);
        assert.ok(trainErr <= TOLERANCE, `training relative error ${trainErr}`);

        // Moving averages: mean from 0, unbiased variance from 1, both with decay 0.9.
        const movingMean = mean.map((m) => 0.1 * m);
        const movingVar = variance.map((v) => 0.9 + 0.1 * v * (count / (count - 1)));
        for (const id of batchNodes(train.state)) {
          const node = layer.graph.nodes[id - 4]!;
          const expected = node.op === 'mean' ? movingMean : movingVar;
          assert.ok(maxRelativeError(train.state.get(id)!, expected) <= TOLERANCE, `moving average of node ${id}`);
        }
        assert.equal(batchNodes(train.state).length > 0, !layer.batchIndependent);

        // Inference mode: the moving averages replace batch statistics; batch-free layers are unchanged.
        const infer = evaluateLayer(layer.graph, x, { mode: 'infer', params, state: train.state });
        const expectedInfer = closedForm(layer.name, x.data, shape, params, { mean: movingMean, variance: movingVar });
        const inferErr = maxRelativeError(infer.output.data, expectedInfer);
        assert.ok(inferErr <= TOLERANCE, `inference relative error ${inferErr}`);
        assert.deepEqual(infer.state, train.state, 'inference must not change moving averages');
        if (layer.batchIndependent) assert.deepEqual(infer.output.data, train.output.data);
      });
    }
  }

  it('BN-ReLU at initialization normalizes each channel to zero mean, unit variance before the ReLU', () => {
    const shape: Shape4 = [8, 4, 4, 4];
    const x = randomTensor(shape, Rng.fromSeed(1), 3, 2);
    const bn = zooLayers().find((l) => l.name === 'bn-relu')!;
    // Without the ReLU: evaluate the node before the max (id 10) via a truncated graph.
    const truncated = { nodes: bn.graph.nodes.slice(0, 7) };
    const y = evaluateLayer(truncated, x, { mode: 'train' }).raw.data;
    const mean = perChannel(stat(y, shape, 'bwh', 'mean').values, shape);
    const variance = perChannel(stat(y, shape, 'bwh', 'var').values, shape);
    for (let c = 0; c < 4; c++) {
      assert.ok(Math.abs(mean[c]!) < 1e-12);
      assert.ok(Math.abs(variance[c]! - 1) < 1e-4); // eps keeps it a hair below 1
    }
  });
});
