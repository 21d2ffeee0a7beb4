/**
 * Training throughput and test costs, one JSON line per figure:
 *   node libs/train/dist/bench/train.js [--ep cpu|cuda] [--device 0] [--batch 64[,256]] [--steps 10]
 *     [--threads 0] [--layer bn-relu] [--architectures resnet_v2,...] [--skip-tests]
 * First the reference of this run: ORT's 3×3 Conv throughput (GFLOP/s, 64×32×32×32, C→C) on the
 * same provider, GPU and thread count. Then images/s per architecture and batch (3×32×32 like
 * CIFAR-10) with each proxy's training FLOPs per image (3 × forward conv and dense FLOPs, see
 * flops.ts), the achieved GFLOP/s and its fraction of the Conv reference. Last, unless --skip-tests,
 * the seconds of one quality test (100 steps × 3 architectures) and one stability test.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { FASHION_MNIST_DIR, makeBatch, readFashionMnist, syntheticDataset } from '@evonorm/data';
import { Rng, zooLayer } from '@evonorm/graph';
import { ARCHITECTURES, architecture, isArchitecture } from '@evonorm/nets';
import { benchConv, checkExecutionProvider, type ExecutionProvider } from '@evonorm/onnx';
import { createTrainer, qualityTest, stabilityTest } from '../src/index.js';
import { trainingFlops } from '../src/flops.js';

const { values } = parseArgs({
  options: {
    ep: { type: 'string', default: 'cpu' },
    device: { type: 'string', default: '0' },
    batch: { type: 'string', default: '64' },
    steps: { type: 'string', default: '10' },
    threads: { type: 'string', default: '0' },
    layer: { type: 'string', default: 'bn-relu' },
    architectures: { type: 'string', default: ARCHITECTURES.join(',') },
    'skip-tests': { type: 'boolean', default: false },
  },
});
const fail = (message: string): never => {
  console.error(`train:bench: ${message}`);
  process.exit(2);
};
const integer = (name: string, text: string, min: number): number => {
  const v = Number(text);
  if (!Number.isInteger(v) || v < min) fail(`--${name} must be an integer ≥ ${min}, got ${JSON.stringify(text)}`);
  return v;
};
if (values.ep !== 'cpu' && values.ep !== 'cuda') fail(`--ep must be cpu or cuda, got ${JSON.stringify(values.ep)}`);
const ep = values.ep as ExecutionProvider;
const device = integer('device', values.device, 0);
const threads = integer('threads', values.threads, 0) || availableParallelism();
const batches = values.batch.split(',').map((b) => integer('batch', b, 1));
const steps = integer('steps', values.steps, 1);
const architectures = values.architectures.split(',');
for (const a of architectures) if (!isArchitecture(a)) fail(`unknown architecture ${a} (${ARCHITECTURES.join(', ')})`);
const layer = zooLayer(values.layer).graph;
const round = (v: number, digits = 2): number => Number(v.toFixed(digits));
const emit = (metric: string, value: number, extra: Record<string, unknown>): void =>
  console.log(JSON.stringify({ bench: 'train', metric, value: round(value), ep, device: ep === 'cuda' ? device : undefined, threads, layer: values.layer, ...extra }));

try {
  await checkExecutionProvider(ep, device);
} catch (error) {
  fail((error as Error).message);
}

const conv = await benchConv({ ep, device, threads });
console.log(JSON.stringify({ ...conv, device: ep === 'cuda' ? device : undefined, gflop_per_s: round(conv.gflop_per_s, 1), ms: round(conv.ms, 3) }));

const input = [3, 32, 32] as const;
const cifarLike = syntheticDataset({ seed: 1, shape: input, train: Math.max(...batches), test: 64 });
for (const name of architectures) {
  const spec = architecture(name, { input: [...input] });
  const flopsPerImage = trainingFlops(spec);
  for (const batch of batches) {
    const trainer = await createTrainer('onnx', spec, layer, { batch, seed: 1, ep, device, threads });
    const data = makeBatch(cifarLike, cifarLike.train, Rng.fromSeed(1).sample(cifarLike.train.count, batch));
    for (let i = 0; i < 2; i++) await trainer.step(data.images, data.labels, 0.01); // warm-up
    const start = performance.now();
    for (let i = 0; i < steps; i++) await trainer.step(data.images, data.labels, 0.01);
    const seconds = (performance.now() - start) / 1000;
    const imagesPerS = (steps * batch) / seconds;
    const gflopPerS = (imagesPerS * flopsPerImage) / 1e9;
    emit('images_per_s', imagesPerS, {
      architecture: name,
      batch,
      input,
      steps,
      training_mflop_per_image: round(flopsPerImage / 1e6, 1),
      gflop_per_s: round(gflopPerS, 1),
      conv_gflop_per_s: round(conv.gflop_per_s, 1),
      fraction_of_conv: conv.gflop_per_s > 0 ? round(gflopPerS / conv.gflop_per_s, 3) : undefined,
    });
    await trainer.release();
  }
}

if (!values['skip-tests']) {
  const real = existsSync(FASHION_MNIST_DIR);
  const dataset = real ? readFashionMnist() : syntheticDataset({ seed: 1, shape: [1, 28, 28], train: 5000, test: 500 });
  const quality = await qualityTest({ layer, dataset, seed: 1, ep, device, threads });
  emit('quality_test_s', quality.seconds, {
    dataset: dataset.name,
    steps: 100,
    architectures: quality.scores.map((s) => s.architecture),
    accuracies: quality.scores.map((s) => Number(s.accuracy.toFixed(3))),
    accepted: quality.accepted,
  });
  const stability = await stabilityTest({ layer, dataset, seed: 1, ep, device, threads });
  emit('stability_test_s', stability.seconds, { dataset: dataset.name, steps: stability.steps, max_gradient_norm: stability.maxGradientNorm, accepted: stability.accepted });
}
