/**
 * Both training engines on the same networks, one JSON line per engine and architecture:
 *   node libs/train/dist/bench/engines.js [--tfjs-steps 2] [--onnx-steps 10] [--batch 32] [--layer bn-relu]
 * images/s of full training steps (forward, backward, SGD) on the search's default proxies
 * (Fashion-MNIST's 1×28×28, resnet_v2 at width 0.5 and depth 0.34, the others at 0.25), so users
 * can see what TensorFlow.js costs here: pure JS unless tfjs-node(-gpu) is installed.
 */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { makeBatch, syntheticDataset } from '@evonorm/data';
import { Rng, zooLayer } from '@evonorm/graph';
import { ARCHITECTURES, architecture } from '@evonorm/nets';
import { initBackend } from '@evonorm/tfjs';
import { createTrainer, type EngineName } from '../src/index.js';

const { values } = parseArgs({
  options: {
    'tfjs-steps': { type: 'string', default: '2' },
    'onnx-steps': { type: 'string', default: '10' },
    batch: { type: 'string', default: '32' },
    layer: { type: 'string', default: 'bn-relu' },
    threads: { type: 'string', default: '0' },
  },
});
const batch = Number(values.batch);
const threads = Number(values.threads) || availableParallelism();
const layer = zooLayer(values.layer).graph;
const input = [1, 28, 28] as const;
const scale: Record<string, { width: number; depth: number }> = {
  resnet_v2: { width: 0.5, depth: 0.34 },
  mobilenet_v2: { width: 0.25, depth: 0.25 },
  efficientnet_b0: { width: 0.25, depth: 0.25 },
};
const backend = await initBackend();
const data = syntheticDataset({ seed: 1, shape: input, train: 4 * batch, test: batch });

for (const name of ARCHITECTURES) {
  const spec = architecture(name, { input, classes: 10, ...scale[name] });
  for (const engine of ['onnx', 'tfjs'] as const satisfies readonly EngineName[]) {
    const trainer = await createTrainer(engine, spec, layer, { batch, seed: 1, threads });
    const b = makeBatch(data, data.train, Rng.fromSeed(1).sample(data.train.count, batch));
    await trainer.step(b.images, b.labels, 0.01); // warm-up: compilation, first allocations
    const steps = Number(engine === 'tfjs' ? values['tfjs-steps'] : values['onnx-steps']);
    const start = performance.now();
    for (let i = 0; i < steps; i++) await trainer.step(b.images, b.labels, 0.01);
    const seconds = (performance.now() - start) / 1000;
    console.log(
      JSON.stringify({
        bench: 'engines',
        metric: 'images_per_s',
        value: Number(((steps * batch) / seconds).toFixed(2)),
        engine: trainer.engine,
        ...(engine === 'tfjs' ? { tfjs_package: backend.package } : { threads }),
        architecture: name,
        ...scale[name],
        input,
        batch,
        steps,
        layer: values.layer,
      }),
    );
    await trainer.release();
  }
}
