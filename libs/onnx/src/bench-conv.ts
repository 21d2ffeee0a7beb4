/**
 * The compute reference benchmarks print next to their figures: ONNX Runtime's 3×3 convolution
 * throughput (GFLOP/s) on the same provider and thread count, measured in the same run. A figure
 * with its machine's reference can be compared across machines that differ 2× from day to day.
 * Its sessions are made like the training sessions (threads spin), so it is their ceiling.
 */
import { Rng } from '@evonorm/graph';
import { generatedModel, timeModels, type TimingOptions } from './bench-timing.js';

export interface ConvReference {
  readonly bench: 'conv_reference';
  readonly ep: string;
  readonly threads: number;
  /** [N, C, H, W] of the input; C in, C out, 3×3, stride 1, same padding. */
  readonly shape: readonly number[];
  readonly kernel: number;
  readonly flop: number;
  readonly ms: number;
  readonly gflop_per_s: number;
}

/** FLOPs (2 per multiply-add) of a k×k, stride-1, same-padded convolution C→C on [N, C, H, W]. */
export function convFlops(shape: readonly [number, number, number, number], kernel: number): number {
  const [n, c, h, w] = shape;
  return 2 * n * c * h * w * c * kernel * kernel;
}

/** Conv GFLOP/s: a chain of `chain` convolutions minus the generator alone, timed interleaved. */
export async function benchConv(options: TimingOptions & { shape?: readonly [number, number, number, number]; kernel?: number; chain?: number; threads: number }): Promise<ConvReference> {
  const shape = options.shape ?? [64, 32, 32, 32];
  const kernel = options.kernel ?? 3;
  const chain = options.chain ?? 2;
  const c = shape[1];
  const rng = Rng.fromSeed(2);
  const scale = Math.sqrt(1 / (c * kernel * kernel));
  const conv = generatedModel(shape, 'float32', (b, x) => {
    let y = x;
    for (let k = 0; k < chain; k++) {
      const weights = b.initializer(
        'conv_w',
        Array.from({ length: c * c * kernel * kernel }, () => scale * rng.normal()),
        [c, c, kernel, kernel],
        'float32',
      );
      const pad = Math.floor(kernel / 2);
      y = b.node('Conv', [y, weights], { kernel_shape: [kernel, kernel], pads: [pad, pad, pad, pad], strides: [1, 1] });
    }
    return y;
  });
  const [base, timed] = await timeModels([generatedModel(shape, 'float32'), conv], { repeats: 10, minSeconds: 1, spinning: true, ...options });
  const ms = Math.max(0, (timed!.ms - base!.ms) / chain);
  const flop = convFlops(shape, kernel);
  return { bench: 'conv_reference', ep: options.ep ?? 'cpu', threads: options.threads, shape: [...shape], kernel, flop, ms, gflop_per_s: ms > 0 ? flop / (ms * 1e6) : 0 };
}
