/**
 * Aggregates over the four index sets, broadcast back to the input's shape, in float64.
 * Instance (w,h), group (w,h,c/g) and layer (w,h,c) sets are contiguous blocks in NCHW memory;
 * the batch set (b,w,h) gathers one channel across samples.
 */
import { groupCount, type AggregateOp, type IndexSet } from './ops.js';
import type { Shape4 } from './tensor.js';

/**
 * The statistic a batch aggregate keeps a moving average of: the mean for `mean`, the mean square
 * for `rms`, the variance for `std`. Inference applies the op's finishing step to the average.
 */
export function finishStatistic(op: AggregateOp, statistic: number, epsilon: number): number {
  return op === 'mean' ? statistic : Math.sqrt(statistic + epsilon);
}

/** Mean, mean square or biased variance of `data[start, start + length)`. */
function blockStatistic(op: AggregateOp, data: Float64Array, start: number, length: number): number {
  const end = start + length;
  if (op === 'rms') {
    let sq = 0;
    for (let i = start; i < end; i++) sq += data[i]! * data[i]!;
    return sq / length;
  }
  let sum = 0;
  for (let i = start; i < end; i++) sum += data[i]!;
  const mean = sum / length;
  if (op === 'mean') return mean;
  let ss = 0;
  for (let i = start; i < end; i++) {
    const d = data[i]! - mean;
    ss += d * d;
  }
  return ss / length; // biased variance, as used for normalization
}

/** Block length in elements for the contiguous index sets. */
export function blockLength(axes: Exclude<IndexSet, 'bwh'>, shape: Shape4, groups: number): number {
  const [, c, h, w] = shape;
  if (axes === 'wh') return h * w;
  if (axes === 'whc') return c * h * w;
  return (c / groupCount(c, groups)) * h * w;
}

/** Aggregate over an instance, group or layer set into `out` (same shape as `input`). */
export function aggregateContiguous(op: AggregateOp, axes: Exclude<IndexSet, 'bwh'>, input: Float64Array, out: Float64Array, shape: Shape4, groups: number, epsilon: number): void {
  const length = blockLength(axes, shape, groups);
  for (let start = 0; start < input.length; start += length) {
    const value = finishStatistic(op, blockStatistic(op, input, start, length), epsilon);
    out.fill(value, start, start + length);
  }
}

/** Per-channel batch statistics (mean, mean square or biased variance) over (b, w, h). */
export function batchStatistics(op: AggregateOp, input: Float64Array, shape: Shape4): Float64Array {
  const [n, c, h, w] = shape;
  const hw = h * w;
  const count = n * hw;
  const stats = new Float64Array(c);
  for (let ch = 0; ch < c; ch++) {
    let sum = 0;
    let sq = 0;
    for (let b = 0; b < n; b++) {
      const base = (b * c + ch) * hw;
      for (let i = base; i < base + hw; i++) {
        sum += input[i]!;
        sq += input[i]! * input[i]!;
      }
    }
    if (op === 'mean') stats[ch] = sum / count;
    else if (op === 'rms') stats[ch] = sq / count;
    else {
      const mean = sum / count;
      let ss = 0;
      for (let b = 0; b < n; b++) {
        const base = (b * c + ch) * hw;
        for (let i = base; i < base + hw; i++) {
          const d = input[i]! - mean;
          ss += d * d;
        }
      }
      stats[ch] = ss / count;
    }
  }
  return stats;
}

/** Broadcasts per-channel statistics, finished (sqrt(s + eps) for rms/std), into `out`. */
export function broadcastChannels(op: AggregateOp, stats: Float64Array, out: Float64Array, shape: Shape4, epsilon: number): void {
  const [n, c, h, w] = shape;
  const hw = h * w;
  for (let ch = 0; ch < c; ch++) {
    const value = finishStatistic(op, stats[ch]!, epsilon);
    for (let b = 0; b < n; b++) {
      const base = (b * c + ch) * hw;
      out.fill(value, base, base + hw);
    }
  }
}

/**
 * The moving average update of one batch aggregate. The variance is stored unbiased
 * (times n/(n-1)), as PyTorch's BatchNorm and timm's EvoNorm-B do; the mean and mean square as is.
 */
export function updateMovingAverage(op: AggregateOp, previous: Float64Array, batch: Float64Array, count: number, decay: number): Float64Array {
  const correction = op === 'std' && count > 1 ? count / (count - 1) : 1;
  const next = new Float64Array(previous.length);
  for (let i = 0; i < next.length; i++) next[i] = decay * previous[i]! + (1 - decay) * batch[i]! * correction;
  return next;
}

/** Initial moving average: 0 for a mean, 1 for a mean square or variance (as BatchNorm). */
export function initialMovingAverage(op: AggregateOp, channels: number): Float64Array {
  return new Float64Array(channels).fill(op === 'mean' ? 0 : 1);
}
