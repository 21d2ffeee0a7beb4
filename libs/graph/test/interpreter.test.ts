import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { INDEX_SETS, LayerInterpreter, Rng, evaluateLayer, groupCount, initialParams, randomTensor, type LayerGraph, type OpName, type Shape4 } from '../src/index.js';
import { EPS, perChannel, stat } from './closed-form.js';
import { maxRelativeError } from './helpers.js';

const SHAPE: Shape4 = [3, 64, 2, 3];
const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));

const UNARY: Record<string, (a: number) => number> = {
  neg: (a) => -a,
  sigmoid,
  tanh: Math.tanh,
  exp: Math.exp,
  abs: Math.abs,
  square: (a) => a ** 2,
  log: (a) => Math.sign(a) * Math.log(Math.abs(a)),
  sqrt: (a) => Math.sign(a) * Math.sqrt(Math.abs(a)),
};
const BINARY: Record<string, (a: number, b: number) => number> = {
  add: (a, b) => a + b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  max: Math.max,
};

describe('float64 interpreter', () => {
  const rng = Rng.fromSeed(17);
  const x = randomTensor(SHAPE, rng, 2, 0.5);
  const params = {
    ...initialParams(SHAPE[1]),
    v0: Float64Array.from({ length: SHAPE[1] }, () => rng.normal()),
    v1: Float64Array.from({ length: SHAPE[1] }, () => rng.normal()),
  };
  const v1At = (i: number): number => params.v1[Math.floor(i / (SHAPE[2] * SHAPE[3])) % SHAPE[1]]!;

  for (const [op, f] of Object.entries(UNARY)) {
    it(`computes ${op} element-wise`, () => {
      const out = evaluateLayer({ nodes: [{ op: op as OpName, inputs: [0] }] }, x, { mode: 'train', params }).raw.data;
      assert.deepEqual(out, x.data.map(f));
    });
  }

  for (const [op, f] of Object.entries(BINARY)) {
    it(`computes ${op} of x and the per-channel v1, broadcast`, () => {
      const out = evaluateLayer({ nodes: [{ op: op as OpName, inputs: [0, 3] }] }, x, { mode: 'train', params }).raw.data;
      assert.deepEqual(
        out,
        x.data.map((v, i) => f(v, v1At(i))),
      );
    });
  }

  it('follows IEEE semantics at the edges: log(0) is NaN, x/0 is infinite', () => {
    const zeros = { shape: SHAPE, data: new Float64Array(x.data.length) };
    const log = evaluateLayer({ nodes: [{ op: 'log', inputs: [0] }] }, zeros, { mode: 'train' }).raw.data;
    assert.ok(log.every(Number.isNaN));
    const div = evaluateLayer({ nodes: [{ op: 'div', inputs: [0, 1] }] }, x, { mode: 'train' }).raw.data;
    assert.ok(div.every((v) => !Number.isFinite(v)));
  });

  for (const axes of INDEX_SETS) {
    for (const op of ['mean', 'rms', 'std'] as const) {
      it(`computes ${op} over ${axes} against an element-wise reference`, () => {
        const graph: LayerGraph = { nodes: [{ op, inputs: [0], axes }] };
        const out = evaluateLayer(graph, x, { mode: 'train', params }).raw.data;
        const kind = op === 'mean' ? 'mean' : op === 'rms' ? 'meansq' : 'var';
        const s = stat(x.data, SHAPE, axes, kind).values;
        const expected = op === 'mean' ? s : s.map((v) => Math.sqrt(v + EPS));
        assert.ok(maxRelativeError(out, expected) <= 1e-12);
      });
    }
  }

  it('keeps a moving mean square for a batch rms, and reads it back at inference', () => {
    const graph: LayerGraph = { nodes: [{ op: 'rms', inputs: [0], axes: 'bwh' }] };
    let state = evaluateLayer(graph, x, { mode: 'train' }).state;
    const ms = perChannel(stat(x.data, SHAPE, 'bwh', 'meansq').values, SHAPE);
    assert.ok(
      maxRelativeError(
        state.get(4)!,
        ms.map((v) => 0.9 + 0.1 * v),
      ) <= 1e-12,
    );
    state = evaluateLayer(graph, x, { mode: 'train', state }).state;
    assert.ok(
      maxRelativeError(
        state.get(4)!,
        ms.map((v) => 0.9 * (0.9 + 0.1 * v) + 0.1 * v),
      ) <= 1e-12,
    );
    const infer = evaluateLayer(graph, x, { mode: 'infer', state }).raw.data;
    const expected = x.data.map((_, i) => Math.sqrt(state.get(4)![Math.floor(i / 6) % 64]! + EPS));
    assert.ok(maxRelativeError(infer, expected) <= 1e-12);
  });

  it('starts moving averages at 0 (mean) and 1 (mean square, variance) for inference before training', () => {
    const mean = evaluateLayer(
      {
        nodes: [
          { op: 'mean', inputs: [0], axes: 'bwh' },
          { op: 'add', inputs: [0, 4] },
        ],
      },
      x,
      { mode: 'infer' },
    );
    assert.deepEqual(mean.raw.data, x.data);
    const std = evaluateLayer(
      {
        nodes: [
          { op: 'std', inputs: [0], axes: 'bwh' },
          { op: 'div', inputs: [0, 4] },
        ],
      },
      x,
      { mode: 'infer' },
    );
    assert.ok(
      maxRelativeError(
        std.raw.data,
        x.data.map((v) => v / Math.sqrt(1 + EPS)),
      ) <= 1e-12,
    );
  });

  it('applies the affine gamma, beta per channel after the graph', () => {
    const gamma = Float64Array.from({ length: 64 }, (_, c) => c / 10);
    const beta = Float64Array.from({ length: 64 }, (_, c) => -c);
    const out = evaluateLayer({ nodes: [{ op: 'abs', inputs: [0] }] }, x, { mode: 'train', params: { ...params, gamma, beta } });
    assert.deepEqual(
      out.output.data,
      out.raw.data.map((v, i) => v * gamma[Math.floor(i / 6) % 64]! + beta[Math.floor(i / 6) % 64]!),
    );
  });

  it('reuses buffers across runs without mixing results', () => {
    const interpreter = new LayerInterpreter(SHAPE);
    const a = Float64Array.from(interpreter.run({ nodes: [{ op: 'exp', inputs: [0] }] }, x.data, 'train', params).values[4]!);
    interpreter.run(
      {
        nodes: [
          { op: 'neg', inputs: [0] },
          { op: 'tanh', inputs: [4] },
        ],
      },
      x.data,
      'train',
      params,
    );
    const again = interpreter.run({ nodes: [{ op: 'exp', inputs: [0] }] }, x.data, 'train', params).values[4]!;
    assert.deepEqual(again, a);
  });

  it('rejects inputs of the wrong size', () => {
    assert.throws(() => new LayerInterpreter(SHAPE).run({ nodes: [{ op: 'neg', inputs: [0] }] }, new Float64Array(5), 'train', params), /expected 1152/);
    assert.throws(() => new LayerInterpreter([1, 2, 3]), /NCHW shape/);
  });

  it('picks 32 groups, else the largest divisor of C below 32', () => {
    assert.deepEqual(
      [64, 32, 96, 48, 16, 6, 7, 1].map((c) => groupCount(c)),
      [32, 32, 32, 24, 16, 6, 7, 1],
    );
  });
});
