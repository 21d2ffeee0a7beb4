/**
 * A dataset at lower resolution: each image's height and width divided by an integer factor by
 * averaging factor × factor blocks (area interpolation), rounded back to bytes. The cheap inputs of
 * the search's micro-quality rung (a tiny network on 14×14 Fashion-MNIST).
 */
import { DatasetError, channelStatistics, type Dataset, type Split } from './dataset.js';

function downsampleSplit(split: Split, shape: readonly [number, number, number], factor: number): Split {
  const [c, h, w] = shape;
  const oh = h / factor;
  const ow = w / factor;
  const images = new Uint8Array(split.count * c * oh * ow);
  const area = factor * factor;
  for (let plane = 0; plane < split.count * c; plane++) {
    const src = plane * h * w;
    const dst = plane * oh * ow;
    for (let y = 0; y < oh; y++) {
      for (let x = 0; x < ow; x++) {
        let sum = 0;
        for (let dy = 0; dy < factor; dy++) {
          const row = src + (y * factor + dy) * w + x * factor;
          for (let dx = 0; dx < factor; dx++) sum += split.images[row + dx]!;
        }
        images[dst + y * ow + x] = Math.round(sum / area);
      }
    }
  }
  return { images, labels: split.labels, count: split.count };
}

/** `dataset` with height and width divided by `factor` (1: the dataset itself); both must divide. */
export function downsampled(dataset: Dataset, factor: number): Dataset {
  if (!Number.isInteger(factor) || factor < 1) throw new DatasetError(`downsampling factor must be a positive integer, got ${factor}`);
  if (factor === 1) return dataset;
  const [c, h, w] = dataset.shape;
  if (h % factor !== 0 || w % factor !== 0) throw new DatasetError(`${dataset.name}'s ${h}×${w} images do not divide by ${factor}`);
  const shape = [c, h / factor, w / factor] as const;
  const train = downsampleSplit(dataset.train, dataset.shape, factor);
  return { ...dataset, name: `${dataset.name}@${h / factor}x${w / factor}`, shape, train, test: downsampleSplit(dataset.test, dataset.shape, factor), ...channelStatistics(train, shape) };
}
