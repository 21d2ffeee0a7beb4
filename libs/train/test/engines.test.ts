/**
 * The two training engines held to parity: the same network, layer, initial weights and batch
 * give the same loss and the same gradient for every parameter (ONNX Runtime vs TensorFlow.js,
 * both float32), and the same parameters after SGD steps. Layer outputs of both engines are held
 * to the float64 interpreter in libs/onnx's and libs/tfjs's own tests.
 * Tolerances: loss within 1e-4 relative; per parameter, ‖g_tfjs − g_onnx‖ ≤ 2e-3·‖g_onnx‖ + 1e-4·‖g‖_all.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeBatch, syntheticDataset } from '@evonorm/data';
import { FunctionalProbe, Rng, randomGraph, zooLayers, type LayerGraph } from '@evonorm/graph';
import { ARCHITECTURES, architecture, type NetworkSpec } from '@evonorm/nets';
import { tf } from '@evonorm/tfjs';
import { createTrainer, qualityTest, resolveEngine, stabilityTest, train } from '../src/index.js';

const data = syntheticDataset({ seed: 4, shape: [1, 8, 8], train: 64, test: 16 });
const batch = makeBatch(data, data.train, [0, 1, 2, 3, 4, 5]);
const testBatch = makeBatch(
  data,
  data.test,
  Array.from({ length: 16 }, (_, i) => i),
);
const tiny = (name: string): NetworkSpec => architecture(name, { input: [1, 8, 8], classes: 10, width: 0.25, depth: 0.25 });

const norm = (a: Float32Array): number => Math.sqrt(a.reduce((s, x) => s + x * x, 0));
const diffNorm = (a: Float32Array, b: Float32Array): number => Math.sqrt(a.reduce((s, x, i) => s + (x - b[i]!) ** 2, 0));

/** Compares both engines; false when the loss is not finite in both (nothing more to compare). */
async function compareGradients(spec: NetworkSpec, layer: LayerGraph, label: string, allowNonFinite = false): Promise<boolean> {
  const onnx = await createTrainer('onnx', spec, layer, { batch: 6, seed: 9, threads: 1 });
  const tfjs = await createTrainer('tfjs', spec, layer, { batch: 6, seed: 9 });
  try {
    const a = await onnx.gradients(batch.images, batch.labels);
    const b = await tfjs.gradients(batch.images, batch.labels);
    if (allowNonFinite && !Number.isFinite(a.loss)) {
      assert.ok(!Number.isFinite(b.loss), `${label}: onnx loss ${a.loss}, tfjs ${b.loss}`);
      return false;
    }
    assert.ok(Number.isFinite(a.loss), `${label}: finite loss`);
    assert.ok(Math.abs(a.loss - b.loss) <= 1e-4 * Math.abs(a.loss) + 1e-6, `${label}: loss onnx ${a.loss} vs tfjs ${b.loss}`);
    const total = Math.sqrt([...a.grads.values()].reduce((s, g) => s + norm(g) ** 2, 0));
    assert.deepEqual([...b.grads.keys()].sort(), [...a.grads.keys()].sort(), `${label}: same parameters`);
    for (const [name, g] of a.grads) {
      const d = diffNorm(g, b.grads.get(name)!);
      assert.ok(d <= 2e-3 * norm(g) + 1e-4 * total, `${label}: ${name}: ‖Δg‖ ${d.toExponential(2)} vs ‖g‖ ${norm(g).toExponential(2)}`);
    }
    return true;
  } finally {
    await onnx.release();
    await tfjs.release();
  }
}

