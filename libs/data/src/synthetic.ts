/**
 * A synthetic, learnable image dataset: each class is a random smooth prototype pattern; examples
 * are the prototype, randomly shifted, plus noise. Deterministic for a seed.
 */
import { Rng } from '@evonorm/graph';
import { channelStatistics, type Dataset, type Split } from './dataset.js';

export interface SyntheticOptions {
  readonly seed?: number;
  readonly shape?: readonly [number, number, number];
  readonly classes?: number;
  readonly train?: number;
  readonly test?: number;
  /** Noise standard deviation in pixel units (0..255). */
  readonly noise?: number;
}

export function syntheticDataset(options: SyntheticOptions = {}): Dataset {
  const shape = options.shape ?? ([3, 32, 32] as const);
  const classes = options.classes ?? 10;
  const rng = Rng.fromSeed(options.seed ?? 0);
  const [c, h, w] = shape;
  const noise = options.noise ?? 40;
  // Prototypes: sums of a few random plane waves per channel.
  const prototypes = Array.from({ length: classes }, () => {
    const p = new Float64Array(c * h * w);
    for (let ch = 0; ch < c; ch++) {
      for (let k = 0; k < 3; k++) {
        const fx = rng.float() * 0.6;
        const fy = rng.float() * 0.6;
        const phase = rng.float() * 2 * Math.PI;
        for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) p[(ch * h + y) * w + x]! += Math.sin(fx * x + fy * y + phase);
      }
    }
    return p;
  });
  const make = (count: number): Split => {
    const images = new Uint8Array(count * c * h * w);
    const labels = new Uint8Array(count);
    for (let n = 0; n < count; n++) {
      const label = rng.int(classes);
      labels[n] = label;
      const dx = rng.int(3) - 1;
      const dy = rng.int(3) - 1;
      const p = prototypes[label]!;
      for (let ch = 0; ch < c; ch++) {
        for (let y = 0; y < h; y++) {
          for (let x = 0; x < w; x++) {
            const sy = Math.min(h - 1, Math.max(0, y + dy));
            const sx = Math.min(w - 1, Math.max(0, x + dx));
            const v = 128 + 40 * p[(ch * h + sy) * w + sx]! + noise * rng.normal();
            images[((n * c + ch) * h + y) * w + x] = Math.max(0, Math.min(255, Math.round(v)));
          }
        }
      }
    }
    return { images, labels, count };
  };
  const train = make(options.train ?? 2000);
  const test = make(options.test ?? 500);
  return { name: 'synthetic', shape, classes, train, test, ...channelStatistics(train, shape) };
}
