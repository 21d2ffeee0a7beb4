/**
 * Seeded train/validation splits and batches: shuffling per epoch, normalization to zero mean and
 * unit variance per channel, and CIFAR augmentation (random crop with zero padding, horizontal flip).
 */
import type { Rng } from '@evonorm/graph';
import { imageSize, subset, type Dataset, type Split } from './dataset.js';

/** Holds out `validation` examples of the training split, chosen by a seeded shuffle. */
export function trainValidationSplit(dataset: Dataset, validation: number, rng: Rng): { train: Split; validation: Split } {
  const count = dataset.train.count;
  if (!Number.isInteger(validation) || validation <= 0 || validation >= count) {
    throw new RangeError(`validation size must be an integer in 1..${count - 1}, got ${validation}`);
  }
  const order = rng.sample(count, count);
  const size = imageSize(dataset.shape);
  return {
    validation: subset(dataset.train, order.slice(0, validation), size),
    train: subset(dataset.train, order.slice(validation), size),
  };
}

export interface Batch {
  /** batch × C × H × W, normalized. */
  readonly images: Float32Array;
  readonly labels: Uint8Array;
  readonly size: number;
}

export interface Augmentation {
  /** Zero padding before a random crop back to the original size (4 for CIFAR). */
  readonly pad: number;
  readonly flip: boolean;
}

export const CIFAR_AUGMENTATION: Augmentation = { pad: 4, flip: true };

/** Normalized (and optionally augmented) copy of examples `indices`. */
export function makeBatch(dataset: Dataset, split: Split, indices: readonly number[], options: { augment?: Augmentation; rng?: Rng } = {}): Batch {
  const [c, h, w] = dataset.shape;
  const size = c * h * w;
  const images = new Float32Array(indices.length * size);
  const labels = new Uint8Array(indices.length);
  const aug = options.augment;
  if (aug && !options.rng) throw new Error('augmentation needs an rng');
  indices.forEach((index, k) => {
    labels[k] = split.labels[index]!;
    const dy = aug ? options.rng!.int(2 * aug.pad + 1) - aug.pad : 0;
    const dx = aug ? options.rng!.int(2 * aug.pad + 1) - aug.pad : 0;
    const flip = aug?.flip ? options.rng!.int(2) === 1 : false;
    for (let ch = 0; ch < c; ch++) {
      const mean = dataset.mean[ch]!;
      const inv = 1 / dataset.std[ch]!;
      const src = index * size + ch * h * w;
      const dst = k * size + ch * h * w;
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const sy = y + dy;
          const sxRaw = flip ? w - 1 - x : x;
          const sx = sxRaw + dx;
          // Zero padding in pixel space: the padded border is black (0), normalized like any pixel.
          const v = sy < 0 || sy >= h || sx < 0 || sx >= w ? 0 : split.images[src + sy * w + sx]!;
          images[dst + y * w + x] = (v - mean) * inv;
        }
      }
    }
  });
  return { images, labels, size: indices.length };
}

/** Endless shuffled batches over a split; a new permutation each epoch, all from `rng`. */
export function* batches(dataset: Dataset, split: Split, batchSize: number, rng: Rng, augment?: Augmentation): Generator<Batch, never> {
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > split.count) {
    throw new RangeError(`batch size must be an integer in 1..${split.count}, got ${batchSize}`);
  }
  for (;;) {
    const order = rng.sample(split.count, split.count);
    for (let start = 0; start + batchSize <= order.length; start += batchSize) {
      yield makeBatch(dataset, split, order.slice(start, start + batchSize), augment ? { augment, rng } : {});
    }
  }
}
