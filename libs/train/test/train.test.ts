import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { FASHION_MNIST_DIR, makeBatch, readFashionMnist, syntheticDataset, type Dataset } from '@evonorm/data';
import { zooLayer, type LayerGraph } from '@evonorm/graph';
import { resnetV2 } from '@evonorm/nets';
import { createTrainer, learningRate, qualityTest, stabilityTest, train, TrainingCancelledError } from '../src/index.js';

const REAL = existsSync(FASHION_MNIST_DIR);
const skipReal = !REAL && 'dataset-fashion-mnist is not installed (.ci/run installs it)';
let fashion: Dataset | undefined;
const fashionMnist = (): Dataset => (fashion ??= readFashionMnist());
const tiny = syntheticDataset({ seed: 2, shape: [1, 12, 12], train: 600, test: 200 });

const CONSTANT: LayerGraph = {
  nodes: [
    { op: 'mean', inputs: [0], axes: 'whc' },
    { op: 'std', inputs: [4], axes: 'whc' },
  ],
};
const EXP_EXP: LayerGraph = {
  nodes: [
    { op: 'exp', inputs: [0] },
    { op: 'exp', inputs: [4] },
  ],
};

describe('learning on Fashion-MNIST (ResNet-v2 proxy, ONNX engine, CPU)', () => {
  it('BN-ReLU reaches ≥ 80% test accuracy', { skip: skipReal, timeout: 600_000 }, async (t) => {
    const result = await train({ network: 'resnet_v2', layer: zooLayer('bn-relu').graph, dataset: fashionMnist(), steps: 500, batchSize: 64, seed: 1, evaluateOn: 'test' });
    assert.equal(result.failure, undefined);
    assert.equal(result.evaluatedExamples, 10000);
    t.diagnostic(`bn-relu: test accuracy ${result.accuracy}, ${result.imagesPerSecond.toFixed(0)} images/s, ${result.seconds.toFixed(1)} s`);
    assert.ok(result.accuracy >= 0.8, `test accuracy ${result.accuracy}`);
    assert.ok(result.lossCurve.at(-1)! < result.lossCurve[0]! / 3, 'the training loss falls');
  });

  for (const name of ['evonorm-s0', 'evonorm-b0']) {
    it(`${name} in the same slots also learns (≥ 75%)`, { skip: skipReal, timeout: 600_000 }, async (t) => {
      const result = await train({ network: 'resnet_v2', layer: zooLayer(name).graph, dataset: fashionMnist(), steps: 300, batchSize: 64, seed: 1, evaluateOn: 'test' });
      assert.equal(result.failure, undefined);
      t.diagnostic(`${name}: test accuracy ${result.accuracy}, ${result.imagesPerSecond.toFixed(0)} images/s, ${result.seconds.toFixed(1)} s`);
      assert.ok(result.accuracy >= 0.75, `test accuracy ${result.accuracy}`);
    });
  }
});

describe('stability test', () => {
  it('rejects exp(exp(x)) and passes BN-ReLU, EvoNorm-B0 and EvoNorm-S0', { skip: skipReal }, async () => {
    const unstable = await stabilityTest({ layer: EXP_EXP, dataset: fashionMnist(), seed: 1 });
    assert.equal(unstable.accepted, false, unstable.detail);
    for (const name of ['bn-relu', 'evonorm-b0', 'evonorm-s0']) {
      const r = await stabilityTest({ layer: zooLayer(name).graph, dataset: fashionMnist(), seed: 1, steps: 50 });
      assert.ok(r.accepted, `${name}: ${r.detail}`);
      assert.ok(r.maxGradientNorm > 0 && r.maxGradientNorm < 1e8);
      assert.equal(r.steps, 50);
    }
  });

  it('rejects at a lower threshold when the norm passes it', async () => {
    const r = await stabilityTest({ layer: zooLayer('bn-relu').graph, dataset: tiny, seed: 1, steps: 3, maxGradientNorm: 1e-3 });
    assert.equal(r.accepted, false);
    assert.match(r.detail, /exceeds 1e-3/);
  });
});

describe('quality test', () => {
  it('rejects a layer that outputs a constant, at the first architecture', { skip: skipReal }, async () => {
    const r = await qualityTest({ layer: CONSTANT, dataset: fashionMnist(), seed: 1 });
    assert.equal(r.accepted, false);
    assert.equal(r.rejectedOn, 'resnet_v2');
    assert.equal(r.scores.length, 1);
    assert.ok(r.scores[0]!.accuracy < 0.2);
  });

  it('accepts BN-ReLU on a learnable dataset with a configurable threshold', async () => {
    const r = await qualityTest({ layer: zooLayer('bn-relu').graph, dataset: tiny, seed: 1, architectures: ['resnet_v2'], steps: 60, minAccuracy: 0.3, validationExamples: 200 });
    assert.ok(r.accepted, r.detail);
    assert.ok(r.scores[0]!.accuracy >= 0.3);
  });
});

