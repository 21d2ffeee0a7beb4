/**
 * Execution-provider parity, one JSON line per layer:
 *   node libs/train/dist/bench/parity.js [--ep cuda] [--reference cpu] [--device 0] [--steps 20]
 *     [--layers bn-relu,evonorm-s0] [--batch 32] [--tolerance 1e-3]
 * Trains the same ResNet proxy (same seed, weights and batches) for --steps SGD steps on --ep and
 * on --reference and compares the loss after the last step: |a − b| / |b| ≤ tolerance passes. With
 * --ep cpu on both sides the second run uses one thread, so a CPU-only machine still compares two
 * different kernels' reductions.
 */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { makeBatch, syntheticDataset } from '@evonorm/data';
import { Rng, zooLayer } from '@evonorm/graph';
import { architecture } from '@evonorm/nets';
import { checkExecutionProvider, type ExecutionProvider } from '@evonorm/onnx';
import { createTrainer } from '../src/index.js';

const { values } = parseArgs({
  options: {
    ep: { type: 'string', default: 'cuda' },
    reference: { type: 'string', default: 'cpu' },
    device: { type: 'string', default: '0' },
    steps: { type: 'string', default: '20' },
    layers: { type: 'string', default: 'bn-relu,evonorm-s0' },
    batch: { type: 'string', default: '32' },
    tolerance: { type: 'string', default: '1e-3' },
  },
});
const fail = (message: string): never => {
  console.error(`parity: ${message}`);
  process.exit(2);
};
const provider = (text: string, flag: string): ExecutionProvider => (text === 'cpu' || text === 'cuda' ? text : fail(`--${flag} must be cpu or cuda`));
const ep = provider(values.ep, 'ep');
const reference = provider(values.reference, 'reference');
const device = Number(values.device);
const steps = Number(values.steps);
const batch = Number(values.batch);
const tolerance = Number(values.tolerance);
if (![device, steps, batch].every(Number.isInteger) || steps < 1 || batch < 1 || device < 0) fail('--device, --steps and --batch must be integers (steps, batch ≥ 1)');
if (!(tolerance > 0)) fail('--tolerance must be a positive number');
try {
  await checkExecutionProvider(ep, device);
} catch (error) {
  fail((error as Error).message);
}

const input = [3, 32, 32] as const;
const spec = architecture('resnet_v2', { input: [...input], width: 0.5, depth: 0.34 });
const data = syntheticDataset({ seed: 3, shape: input, train: 8 * batch, test: batch });
const batches = Array.from({ length: steps }, (_, i) => makeBatch(data, data.train, Rng.fromSeed(100 + i).sample(data.train.count, batch)));

async function lossAfter(layerName: string, on: ExecutionProvider, threads: number): Promise<number> {
  const trainer = await createTrainer('onnx', spec, zooLayer(layerName).graph, { batch, seed: 1, ep: on, device, threads });
  let loss = NaN;
  try {
    for (const b of batches) loss = (await trainer.step(b.images, b.labels, 0.05)).loss;
  } finally {
    await trainer.release();
  }
  return loss;
}

let failed = false;
for (const layerName of values.layers.split(',')) {
  const threads = availableParallelism();
  const a = await lossAfter(layerName, ep, threads);
  const b = await lossAfter(layerName, reference, ep === reference ? 1 : threads);
  const relative = Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);
  const pass = relative <= tolerance;
  failed ||= !pass;
  console.log(
    JSON.stringify({
      bench: 'parity',
      layer: layerName,
      ep,
      reference,
      device: ep === 'cuda' ? device : undefined,
      steps,
      batch,
      loss: a,
      reference_loss: b,
      relative_difference: relative,
      tolerance,
      pass,
    }),
  );
}
process.exitCode = failed ? 1 : 0;
