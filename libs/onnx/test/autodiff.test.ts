import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Rng } from '@evonorm/graph';
import { TensorGraph, createSession, gradients, ort, type Shape } from '../src/index.js';

interface InputSpec {
  readonly shape: Shape;
  /** 'any' normal values, 'positive' in [0.5, 2], 'distinct' normal values kept away from each other. */
  readonly domain?: 'any' | 'positive';
}

interface Check {
  readonly name: string;
  readonly dtype?: 'float32' | 'float64';
  readonly inputs: readonly InputSpec[];
  readonly build: (g: TensorGraph, inputs: string[]) => string;
}

const size = (s: Shape): number => s.reduce((a, b) => a * b, 1);

/**
 * f = Σ build(inputs) · R for a fixed random R; compares autodiff gradients with central finite
 * differences at up to 12 coordinates of every input.
 */
async function gradCheck(check: Check): Promise<number> {
  const dtype = check.dtype ?? 'float64';
  const rng = Rng.fromSeed(check.name.length * 31 + 7);
  const g = new TensorGraph('check', dtype);
  const names = check.inputs.map((spec, i) => g.input(`in${i}`, spec.shape));
  const out = check.build(g, names);
  const r = g.initializer(
    'r',
    Array.from({ length: size(g.shape(out)) }, () => rng.normal()),
    g.shape(out),
  );
  const allAxes = g.shape(out).map((_, i) => i);
  const f = g.reduce('ReduceSum', g.mul(out, r), allAxes);
  const grads = gradients(g, f, names);
  g.output(f, 'f');
  names.forEach((n, i) => g.output(grads.get(n)!, `grad${i}`));
  const session = await createSession(g.model(), { graphOptimization: 'basic' });
  const values = check.inputs.map((spec) => {
    const v = Array.from({ length: size(spec.shape) }, () => (spec.domain === 'positive' ? 0.5 + 1.5 * rng.float() : rng.normal()));
    return dtype === 'float64' ? Float64Array.from(v) : Float32Array.from(v);
  });
  const run = async (vals: (Float32Array | Float64Array)[]): Promise<ort.InferenceSession.OnnxValueMapType> =>
    session.run(Object.fromEntries(vals.map((v, i) => [`in${i}`, new ort.Tensor(dtype, v, [...check.inputs[i]!.shape])])));
  const base = await run(values);
  const eps = dtype === 'float64' ? 1e-6 : 1e-2;
  let worst = 0;
  for (let i = 0; i < values.length; i++) {
    const analytic = base[`grad${i}`]!.data as Float32Array | Float64Array;
    assert.equal(analytic.length, values[i]!.length, `${check.name}: gradient ${i} has the wrong size`);
    const coords = values[i]!.length <= 12 ? Array.from(values[i]!.keys()) : rng.sample(values[i]!.length, 12);
    for (const k of coords) {
      const plus = values.map((v) => v.slice());
      const minus = values.map((v) => v.slice());
      plus[i]![k]! += eps;
      minus[i]![k]! -= eps;
      const fp = ((await run(plus)).f!.data as Float64Array)[0]!;
      const fm = ((await run(minus)).f!.data as Float64Array)[0]!;
      const numeric = (fp - fm) / (2 * eps);
      const err = Math.abs(numeric - analytic[k]!) / Math.max(1, Math.abs(numeric));
      worst = Math.max(worst, err);
    }
  }
  return worst;
}

const X: Shape = [2, 3, 4, 5];
const C: Shape = [1, 3, 1, 1];

