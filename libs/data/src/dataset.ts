/** Datasets as uint8 images in NCHW order with labels; normalization happens per batch. */

export interface Split {
  /** count × C × H × W bytes, NCHW. */
  readonly images: Uint8Array;
  readonly labels: Uint8Array;
  readonly count: number;
}

export interface Dataset {
  readonly name: string;
  /** [C, H, W]. */
  readonly shape: readonly [number, number, number];
  readonly classes: number;
  readonly train: Split;
  readonly test: Split;
  /** Per-channel mean and standard deviation of the pixel values (0..255) for normalization. */
  readonly mean: readonly number[];
  readonly std: readonly number[];
}

/** A missing path, a truncated file or a wrong format, with what to do about it. */
export class DatasetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatasetError';
  }
}

export function imageSize(shape: readonly [number, number, number]): number {
  return shape[0] * shape[1] * shape[2];
}

/** Per-channel mean and std of a split's pixels. */
export function channelStatistics(split: Split, shape: readonly [number, number, number]): { mean: number[]; std: number[] } {
  const [c, h, w] = shape;
  const hw = h * w;
  const mean: number[] = [];
  const std: number[] = [];
  for (let ch = 0; ch < c; ch++) {
    let sum = 0;
    let sq = 0;
    for (let n = 0; n < split.count; n++) {
      const base = (n * c + ch) * hw;
      for (let i = base; i < base + hw; i++) {
        const v = split.images[i]!;
        sum += v;
        sq += v * v;
      }
    }
    const count = split.count * hw;
    const m = sum / count;
    mean.push(m);
    std.push(Math.sqrt(Math.max(sq / count - m * m, 1e-6)));
  }
  return { mean, std };
}

/** Examples `indices` of a split as a new split. */
export function subset(split: Split, indices: readonly number[], size: number): Split {
  const images = new Uint8Array(indices.length * size);
  const labels = new Uint8Array(indices.length);
  indices.forEach((index, k) => {
    images.set(split.images.subarray(index * size, (index + 1) * size), k * size);
    labels[k] = split.labels[index]!;
  });
  return { images, labels, count: indices.length };
}
