/**
 * Independent closed-form reference for the tests: statistics by an explicit key per element (not
 * the library's contiguous-block layout), and the known layers written as formulas, as in timm.
 */
import type { IndexSet, Shape4 } from '../src/index.js';

export const EPS = 1e-5;

/** The group a channel belongs to, from first principles: 32 groups, else the largest divisor < 32. */
export function groupsFor(c: number): number {
  if (c % 32 === 0) return 32;
  let g = 31;
  while (c % g !== 0) g--;
  return g;
}

function keyOf(axes: IndexSet, shape: Shape4, n: number, c: number): number {
  const C = shape[1];
  switch (axes) {
    case 'bwh':
      return c;
    case 'whc':
      return n;
    case 'wh':
      return n * C + c;
    case 'whcg':
      return n * groupsFor(C) + Math.floor(c / (C / groupsFor(C)));
  }
}

/** Per-element statistic over an index set: 'mean', 'meansq' or biased 'var', plus the count. */
export function stat(x: Float64Array, shape: Shape4, axes: IndexSet, kind: 'mean' | 'meansq' | 'var'): { values: Float64Array; count: number } {
  const [N, C, H, W] = shape;
  const sums = new Map<number, number>();
  const counts = new Map<number, number>();
  const each = (f: (i: number, key: number) => void): void => {
    let i = 0;
    for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) for (let p = 0; p < H * W; p++, i++) f(i, keyOf(axes, shape, n, c));
  };
  each((i, key) => {
    sums.set(key, (sums.get(key) ?? 0) + (kind === 'meansq' ? x[i]! * x[i]! : x[i]!));
    counts.set(key, (counts.get(key) ?? 0) + 1);
  });
  const means = new Map<number, number>();
  for (const [key, s] of sums) means.set(key, s / counts.get(key)!);
  const values = new Float64Array(x.length);
  if (kind === 'var') {
    const ss = new Map<number, number>();
    each((i, key) => ss.set(key, (ss.get(key) ?? 0) + (x[i]! - means.get(key)!) ** 2));
    each((i, key) => (values[i] = ss.get(key)! / counts.get(key)!));
  } else {
    each((i, key) => (values[i] = means.get(key)!));
  }
  return { values, count: counts.values().next().value as number };
}

/** Per-channel value of a per-element statistic that is constant over (n, h, w). */
export function perChannel(values: Float64Array, shape: Shape4): Float64Array {
  const [, C, H, W] = shape;
  return Float64Array.from({ length: C }, (_, c) => values[c * H * W]!);
}

export function channelOf(shape: Shape4, i: number): number {
  return Math.floor(i / (shape[2] * shape[3])) % shape[1];
}

export interface Params {
  v0: Float64Array;
  v1: Float64Array;
  gamma: Float64Array;
  beta: Float64Array;
}

const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));

/**
 * Closed-form layers. `batch` gives per-channel batch statistics: in training mode the batch's own
 * (mean, biased var, mean square), in inference mode the moving averages.
 */
export type BatchStats = { mean: Float64Array; variance: Float64Array };

export function closedForm(name: string, x: Float64Array, shape: Shape4, p: Params, batch: BatchStats): Float64Array {
  const out = new Float64Array(x.length);
  const inst = (kind: 'mean' | 'meansq' | 'var'): Float64Array => stat(x, shape, 'wh', kind).values;
  const group = (kind: 'mean' | 'meansq' | 'var'): Float64Array => stat(x, shape, 'whcg', kind).values;
  const instVar = inst('var');
  const instMs = inst('meansq');
  const groupVar = group('var');
  const groupMs = group('meansq');
  const groupMean = group('mean');
  for (let i = 0; i < x.length; i++) {
    const c = channelOf(shape, i);
    const v = x[i]!;
    const bstd = Math.sqrt(batch.variance[c]! + EPS);
    let y: number;
    switch (name) {
      case 'bn-relu':
        y = Math.max(p.v1[c]! * ((v - batch.mean[c]!) / bstd) + p.v0[c]!, 0);
        break;
      case 'gn-relu':
        y = Math.max(p.v1[c]! * ((v - groupMean[i]!) / Math.sqrt(groupVar[i]! + EPS)) + p.v0[c]!, 0);
        break;
      case 'evonorm-b0':
        y = v / Math.max(bstd, p.v1[c]! * v + Math.sqrt(instVar[i]! + EPS));
        break;
      case 'evonorm-b1':
        y = v / Math.max(bstd, (v + 1) * Math.sqrt(instMs[i]! + EPS));
        break;
      case 'evonorm-b2':
        y = v / Math.max(bstd, Math.sqrt(instMs[i]! + EPS) - v);
        break;
      case 'evonorm-s0':
        y = (v * sigmoid(p.v1[c]! * v)) / Math.sqrt(groupVar[i]! + EPS);
        break;
      case 'evonorm-s1':
        y = (v * sigmoid(v)) / Math.sqrt(groupVar[i]! + EPS);
        break;
      case 'evonorm-s2':
        y = (v * sigmoid(v)) / Math.sqrt(groupMs[i]! + EPS);
        break;
      default:
        throw new Error(`no closed form for ${name}`);
    }
    out[i] = y * p.gamma[c]! + p.beta[c]!;
  }
  return out;
}
