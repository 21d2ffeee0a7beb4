import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FunctionalProbe, Rng, canonicalize, mutate, randomGraph, zooLayers, type LayerGraph } from '../src/index.js';
import { renumber } from './helpers.js';

const probe = new FunctionalProbe();
const hashOf = (graph: LayerGraph): string => {
  const r = probe.probe(graph);
  assert.ok(r.ok, `expected a passing probe, got ${JSON.stringify(r)}`);
  return r.hash;
};

describe('functional probe', () => {
  it('rejects NaN and Inf outputs', () => {
    const inf = probe.probe({ nodes: [{ op: 'div', inputs: [0, 1] }] });
    assert.deepEqual([inf.ok, !inf.ok && inf.reason], [false, 'non_finite']);
    const nan = probe.probe({
      nodes: [
        { op: 'mul', inputs: [0, 1] },
        { op: 'log', inputs: [4] },
        { op: 'add', inputs: [0, 5] },
      ],
    });
    assert.deepEqual([nan.ok, !nan.ok && nan.reason], [false, 'non_finite']);
    const overflow = probe.probe({
      nodes: [
        { op: 'exp', inputs: [0] },
        { op: 'exp', inputs: [4] },
        { op: 'exp', inputs: [5] },
      ],
    });
    assert.deepEqual([overflow.ok, !overflow.ok && overflow.reason], [false, 'non_finite']);
  });

  it('rejects constant outputs', () => {
    const ratio = probe.probe({ nodes: [{ op: 'div', inputs: [0, 0] }] });
    assert.deepEqual([ratio.ok, !ratio.ok && ratio.reason], [false, 'constant']);
    const stdOfMean = probe.probe({
      nodes: [
        { op: 'mean', inputs: [0], axes: 'whc' },
        { op: 'std', inputs: [4], axes: 'whc' },
      ],
    });
    assert.deepEqual([stdOfMean.ok, !stdOfMean.ok && stdOfMean.reason], [false, 'constant']);
  });

  it('gives functionally equal layers the same hash', () => {
    const square = hashOf({ nodes: [{ op: 'square', inputs: [0] }] });
    const product = hashOf({ nodes: [{ op: 'mul', inputs: [0, 0] }] });
    const absSquared = hashOf({
      nodes: [
        { op: 'abs', inputs: [0] },
        { op: 'square', inputs: [4] },
      ],
    });
    assert.equal(product, square);
    assert.equal(absSquared, square);
    const twice = hashOf({ nodes: [{ op: 'add', inputs: [0, 0] }] });
    const timesTwo = hashOf({
      nodes: [
        { op: 'exp', inputs: [1] },
        { op: 'add', inputs: [4, 4] },
        { op: 'mul', inputs: [5, 0] },
      ],
    });
    assert.equal(timesTwo, twice);
    const doubleNeg = hashOf({
      nodes: [
        { op: 'neg', inputs: [0] },
        { op: 'neg', inputs: [4] },
        { op: 'tanh', inputs: [5] },
      ],
    });
    assert.equal(doubleNeg, hashOf({ nodes: [{ op: 'tanh', inputs: [0] }] }));
  });

  it('gives every zoo layer a distinct hash, and tells apart index sets and v0 from v1', () => {
    const hashes = zooLayers().map((l) => hashOf(l.graph));
    assert.equal(new Set(hashes).size, hashes.length);
    const withV = (v: number): string =>
      hashOf({
        nodes: [
          { op: 'mul', inputs: [0, v] },
          { op: 'add', inputs: [4, 0] },
        ],
      });
    assert.notEqual(withV(2), withV(3));
    const std = (axes: 'bwh' | 'whc' | 'wh' | 'whcg'): string =>
      hashOf({
        nodes: [
          { op: 'std', inputs: [0], axes },
          { op: 'div', inputs: [0, 4] },
        ],
      });
    assert.equal(new Set([std('bwh'), std('whc'), std('wh'), std('whcg')]).size, 4);
    assert.notEqual(
      hashOf({ nodes: [{ op: 'add', inputs: [0, 0] }] }),
      hashOf({
        nodes: [
          { op: 'neg', inputs: [0] },
          { op: 'neg', inputs: [4] },
          { op: 'abs', inputs: [5] },
        ],
      }),
    );
  });

  it('is deterministic and independent of structure (renumbered graphs, 1,000 seeds)', () => {
    const other = new FunctionalProbe();
    for (let seed = 0; seed < 1000; seed++) {
      const rng = Rng.fromSeed(seed);
      const graph = mutate(randomGraph(rng, { minNodes: 3 }), rng).child;
      const a = probe.probe(graph);
      assert.deepEqual(other.probe(renumber(graph, rng)), a, `seed ${seed}`);
      assert.deepEqual(probe.probe(canonicalize(graph).graph), a, `seed ${seed}`);
    }
  });

  it('depends on its seed', () => {
    const g: LayerGraph = { nodes: [{ op: 'tanh', inputs: [0] }] };
    const a = new FunctionalProbe({ seed: 1 }).probe(g);
    const b = new FunctionalProbe({ seed: 2 }).probe(g);
    assert.ok(a.ok && b.ok && a.hash !== b.hash);
  });
});