const CHECKS: readonly Check[] = [
  { name: 'Add (broadcast)', inputs: [{ shape: X }, { shape: C }], build: (g, [a, b]) => g.add(a!, b!) },
  { name: 'Sub (broadcast, reversed)', inputs: [{ shape: C }, { shape: X }], build: (g, [a, b]) => g.sub(a!, b!) },
  { name: 'Mul (broadcast)', inputs: [{ shape: X }, { shape: [2, 1, 4, 5] }], build: (g, [a, b]) => g.mul(a!, b!) },
  { name: 'Div (broadcast)', inputs: [{ shape: X }, { shape: C, domain: 'positive' }], build: (g, [a, b]) => g.div(a!, b!) },
  { name: 'Max', inputs: [{ shape: X }, { shape: X }], build: (g, [a, b]) => g.max(a!, b!) },
  { name: 'Max (broadcast)', inputs: [{ shape: X }, { shape: C }], build: (g, [a, b]) => g.max(a!, b!) },
  ...(['Neg', 'Sigmoid', 'Tanh', 'Exp', 'Relu'] as const).map((op): Check => ({ name: op, inputs: [{ shape: X }], build: (g, [a]) => g.unary(op, a!) })),
  ...(['Log', 'Sqrt', 'Reciprocal', 'Abs'] as const).map((op): Check => ({ name: op, inputs: [{ shape: X, domain: 'positive' }], build: (g, [a]) => g.unary(op, a!) })),
  {
    name: 'signed log, sign(x)·ln|x|',
    inputs: [{ shape: X }],
    build: (g, [a]) => g.mul(g.unary('Sign', a!), g.unary('Log', g.unary('Abs', a!))),
  },
  {
    name: 'signed sqrt, sign(x)·√|x|',
    inputs: [{ shape: X }],
    build: (g, [a]) => g.mul(g.unary('Sign', a!), g.unary('Sqrt', g.unary('Abs', a!))),
  },
  { name: 'ReduceMean (w,h)', inputs: [{ shape: X }], build: (g, [a]) => g.mul(g.reduce('ReduceMean', a!, [2, 3]), a!) },
  { name: 'ReduceMean (b,w,h)', inputs: [{ shape: X }], build: (g, [a]) => g.mul(g.reduce('ReduceMean', a!, [0, 2, 3]), a!) },
  { name: 'ReduceSum (c)', inputs: [{ shape: X }], build: (g, [a]) => g.reduce('ReduceSum', a!, [1]) },
  { name: 'ReduceSumSquare (w,h,c)', inputs: [{ shape: X }], build: (g, [a]) => g.reduce('ReduceSumSquare', a!, [1, 2, 3]) },
  { name: 'mean square (w,h,c), a composite op', inputs: [{ shape: X }], build: (g, [a]) => g.mul(g.meanSquare(a!, [1, 2, 3]), a!) },
  {
    name: 'variance (b,w,h): the mean square of the centered value',
    inputs: [{ shape: X }],
    build: (g, [a]) => g.mul(g.meanSquare(g.sub(a!, g.reduce('ReduceMean', a!, [0, 2, 3])), [0, 2, 3]), a!),
  },
  {
    name: 'group statistics through Reshape',
    inputs: [{ shape: [2, 4, 3, 3] }],
    build: (g, [a]) => {
      const grouped = g.reshape(a!, [2, 2, 2, 9]);
      const centered = g.sub(grouped, g.reduce('ReduceMean', grouped, [2, 3]));
      const std = g.unary('Sqrt', g.add(g.reduce('ReduceMean', g.mul(centered, centered), [2, 3]), g.constant(1e-5)));
      return g.reshape(g.div(centered, std), [2, 4, 3, 3]);
    },
  },
  {
    name: 'rewritten forms: a + (−m), (x / s) · p, (x · p) · q, (x + p) + q',
    inputs: [{ shape: X }, { shape: C }, { shape: C, domain: 'positive' }, { shape: C }],
    build: (g, [x, p, s, q]) => {
      const centred = g.add(x!, g.unary('Neg', g.reduce('ReduceMean', x!, [0, 2, 3])));
      const scaled = g.mul(g.div(centred, s!), p!);
      return g.add(g.add(g.mul(g.mul(scaled, q!), p!), q!), p!);
    },
  },
  { name: 'Transpose', inputs: [{ shape: X }], build: (g, [a]) => g.transpose(a!, [1, 0, 3, 2]) },
  { name: 'Expand', inputs: [{ shape: C }], build: (g, [a]) => g.expand(a!, X) },
  { name: 'Gemm', inputs: [{ shape: [4, 6] }, { shape: [3, 6] }, { shape: [3] }], build: (g, [x, w, b]) => g.gemm(x!, w!, b!) },
  { name: 'MatMul', inputs: [{ shape: [4, 6] }, { shape: [6, 3] }], build: (g, [a, b]) => g.matmul(a!, b!) },
  { name: 'LogSoftmax', inputs: [{ shape: [4, 10] }], build: (g, [a]) => g.logSoftmax(a!) },
  { name: 'GlobalAveragePool', dtype: 'float32', inputs: [{ shape: X }], build: (g, [a]) => g.globalAvgPool(a!) },
  ...(
    [
      ['3×3, stride 1, pad 1', [2, 3, 6, 6], [4, 3, 3, 3], 1, 1, 1],
      ['3×3, stride 2, pad 1, odd size', [2, 3, 7, 7], [4, 3, 3, 3], 2, 1, 1],
      ['3×3, stride 2, pad 1, even size', [2, 3, 8, 8], [5, 3, 3, 3], 2, 1, 1],
      ['1×1, stride 2 (projection shortcut)', [2, 4, 6, 6], [6, 4, 1, 1], 2, 0, 1],
      ['3×3, stride 1, 12×12 (a weight-gradient product per example)', [2, 2, 12, 12], [3, 2, 3, 3], 1, 1, 1],
      ['depthwise 3×3, stride 1', [2, 4, 5, 5], [4, 1, 3, 3], 1, 1, 4],
      ['depthwise 3×3, stride 2', [2, 4, 7, 7], [4, 1, 3, 3], 2, 1, 4],
      ['depthwise 5×5, stride 2', [2, 3, 8, 8], [3, 1, 5, 5], 2, 2, 3],
      ['depthwise 5×5, stride 1', [2, 3, 6, 6], [3, 1, 5, 5], 1, 2, 3],
    ] as const
  ).map(([label, xs, ws, stride, pad, group]): Check => ({
    name: `Conv ${label}`,
    dtype: 'float32',
    inputs: [{ shape: xs }, { shape: ws }, { shape: [ws[0]] }],
    build: (g, [x, w, b]) => g.conv(x!, w!, b!, { strides: [stride, stride], pads: [pad, pad, pad, pad], group }),
  })),
];

