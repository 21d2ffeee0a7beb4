/** Minimal float64 NCHW tensors for the reference interpreter. */
import type { Rng } from './rng.js';

export type Shape4 = readonly [n: number, c: number, h: number, w: number];

export interface Tensor {
  readonly shape: Shape4;
  readonly data: Float64Array;
}

export function shapeSize(shape: Shape4): number {
  return shape[0] * shape[1] * shape[2] * shape[3];
}

export function assertShape(shape: readonly number[]): asserts shape is Shape4 {
  if (shape.length !== 4 || shape.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new RangeError(`expected an NCHW shape of four positive integers, got [${shape.join(', ')}]`);
  }
}

export function tensor(shape: Shape4, data?: Float64Array): Tensor {
  assertShape(shape);
  const size = shapeSize(shape);
  if (data && data.length !== size) {
    throw new RangeError(`data has ${data.length} values, shape [${shape.join(', ')}] needs ${size}`);
  }
  return { shape, data: data ?? new Float64Array(size) };
}

/** A tensor of independent normal samples, scaled and shifted per channel by the given amounts. */
export function randomTensor(shape: Shape4, rng: Rng, scale = 1, shift = 0): Tensor {
  const t = tensor(shape);
  for (let i = 0; i < t.data.length; i++) t.data[i] = shift + scale * rng.normal();
  return t;
}

/** Per-channel vector of length C with every entry equal to `value`. */
export function channelVector(channels: number, value: number): Float64Array {
  return new Float64Array(channels).fill(value);
}
