import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Rng, randomGraph, renderFormula, zooLayer, type LayerGraph } from '../src/index.js';

const text = (name: string): string => renderFormula(zooLayer(name).graph);

describe('formula rendering', () => {
  it('renders the zoo in plain text', () => {
    assert.equal(text('evonorm-s0'), 'x·σ(v1·x) / √(s²_{w,h,c/g}(x)+ε)');
    assert.equal(text('evonorm-s1'), 'x·σ(x) / √(s²_{w,h,c/g}(x)+ε)');
    assert.equal(text('evonorm-s2'), 'x·σ(x) / √(μ_{w,h,c/g}(x²)+ε)');
    assert.equal(text('evonorm-b0'), 'x / max(√(s²_{b,w,h}(x)+ε), v1·x + √(s²_{w,h}(x)+ε))');
    assert.equal(text('evonorm-b1'), 'x / max(√(s²_{b,w,h}(x)+ε), (x + 1)·√(μ_{w,h}(x²)+ε))');
    assert.equal(text('evonorm-b2'), 'x / max(√(s²_{b,w,h}(x)+ε), √(μ_{w,h}(x²)+ε) − x)');
    assert.equal(text('bn-relu'), 'max(v1·((x − μ_{b,w,h}(x)) / √(s²_{b,w,h}(x)+ε)) + v0, 0)');
  });

  it('renders LaTeX', () => {
    assert.equal(renderFormula(zooLayer('evonorm-s0').graph, 'latex'), '\\frac{x \\cdot \\sigma\\left(v_1 \\cdot x\\right)}{\\sqrt{s^{2}_{w,h,c/g}\\left(x\\right)+\\epsilon}}');
  });

  it('adds parentheses only where precedence needs them', () => {
    const g = (nodes: LayerGraph['nodes']): string => renderFormula({ nodes });
    assert.equal(
      g([
        { op: 'add', inputs: [0, 3] },
        { op: 'mul', inputs: [4, 0] },
      ]),
      '(x + v1)·x',
    );
    assert.equal(
      g([
        { op: 'mul', inputs: [0, 3] },
        { op: 'add', inputs: [4, 0] },
      ]),
      'x·v1 + x',
    );
    assert.equal(
      g([
        { op: 'mul', inputs: [0, 3] },
        { op: 'div', inputs: [0, 4] },
      ]),
      'x / (x·v1)',
    );
    assert.equal(
      g([
        { op: 'div', inputs: [0, 3] },
        { op: 'mul', inputs: [4, 0] },
      ]),
      '(x / v1)·x',
    );
    assert.equal(
      g([
        { op: 'neg', inputs: [0] },
        { op: 'mul', inputs: [2, 4] },
      ]),
      'v0·(−x)',
    );
    assert.equal(
      g([
        { op: 'add', inputs: [0, 2] },
        { op: 'square', inputs: [4] },
      ]),
      '(x + v0)²',
    );
    assert.equal(
      g([
        { op: 'add', inputs: [0, 2] },
        { op: 'neg', inputs: [4] },
        { op: 'add', inputs: [0, 5] },
      ]),
      'x − (x + v0)',
    );
    assert.equal(
      g([
        { op: 'log', inputs: [0] },
        { op: 'tanh', inputs: [4] },
      ]),
      'tanh(sign(x)·ln|x|)',
    );
    assert.equal(
      g([
        { op: 'sqrt', inputs: [0] },
        { op: 'div', inputs: [0, 4] },
      ]),
      'x / (sign(x)·√|x|)',
    );
    assert.equal(
      g([
        { op: 'rms', inputs: [0], axes: 'whc' },
        { op: 'exp', inputs: [4] },
      ]),
      'exp(√(μ_{w,h,c}(x²)+ε))',
    );
  });

  it('renders any random graph without throwing, mentioning x', () => {
    for (let seed = 0; seed < 1000; seed++) assert.match(renderFormula(randomGraph(Rng.fromSeed(seed))), /x/);
  });
});