describe('reverse-mode autodiff against central finite differences', () => {
  for (const check of CHECKS) {
    const tolerance = (check.dtype ?? 'float64') === 'float64' ? 1e-6 : 2e-2;
    it(`${check.name} (${check.dtype ?? 'float64'}, ≤ ${tolerance})`, async () => {
      const worst = await gradCheck(check);
      assert.ok(worst <= tolerance, `worst relative error ${worst}`);
    });
  }

  it('accumulates gradients of a value used several times and ignores values off the loss path', async () => {
    const g = new TensorGraph('reuse', 'float64');
    const a = g.input('a', [1, 1, 1, 3]);
    const unused = g.input('b', [1, 1, 1, 3]);
    g.unary('Exp', unused);
    const f = g.reduce('ReduceSum', g.add(g.mul(a, a), g.mul(a, g.constant(3))), [0, 1, 2, 3]); // Σ a² + 3a
    const grads = gradients(g, f, [a, unused]);
    g.output(grads.get(a)!, 'ga');
    g.output(grads.get(unused)!, 'gb');
    const session = await createSession(g.model(), { graphOptimization: 'basic' });
    const feed = (v: number[]): ort.Tensor => new ort.Tensor('float64', Float64Array.from(v), [1, 1, 1, 3]);
    const out = await session.run({ a: feed([1, -2, 0.5]), b: feed([0, 0, 0]) });
    assert.deepEqual(Array.from(out.ga!.data as Float64Array), [5, -1, 4]);
    assert.deepEqual(Array.from(out.gb!.data as Float64Array), [0, 0, 0]);
  });

  it('emits an op computed before once (common subexpressions), so a shared statistic costs one pass', () => {
    const g = new TensorGraph('cse', 'float64');
    const a = g.input('a', [2, 3, 4, 5]);
    const b = g.input('b', [1, 3, 1, 1]);
    assert.equal(g.add(a, b), g.add(a, b));
    assert.equal(g.reduce('ReduceMean', a, [0, 2, 3]), g.reduce('ReduceMean', a, [0, 2, 3]));
    assert.equal(g.meanSquare(a, [2, 3]), g.meanSquare(a, [2, 3]));
    assert.notEqual(g.add(a, b), g.add(b, a));
    assert.notEqual(g.reduce('ReduceMean', a, [2, 3]), g.reduce('ReduceMean', a, [0, 2, 3]));
  });

  it('rewrites a + (−b), (x / s) · p, (x · p) · q and (x + p) + q into one op on the large operand', () => {
    const g = new TensorGraph('rewrites', 'float64');
    const x = g.input('x', [2, 3, 4, 5]);
    const s = g.input('s', [1, 3, 1, 1]);
    const p = g.input('p', [1, 3, 1, 1]);
    const q = g.input('q', [1, 3, 1, 1]);
    const opOf = (value: string) => g.ops.find((op) => op.output === value)!;
    assert.equal(opOf(g.add(x, g.unary('Neg', p))).opType, 'Sub');
    assert.equal(g.add(x, g.unary('Neg', p)), g.sub(x, p));
    for (const value of [g.mul(g.div(x, s), p), g.mul(g.mul(x, p), q), g.mul(q, g.mul(p, x)), g.add(g.add(x, p), q)]) {
      const op = opOf(value);
      assert.equal(op.inputs[0], x, `${op.opType} reads x itself`);
      assert.deepEqual(g.shape(op.inputs[1]!), [1, 3, 1, 1], `${op.opType}: the other operand is per-channel`);
    }
    // Both operands large: nothing to fold.
    const y = g.input('y', [2, 3, 4, 5]);
    assert.deepEqual(opOf(g.mul(g.div(x, y), p)).inputs, [g.div(x, y), p]);
  });

  it('refuses a non-scalar loss and ops without a rule', () => {
    const g = new TensorGraph('bad', 'float32');
    const a = g.input('a', [2, 2]);
    assert.throws(() => gradients(g, a, [a]), /loss must be a scalar/);
    const sliced = g.reduce('ReduceSum', g.slice(a, 0, 0, 1), [0, 1]);
    assert.throws(() => gradients(g, sliced, [a]), /no gradient rule for Slice/);
  });
});
