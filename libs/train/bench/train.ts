/**
 * Training throughput and test costs, one JSON line per figure:
 *   node libs/train/dist/bench/train.js [--ep cpu|cuda] [--steps 10] [--threads 0]
 * images/s per architecture (batch 64, 3×32×32 like CIFAR-10), and the seconds of one quality
 * test (100 steps × 3 architectures) and one stability test (100 ascent steps) for BN-ReLU.
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { FASHION_MNIST_DIR, makeBatch, readFashionMnist, syntheticDataset } from '@evonorm/data';
import { Rng, zooLayer } from '@evonorm/graph';
import { ARCHITECTURES, architecture } from '@evonorm/nets';
import type { ExecutionProvider } from '@evonorm/onnx';
import { availableParallelism } from 'node:os';
import { createTrainer, qualityTest, stabilityTest } from '../src/index.js';

const { values } = parseArgs({
  options: {
    ep: { type: 'string', default: 'cpu' },
    steps: { type: 'string', default: '10' },
    threads: { type: 'string', default: '0' },
    layer: { type: 'string', default: 'bn-relu' },
  },
});
const ep = values.ep as ExecutionProvider;
const threads = Number(values.threads) || availableParallelism();
const layer = zooLayer(values.layer).graph;
const emit = (metric: string, value: number, extra: Record<string, unknown>): void =>
  console.log(JSON.stringify({ bench: 'train', metric, value: Number(value.toFixed(2)), ep, threads, layer: values.layer, ...extra }));

const cifarLike = syntheticDataset({ seed: 1, shape: [3, 32, 32], train: 640, test: 64 });
const batch = 64;
for (const name of ARCHITECTURES) {
  const spec = architecture(name, { input: [3, 32, 32] });
  const trainer = await createTrainer('onnx', spec, layer, { batch, seed: 1, ep, threads });
  const rng = Rng.fromSeed(1);
  const data = makeBatch(cifarLike, cifarLike.train, rng.sample(cifarLike.train.count, batch));
  for (let i = 0; i < 2; i++) await trainer.step(data.images, data.labels, 0.01); // warm-up
  const steps = Number(values.steps);
  const start = performance.now();
  for (let i = 0; i < steps; i++) await trainer.step(data.images, data.labels, 0.01);
  const seconds = (performance.now() - start) / 1000;
  emit('images_per_s', (steps * batch) / seconds, { architecture: name, batch, input: [3, 32, 32], steps });
  await trainer.release();
}

const real = existsSync(FASHION_MNIST_DIR);
const dataset = real ? readFashionMnist() : syntheticDataset({ seed: 1, shape: [1, 28, 28], train: 5000, test: 500 });
const quality = await qualityTest({ layer, dataset, seed: 1, ep, threads });
emit('quality_test_s', quality.seconds, {
  dataset: dataset.name,
  steps: 100,
  architectures: quality.scores.map((s) => s.architecture),
  accuracies: quality.scores.map((s) => Number(s.accuracy.toFixed(3))),
  accepted: quality.accepted,
});
const stability = await stabilityTest({ layer, dataset, seed: 1, ep, threads });
emit('stability_test_s', stability.seconds, { dataset: dataset.name, steps: stability.steps, max_gradient_norm: stability.maxGradientNorm, accepted: stability.accepted });
