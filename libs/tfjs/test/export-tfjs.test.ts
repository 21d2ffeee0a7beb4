/**
 * The TensorFlow.js layer export against the float64 interpreter: every zoo layer and 24 random
 * layers the probe accepts, imported as generated ES modules, in training mode (output and
 * updated moving averages) and inference, with random weights and moving averages, 12 channels
 * in 4 groups, NCHW and NHWC. Float32 on TF.js's CPU backend: ≤ 1e-5 normwise.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { FunctionalProbe, Rng, evaluateLayer, isBatchAggregate, randomGraph, tensor, tfjsLayerSource, zooLayers, type LayerGraph, type LayerParams, type Shape4 } from '@evonorm/graph';
import { tf } from '../src/index.js';

const SHAPE: Shape4 = [3, 12, 3, 4];
const GROUPS = 4;

interface ExportedLayer extends tf.layers.Layer {
  readonly v0: tf.LayerVariable;
  readonly v1: tf.LayerVariable;
  readonly gamma: tf.LayerVariable;
  readonly beta: tf.LayerVariable;
}
type LayerClass = new (config: { groups: number; dataFormat: 'channelsFirst' | 'channelsLast' }) => ExportedLayer;

// Generated modules import '@tensorflow/tfjs', so they are written where node resolves it: beside this test.
const dir = mkdtempSync(join(dirname(fileURLToPath(import.meta.url)), 'generated-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function relativeError(got: ArrayLike<number>, want: Float64Array): number {
  let diff = 0;
  let norm = 0;
  want.forEach((w, i) => {
    diff += (got[i]! - w) ** 2;
    norm += w * w;
  });
  return Math.sqrt(diff) / Math.max(Math.sqrt(norm), 1e-30);
}

async function load(graph: LayerGraph, index: number): Promise<LayerClass> {
  const file = join(dir, `layer-${index}.mjs`);
  writeFileSync(file, tfjsLayerSource(graph, { className: `Layer${index}` }));
  const module = (await import(pathToFileURL(file).href)) as Record<string, LayerClass>;
  return module[`Layer${index}`]!;
}

describe('TensorFlow.js layer export against the float64 interpreter', () => {
  it('agrees for the zoo and 24 random layers, training and inference, NCHW and NHWC (float32, ≤ 1e-5 normwise)', async () => {
    const rng = Rng.fromSeed(29);
    const graphs: Array<{ name: string; graph: LayerGraph }> = zooLayers().map((z) => ({ name: z.name, graph: z.graph }));
    const probe = new FunctionalProbe();
    while (graphs.length < zooLayers().length + 24) {
      const graph = randomGraph(rng);
      if (probe.probe(graph).ok) graphs.push({ name: `random ${graphs.length - zooLayers().length}`, graph });
    }
    const c = SHAPE[1];
    const vector = (f: () => number): Float64Array => Float64Array.from({ length: c }, f);
    for (const [index, { name, graph }] of graphs.entries()) {
      const Layer = await load(graph, index);
      const x = Float64Array.from({ length: SHAPE.reduce((a, b) => a * b, 1) }, () => rng.normal());
      const params: LayerParams = {
        v0: vector(() => rng.normal() * 0.5),
        v1: vector(() => 1 + rng.normal() * 0.5),
        gamma: vector(() => 1 + rng.normal() * 0.3),
        beta: vector(() => rng.normal() * 0.3),
      };
      const state = new Map<number, Float64Array>();
      graph.nodes.forEach((node, i) => {
        if (isBatchAggregate(node))
          state.set(
            i + 4,
            vector(() => (node.op === 'mean' ? rng.normal() : 0.5 + rng.float())),
          );
      });
      const train = evaluateLayer(graph, tensor(SHAPE, x), { mode: 'train', params, state, groups: GROUPS });
      const infer = evaluateLayer(graph, tensor(SHAPE, x), { mode: 'infer', params, state, groups: GROUPS });
      for (const dataFormat of ['channelsFirst', 'channelsLast'] as const) {
        const label = `${name} (${dataFormat})`;
        const layer = new Layer({ groups: GROUPS, dataFormat });
        const nchw = tf.tensor4d(Float32Array.from(x), [...SHAPE]);
        const input = dataFormat === 'channelsFirst' ? nchw : tf.transpose(nchw, [0, 2, 3, 1]);
        const asNchw = (y: tf.Tensor): Float32Array => (dataFormat === 'channelsFirst' ? y : tf.transpose(y, [0, 3, 1, 2])).dataSync() as Float32Array;
        layer.build(input.shape);
        for (const key of ['v0', 'v1', 'gamma', 'beta'] as const) layer[key].write(tf.tensor1d(Float32Array.from(params[key])));
        const moving = (id: number): tf.LayerVariable => (layer as unknown as Record<string, tf.LayerVariable>)[`moving${id}`]!;
        const reset = (): void => state.forEach((values, id) => moving(id).write(tf.tensor1d(Float32Array.from(values))));
        reset();
        const yTrain = asNchw(layer.apply(input, { training: true }) as tf.Tensor);
        assert.ok(relativeError(yTrain, train.output.data) <= 1e-5, `${label}: training output off by ${relativeError(yTrain, train.output.data)}`);
        for (const [id, values] of train.state) {
          const got = moving(id).read().dataSync();
          assert.ok(relativeError(got, values) <= 1e-5, `${label}: moving average of node ${id} off by ${relativeError(got, values)}`);
        }
        reset();
        const yInfer = asNchw(layer.apply(input) as tf.Tensor);
        assert.ok(relativeError(yInfer, infer.output.data) <= 1e-5, `${label}: inference output off by ${relativeError(yInfer, infer.output.data)}`);
      }
    }
  });

  it('trains inside a tf.sequential model and leaves no tensors behind per call', async () => {
    const b0 = zooLayers().find((z) => z.name === 'evonorm-b0')!.graph;
    const Layer = await load(b0, 999);
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [6, 6, 2], filters: 8, kernelSize: 3, padding: 'same' }),
        new Layer({ groups: GROUPS, dataFormat: 'channelsLast' }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 3 }),
      ],
    });
    model.compile({ optimizer: tf.train.sgd(0.05), loss: 'meanSquaredError' });
    const xs = tf.randomNormal([8, 6, 6, 2], 0, 1, 'float32', 3);
    const ys = tf.randomNormal([8, 3], 0, 1, 'float32', 4);
    const history = await model.fit(xs, ys, { epochs: 5, batchSize: 8, verbose: 0 });
    const losses = history.history.loss as number[];
    assert.ok(losses.every(Number.isFinite) && losses.at(-1)! < losses[0]!, `loss falls: ${losses.join(', ')}`);
    const before = tf.memory().numTensors;
    tf.dispose(model.predict(xs) as tf.Tensor);
    assert.equal(tf.memory().numTensors, before);
  });
});
