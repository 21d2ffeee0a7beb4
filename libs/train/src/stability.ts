/**
 * The stability test: adversarial ascent of the gradient norm ‖∂ℓ/∂θ‖₂ with respect to the
 * weights θ on a small batch; a layer is rejected when the norm exceeds the threshold (1e8) or
 * stops being finite. The ascent direction ∂‖∇ℓ‖/∂θ = H·∇ℓ/‖∇ℓ‖ comes from a Hessian-vector
 * product by central finite differences of gradients (ONNX has no nested gradients). Each step
 * moves θ by a fixed fraction of ‖θ‖ along the normalized direction.
 */
import { makeBatch, trainValidationSplit, type Dataset } from '@evonorm/data';
import { Rng, type LayerGraph, type Seed } from '@evonorm/graph';
import { architecture, type NetworkSpec } from '@evonorm/nets';
import type { ExecutionProvider } from '@evonorm/onnx';
import { createTrainer, type EngineName } from './engine.js';

export interface StabilityOptions {
  readonly layer: LayerGraph;
  readonly dataset: Dataset;
  readonly seed: Seed;
  /** A name (default size for the dataset) or a whole network description. */
  readonly architecture?: string | NetworkSpec;
  readonly steps?: number;
  readonly batchSize?: number;
  readonly maxGradientNorm?: number;
  /** Ascent step as a fraction of ‖θ‖ (default 0.01). */
  readonly stepSize?: number;
  /** Finite-difference step along the unit direction (default 1e-2). */
  readonly epsilon?: number;
  readonly engine?: EngineName;
  readonly ep?: ExecutionProvider;
  /** GPU index for the CUDA provider. */
  readonly device?: number;
  readonly threads?: number;
}

export interface StabilityResult {
  readonly accepted: boolean;
  readonly maxGradientNorm: number;
  readonly steps: number;
  readonly seconds: number;
  readonly detail: string;
}

type Params = Map<string, Float32Array>;

function norm(m: ReadonlyMap<string, Float32Array>): number {
  let s = 0;
  for (const v of m.values()) for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  return Math.sqrt(s);
}

/** a + k·b, per tensor. */
function axpy(a: Params, k: number, b: ReadonlyMap<string, Float32Array>): Params {
  const out: Params = new Map();
  for (const [name, v] of a) {
    const w = b.get(name)!;
    out.set(
      name,
      v.map((x, i) => x + k * w[i]!),
    );
  }
  return out;
}

export async function stabilityTest(options: StabilityOptions): Promise<StabilityResult> {
  const steps = options.steps ?? 100;
  const threshold = options.maxGradientNorm ?? 1e8;
  const stepSize = options.stepSize ?? 0.01;
  const eps = options.epsilon ?? 1e-2;
  const batch = options.batchSize ?? 8;
  const start = performance.now();
  const rng = Rng.fromSeed(options.seed);
  const chosen = options.architecture ?? 'resnet_v2';
  const spec = typeof chosen === 'string' ? architecture(chosen, { input: options.dataset.shape, classes: options.dataset.classes }) : chosen;
  const { train } = trainValidationSplit(options.dataset, Math.min(100, options.dataset.train.count - batch), rng);
  const data = makeBatch(options.dataset, train, rng.sample(train.count, batch));
  const trainer = await createTrainer(options.engine ?? 'auto', spec, options.layer, {
    batch,
    seed: options.seed,
    ...(options.ep ? { ep: options.ep } : {}),
    ...(options.device !== undefined ? { device: options.device } : {}),
    ...(options.threads ? { threads: options.threads } : {}),
  });
  const result = (accepted: boolean, maxNorm: number, done: number, detail: string): StabilityResult => ({
    accepted,
    maxGradientNorm: maxNorm,
    steps: done,
    seconds: (performance.now() - start) / 1000,
    detail,
  });
  try {
    let theta = trainer.parameters();
    let maxNorm = 0;
    for (let step = 0; step < steps; step++) {
      const { grads } = await trainer.gradients(data.images, data.labels, theta);
      const gNorm = norm(grads);
      maxNorm = Math.max(maxNorm, Number.isFinite(gNorm) ? gNorm : Infinity);
      if (!Number.isFinite(gNorm)) return result(false, Infinity, step + 1, `gradient norm is ${gNorm} at ascent step ${step}`);
      if (gNorm > threshold) {
        return result(false, maxNorm, step + 1, `gradient norm ${gNorm.toExponential(2)} exceeds ${threshold.toExponential(0)} at ascent step ${step}`);
      }
      if (gNorm === 0) return result(true, maxNorm, step + 1, 'zero gradient: nothing to ascend');
      const unit = new Map([...grads].map(([k, v]) => [k, v.map((x) => x / gNorm)]));
      const plus = await trainer.gradients(data.images, data.labels, axpy(theta, eps, unit));
      const minus = await trainer.gradients(data.images, data.labels, axpy(theta, -eps, unit));
      const hv = new Map([...plus.grads].map(([k, v]) => [k, v.map((x, i) => (x - minus.grads.get(k)![i]!) / (2 * eps))]));
      const hvNorm = norm(hv);
      if (!Number.isFinite(hvNorm)) {
        return result(false, Infinity, step + 1, `the gradient norm's gradient is not finite at ascent step ${step}`);
      }
      if (hvNorm === 0) return result(true, maxNorm, step + 1, `flat: the gradient norm does not change (step ${step})`);
      theta = axpy(theta, (stepSize * norm(theta)) / hvNorm, hv);
    }
    return result(true, maxNorm, steps, `gradient norm stayed ≤ ${maxNorm.toExponential(2)} over ${steps} ascent steps`);
  } finally {
    await trainer.release();
  }
}