describe('train', () => {
  it('reports a NaN loss as a typed failure, not an exception', async () => {
    const ratio: LayerGraph = { nodes: [{ op: 'div', inputs: [0, 0] }] }; // 0/0 after a ReLU-free conv of zeros
    const zeros = syntheticDataset({ seed: 1, shape: [1, 12, 12], train: 300, test: 50, noise: 0 });
    const flat = { ...zeros, mean: [0], std: [1], train: { ...zeros.train, images: new Uint8Array(zeros.train.images.length) } };
    const result = await train({ network: 'resnet_v2', layer: ratio, dataset: flat, steps: 20, batchSize: 16, seed: 1, validationExamples: 50 });
    assert.equal(result.failure?.kind, 'non_finite_loss');
    assert.equal(result.accuracy, 0);
  });

  it('is deterministic for a seed on the CPU', async () => {
    const run = () => train({ network: 'resnet_v2', layer: zooLayer('evonorm-s0').graph, dataset: tiny, steps: 8, batchSize: 16, seed: 5, validationExamples: 100 });
    const a = await run();
    const b = await run();
    assert.deepEqual(a.lossCurve, b.lossCurve);
    assert.equal(a.accuracy, b.accuracy);
    const c = await train({ network: 'resnet_v2', layer: zooLayer('evonorm-s0').graph, dataset: tiny, steps: 8, batchSize: 16, seed: 6, validationExamples: 100 });
    assert.notDeepEqual(c.lossCurve, a.lossCurve);
  });

  it('reports progress and stops when cancelled', async () => {
    const controller = new AbortController();
    const seen: number[] = [];
    await assert.rejects(
      train({
        network: 'resnet_v2',
        layer: zooLayer('bn-relu').graph,
        dataset: tiny,
        steps: 50,
        batchSize: 16,
        seed: 1,
        validationExamples: 100,
        progressEvery: 2,
        signal: controller.signal,
        onProgress: ({ step }) => {
          seen.push(step);
          if (step >= 4) controller.abort();
        },
      }),
      TrainingCancelledError,
    );
    assert.deepEqual(seen, [0, 2, 4]);
  });

  it('computes whole-network gradients that match finite differences (float32)', async () => {
    const spec = resnetV2({ input: [1, 12, 12], width: 0.5 });
    const trainer = await createTrainer('onnx', spec, zooLayer('evonorm-b0').graph, { batch: 4, seed: 3 });
    const data = makeBatch(tiny, tiny.train, [0, 1, 2, 3]);
    const theta = trainer.parameters();
    const { grads } = await trainer.gradients(data.images, data.labels, theta);
    let checked = 0;
    for (const name of ['conv1.weight', 'normact2/v1', 'normact3/gamma', 'dense1.weight']) {
      const g = grads.get(name)!;
      const k = g.reduce((best, v, i) => (Math.abs(v) > Math.abs(g[best]!) ? i : best), 0); // the largest entry
      const eps = 1e-2;
      const at = (d: number) => new Map([...theta].map(([n, v]) => [n, n === name ? v.map((x, i) => (i === k ? x + d : x)) : v]));
      const fp = (await trainer.gradients(data.images, data.labels, at(eps))).loss;
      const fm = (await trainer.gradients(data.images, data.labels, at(-eps))).loss;
      const numeric = (fp - fm) / (2 * eps);
      assert.ok(Math.abs(numeric - g[k]!) <= 0.05 * Math.abs(g[k]!) + 1e-4, `${name}[${k}]: autodiff ${g[k]} vs finite difference ${numeric}`);
      checked++;
    }
    assert.equal(checked, 4);
    await trainer.release();
  });
});

describe('learning-rate schedule', () => {
  it('warms up linearly, then decays by a cosine to zero', () => {
    assert.equal(learningRate(0, 100, 0.1, 10), 0.01);
    assert.ok(Math.abs(learningRate(9, 100, 0.1, 10) - 0.1) < 1e-12);
    assert.ok(Math.abs(learningRate(10, 100, 0.1, 10) - 0.1) < 1e-12);
    assert.ok(Math.abs(learningRate(55, 100, 0.1, 10) - 0.05) < 1e-12);
    assert.ok(learningRate(100, 100, 0.1, 10) < 1e-12);
  });
});