describe('tfjs and onnx engines agree', () => {
  for (const name of ARCHITECTURES) {
    it(`on the loss and every gradient of ${name}, for every zoo layer`, async () => {
      for (const z of zooLayers()) await compareGradients(tiny(name), z.graph, `${name}/${z.name}`);
    });
  }

  // Through a whole network, log, sqrt and div turn float32 rounding of values near zero (conv
  // outputs that cancel) into large differences between any two float32 engines, so they are
  // left out here; libs/tfjs and libs/onnx hold both engines' layers, those ops included, to the
  // float64 interpreter on the same inputs.
  it('on the loss and every gradient for random graphs the probe accepts (well-conditioned ops)', async () => {
    const rng = Rng.fromSeed(21);
    const probe = new FunctionalProbe();
    let checked = 0;
    while (checked < 8) {
      const graph = randomGraph(rng);
      if (graph.nodes.some((n) => n.op === 'log' || n.op === 'sqrt' || n.op === 'div') || !probe.probe(graph).ok) continue;
      if (await compareGradients(tiny('resnet_v2'), graph, `random graph ${checked}`, true)) checked++;
    }
  });

  it('after SGD steps: losses, parameters and moving averages', async () => {
    const spec = tiny('mobilenet_v2');
    const layer = zooLayers().find((z) => z.name === 'evonorm-b0')!.graph;
    const onnx = await createTrainer('onnx', spec, layer, { batch: 6, seed: 2, threads: 1, evalBatch: 16 });
    const tfjs = await createTrainer('tfjs', spec, layer, { batch: 6, seed: 2, evalBatch: 16 });
    for (let step = 0; step < 4; step++) {
      const b = makeBatch(data, data.train, [6 * step, 6 * step + 1, 6 * step + 2, 6 * step + 3, 6 * step + 4, 6 * step + 5]);
      const x = await onnx.step(b.images, b.labels, 0.05);
      const y = await tfjs.step(b.images, b.labels, 0.05);
      assert.ok(Math.abs(x.loss - y.loss) <= 1e-3 * Math.abs(x.loss), `step ${step}: loss ${x.loss} vs ${y.loss}`);
      assert.equal(x.correct, y.correct, `step ${step}: correct`);
    }
    const p = onnx.parameters();
    for (const [name, q] of tfjs.parameters()) assert.ok(diffNorm(p.get(name)!, q) <= 1e-3 * norm(p.get(name)!) + 1e-6, `${name} after 4 steps`);
    // Inference form reads the moving averages both engines updated.
    const e1 = await onnx.evaluate(testBatch.images, testBatch.labels);
    const e2 = await tfjs.evaluate(testBatch.images, testBatch.labels);
    assert.ok(Math.abs(e1.loss - e2.loss) <= 1e-3 * e1.loss, `evaluation loss ${e1.loss} vs ${e2.loss}`);
    assert.equal(e1.accuracy, e2.accuracy);
    // Training form: each batch by its own statistics. Both engines agree, and each agrees with its
    // own gradient graph's loss on the same batch (another graph, also training form); the moving
    // averages are not touched.
    const before = onnx.saveState();
    const t1 = await onnx.evaluate(testBatch.images, testBatch.labels, { batchStatistics: true });
    const t2 = await tfjs.evaluate(testBatch.images, testBatch.labels, { batchStatistics: true });
    assert.ok(Math.abs(t1.loss - t2.loss) <= 1e-3 * t1.loss, `batch-statistics evaluation loss ${t1.loss} vs ${t2.loss}`);
    assert.equal(t1.accuracy, t2.accuracy);
    for (const [label, trainer, t] of [
      ['onnx', onnx, t1],
      ['tfjs', tfjs, t2],
    ] as const) {
      const g = await trainer.gradients(testBatch.images, testBatch.labels);
      assert.ok(Math.abs(t.loss - g.loss) <= 1e-5 * g.loss, `${label}: batch-statistics evaluation loss ${t.loss} vs training-form loss ${g.loss}`);
    }
    assert.ok(Math.abs(t1.loss - e1.loss) > 1e-3 * e1.loss, `the forms differ for B0 after 4 steps: ${t1.loss} vs ${e1.loss}`);
    for (const [name, value] of onnx.saveState()) assert.deepEqual(value, before.get(name), `${name} unchanged by evaluation`);
    await onnx.release();
    await tfjs.release();
  });

  it('keeps the tensor count stable across steps (every step in tf.tidy)', async () => {
    const spec = tiny('efficientnet_b0');
    const trainer = await createTrainer('tfjs', spec, zooLayers()[0]!.graph, { batch: 6, seed: 1, evalBatch: 16 });
    await trainer.step(batch.images, batch.labels, 0.05);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      await trainer.step(batch.images, batch.labels, 0.05);
      await trainer.gradients(batch.images, batch.labels);
      await trainer.evaluate(testBatch.images, testBatch.labels);
      await trainer.evaluate(testBatch.images, testBatch.labels, { batchStatistics: true });
      assert.equal(tf.memory().numTensors, before, `after round ${i}`);
    }
    await trainer.release();
    assert.ok(tf.memory().numTensors < before, 'release frees the variables');
  });

  it('trains through the same train() loop, and auto picks onnx without a native tfjs backend', async () => {
    assert.equal(await resolveEngine('auto'), 'onnx');
    assert.equal(await resolveEngine('tfjs'), 'tfjs');
    const result = await train({ network: tiny('resnet_v2'), layer: zooLayers()[0]!.graph, dataset: data, steps: 8, batchSize: 8, seed: 1, engine: 'tfjs', validationExamples: 16 });
    assert.equal(result.engine, 'tfjs/cpu');
    assert.equal(result.lossCurve.length, 8);
    assert.ok(result.lossCurve.every(Number.isFinite));
    assert.ok(result.accuracy >= 0 && result.accuracy <= 1);
  });

  it('runs the stability and quality tests with the same verdicts and numbers as onnx', async () => {
    const layer = zooLayers().find((z) => z.name === 'bn-relu')!.graph;
    const spec = tiny('resnet_v2');
    const explode = {
      nodes: [
        { op: 'exp' as const, inputs: [0] },
        { op: 'exp' as const, inputs: [4] },
      ],
    };
    for (const [label, graph] of [
      ['bn-relu', layer],
      ['exp(exp(x))', explode],
    ] as const) {
      const [a, b] = await Promise.all(
        (['onnx', 'tfjs'] as const).map((engine) => stabilityTest({ layer: graph, dataset: data, seed: 3, architecture: spec, steps: 3, batchSize: 6, engine, threads: 1 })),
      );
      assert.equal(b!.accepted, a!.accepted, `${label}: onnx ${a!.detail} / tfjs ${b!.detail}`);
      assert.equal(b!.steps, a!.steps, label);
      if (Number.isFinite(a!.maxGradientNorm)) {
        assert.ok(Math.abs(a!.maxGradientNorm - b!.maxGradientNorm) <= 1e-3 * a!.maxGradientNorm, `${label}: max ‖∇‖ ${a!.maxGradientNorm} vs ${b!.maxGradientNorm}`);
      }
    }
    const quality = (engine: 'onnx' | 'tfjs') =>
      qualityTest({ layer, dataset: data, seed: 3, architectures: [spec], steps: 6, batchSize: 8, minAccuracy: 0, validationExamples: 16, engine, threads: 1 });
    const q1 = await quality('onnx');
    const q2 = await quality('tfjs');
    assert.ok(q1.accepted && q2.accepted);
    assert.equal(q2.scores[0]!.architecture, 'resnet_v2');
    assert.ok(Math.abs(q1.scores[0]!.loss - q2.scores[0]!.loss) <= 1e-3 * q1.scores[0]!.loss, `validation loss ${q1.scores[0]!.loss} vs ${q2.scores[0]!.loss}`);
    assert.ok(Math.abs(q1.scores[0]!.accuracy - q2.scores[0]!.accuracy) <= 1 / 16, `accuracy ${q1.scores[0]!.accuracy} vs ${q2.scores[0]!.accuracy}`);
  });
});
