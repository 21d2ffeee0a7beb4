/**
 * One short training's loss curve, pinned: eight SGD steps and an evaluation on tiny proxies,
 * compared with the values the ONNX engine gave before the training-graph rewrites of issue 21
 * (commit 9937d4d: im2col weight gradients, flipped-kernel input gradients, CSE, session reuse).
 * Tolerance: 5e-4 relative per value; the rewrites moved these curves by at most 3.2e-5 here.
 *
 * BN-ReLU is pinned on ResNet-v2 only: on the tiny MobileNetV2 and EfficientNet-B0 its training
 * is chaotic in float32 (batch statistics over 8 examples at 1×1 resolution), and any two float32
 * engines part by 1e-2 within six steps, TF.js against ONNX Runtime included.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeBatch, syntheticDataset } from '@evonorm/data';
import { zooLayers } from '@evonorm/graph';
import { architecture } from '@evonorm/nets';
import { createTrainer } from '../src/index.js';

const PINNED: Record<string, readonly number[]> = {
  'resnet_v2/bn-relu': [2.13603, 2.518906, 2.339557, 2.449259, 2.560142, 2.344919, 2.286801, 2.309842, 2.206896],
  'resnet_v2/evonorm-b0': [2.313477, 2.316345, 2.174735, 2.379004, 2.263974, 2.491015, 2.232601, 2.472404, 2.238066],
  'resnet_v2/evonorm-s0': [2.313921, 2.654626, 2.389989, 2.400413, 2.53763, 2.245193, 2.177958, 2.342035, 2.240374],
  'mobilenet_v2/evonorm-b0': [2.561742, 2.641174, 2.17705, 2.062082, 2.108715, 2.14751, 2.206745, 2.646154, 2.828656],
  'mobilenet_v2/evonorm-s0': [2.267079, 2.503446, 2.286422, 2.570804, 2.290305, 2.430851, 2.640501, 2.508276, 2.538738],
  'efficientnet_b0/evonorm-b0': [2.362434, 2.595093, 2.543409, 2.126659, 2.631336, 2.481802, 2.319802, 2.131433, 2.108996],
  'efficientnet_b0/evonorm-s0': [2.054821, 2.53565, 2.239875, 2.265651, 2.361834, 2.282402, 2.364497, 2.27876, 2.146328],
};

const data = syntheticDataset({ seed: 4, shape: [1, 8, 8], train: 64, test: 16 });

/** Eight steps at lr 0.02 on batches of 8 in order, then the evaluation loss on 16 test examples. */
async function lossCurve(arch: string, layerName: string): Promise<number[]> {
  const spec = architecture(arch, { input: [1, 8, 8], classes: 10, width: 0.25, depth: 0.25 });
  const layer = zooLayers().find((z) => z.name === layerName)!.graph;
  const trainer = await createTrainer('onnx', spec, layer, { batch: 8, seed: 3, threads: 1, evalBatch: 16 });
  try {
    const losses: number[] = [];
    for (let step = 0; step < 8; step++) {
      const b = makeBatch(
        data,
        data.train,
        Array.from({ length: 8 }, (_, i) => 8 * step + i),
      );
      losses.push((await trainer.step(b.images, b.labels, 0.02)).loss);
    }
    const test = makeBatch(
      data,
      data.test,
      Array.from({ length: 16 }, (_, i) => i),
    );
    losses.push((await trainer.evaluate(test.images, test.labels)).loss);
    return losses;
  } finally {
    await trainer.release();
  }
}

describe('a short training’s loss curve', () => {
  for (const [key, pinned] of Object.entries(PINNED)) {
    const [arch, layer] = key.split('/') as [string, string];
    it(`stays where the engine had it before its rewrites: ${key}`, async () => {
      const curve = await lossCurve(arch, layer);
      curve.forEach((loss, i) => {
        const what = i < 8 ? `step ${i}` : 'evaluation';
        assert.ok(Math.abs(loss - pinned[i]!) <= 5e-4 * pinned[i]!, `${key} ${what}: loss ${loss}, pinned ${pinned[i]}`);
      });
    });
  }

  it('repeats exactly when the sessions come from the cache', async () => {
    const first = await lossCurve('mobilenet_v2', 'evonorm-s0');
    const again = await lossCurve('mobilenet_v2', 'evonorm-s0');
    assert.deepEqual(again, first);
  });
});
