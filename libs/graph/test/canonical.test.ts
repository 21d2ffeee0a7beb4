import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Rng, canonicalize, liveIds, mutate, randomGraph, structuralHash, validateGraph, zooLayers, type LayerGraph } from '../src/index.js';
import { renumber } from './helpers.js';

const SEEDS = 3000;

describe('canonical form and structural hash', () => {
  it(`is invariant under node renumbering and commutative swaps (${SEEDS} seeds)`, () => {
    for (let seed = 0; seed < SEEDS; seed++) {
      const rng = Rng.fromSeed(seed);
      const graph = randomGraph(rng, { minNodes: 3 });
      const shuffled = renumber(graph, rng);
      assert.deepEqual(validateGraph(shuffled), [], `seed ${seed}: renumbered graph must stay valid`);
      const a = canonicalize(graph);
      const b = canonicalize(shuffled);
      assert.equal(b.hash, a.hash, `seed ${seed}`);
      assert.deepEqual(b.graph, a.graph, `seed ${seed}`);
      assert.equal(structuralHash(shuffled), a.hash);
    }
  });

  it(`is idempotent, valid, keeps only live nodes and preserves the hash (${SEEDS} seeds)`, () => {
    for (let seed = 0; seed < SEEDS; seed++) {
      const graph = randomGraph(Rng.fromSeed(seed));
      const c = canonicalize(graph);
      assert.deepEqual(validateGraph(c.graph), [], `seed ${seed}`);
      assert.ok(c.graph.nodes.length <= graph.nodes.length);
      const live = liveIds(c.graph);
      for (let id = 4; id < c.graph.nodes.length + 4; id++) assert.ok(live.has(id), `seed ${seed}: node ${id} is dead`);
      const again = canonicalize(c.graph);
      assert.deepEqual(again.graph, c.graph);
      assert.equal(again.hash, c.hash);
    }
  });

  it('drops dead nodes and merges duplicate subexpressions', () => {
    const graph: LayerGraph = {
      nodes: [
        { op: 'exp', inputs: [2] }, // 4: dead
        { op: 'std', inputs: [0], axes: 'wh' }, // 5
        { op: 'std', inputs: [0], axes: 'wh' }, // 6: duplicate of 5
        { op: 'add', inputs: [5, 6] }, // 7
        { op: 'div', inputs: [0, 7] }, // 8: output
      ],
    };
    const c = canonicalize(graph);
    assert.deepEqual(c.graph, {
      nodes: [
        { op: 'std', inputs: [0], axes: 'wh' },
        { op: 'add', inputs: [4, 4] },
        { op: 'div', inputs: [0, 5] },
      ],
    });
    assert.deepEqual(Array.from(c.idMap), [0, 1, 2, 3, -1, 4, 4, 5, 6]);
  });

  it('distinguishes non-commutative argument order and index sets', () => {
    const div = (a: number, b: number): LayerGraph => ({
      nodes: [
        { op: 'sigmoid', inputs: [0] },
        { op: 'div', inputs: [a, b] },
      ],
    });
    assert.notEqual(canonicalize(div(0, 4)).hash, canonicalize(div(4, 0)).hash);
    const std = (axes: 'wh' | 'whcg'): LayerGraph => ({
      nodes: [
        { op: 'std', inputs: [0], axes },
        { op: 'div', inputs: [0, 4] },
      ],
    });
    assert.notEqual(canonicalize(std('wh')).hash, canonicalize(std('whcg')).hash);
  });

  it('gives every zoo layer its own hash', () => {
    const hashes = zooLayers().map((l) => canonicalize(l.graph).hash);
    assert.equal(new Set(hashes).size, hashes.length);
  });

  it('rarely collides over many distinct random graphs', () => {
    const byHash = new Map<string, string>();
    const rng = Rng.fromSeed(99);
    for (let i = 0; i < 20_000; i++) {
      const c = canonicalize(mutate(randomGraph(rng), rng).child);
      const key = JSON.stringify(c.graph);
      const seen = byHash.get(c.hash);
      if (seen !== undefined) assert.equal(seen, key, 'two different canonical graphs share a hash');
      byHash.set(c.hash, key);
    }
  });
});
