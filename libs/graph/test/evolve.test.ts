import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_INTERMEDIATE_NODES, Rng, InvalidGraphError, mutate, primitiveTable, randomGraph, structuralHash, validateGraph, zooLayer, type LayerGraph } from '../src/index.js';

const SEEDS = 5000;

describe('random graphs', () => {
  it(`are valid and within the node limits (${SEEDS} seeds)`, () => {
    for (let seed = 0; seed < SEEDS; seed++) {
      const graph = randomGraph(Rng.fromSeed(seed), { minNodes: 2, maxNodes: 8 });
      assert.deepEqual(validateGraph(graph), [], `seed ${seed}`);
      assert.ok(graph.nodes.length >= 2 && graph.nodes.length <= 8);
    }
  });

  it('never use batch aggregates in a batch-independent search', () => {
    for (let seed = 0; seed < 2000; seed++) {
      const graph = randomGraph(Rng.fromSeed(seed), { batchIndependent: true });
      assert.deepEqual(validateGraph(graph, { batchIndependent: true }), [], `seed ${seed}`);
    }
  });

  it('are the same for the same seed', () => {
    for (let seed = 0; seed < 500; seed++) {
      assert.deepEqual(randomGraph(Rng.fromSeed(seed)), randomGraph(Rng.fromSeed(seed)));
    }
    assert.notDeepEqual(randomGraph(Rng.fromSeed(1)), randomGraph(Rng.fromSeed(2)));
  });

  it('cover every primitive of the table', () => {
    const seen = new Set<string>();
    const rng = Rng.fromSeed(8);
    for (let i = 0; i < 3000; i++) for (const n of randomGraph(rng).nodes) seen.add(`${n.op}/${n.axes ?? ''}`);
    assert.equal(seen.size, primitiveTable().length);
  });

  it('reject bad size options', () => {
    assert.throws(() => randomGraph(Rng.fromSeed(1), { minNodes: 0 }), RangeError);
    assert.throws(() => randomGraph(Rng.fromSeed(1), { minNodes: 5, maxNodes: 4 }), RangeError);
    assert.throws(() => randomGraph(Rng.fromSeed(1), { maxNodes: MAX_INTERMEDIATE_NODES + 1 }), RangeError);
  });
});

describe('mutation', () => {
  it(`always yields a valid graph that differs from its parent in exactly one node (${SEEDS} seeds)`, () => {
    for (let seed = 0; seed < SEEDS; seed++) {
      const rng = Rng.fromSeed(seed);
      const batchIndependent = seed % 2 === 0;
      let parent = randomGraph(rng, { batchIndependent });
      // A chain of mutations, as in a long-running search.
      for (let step = 0; step < 5; step++) {
        const { child, index } = mutate(parent, rng, { batchIndependent });
        assert.deepEqual(validateGraph(child, { batchIndependent }), [], `seed ${seed} step ${step}`);
        assert.equal(child.nodes.length, parent.nodes.length);
        const changed = child.nodes.map((n, i) => JSON.stringify(n) !== JSON.stringify(parent.nodes[i])).flatMap((c, i) => (c ? [i] : []));
        assert.deepEqual(changed, [index]);
        // The mutated node's inputs refer to earlier nodes; its successors still point at it.
        assert.ok(child.nodes[index]!.inputs.every((id) => id < index + 4));
        parent = child;
      }
    }
  });

  it('is the same for the same seed and leaves the parent untouched', () => {
    const parent = zooLayer('evonorm-b0').graph;
    const before = JSON.stringify(parent);
    for (let seed = 0; seed < 500; seed++) {
      assert.deepEqual(mutate(parent, Rng.fromSeed(seed)), mutate(parent, Rng.fromSeed(seed)));
    }
    assert.equal(JSON.stringify(parent), before);
  });

  it('draws the mutated node uniformly', () => {
    const parent = zooLayer('bn-relu').graph; // 8 nodes
    const counts = new Array<number>(parent.nodes.length).fill(0);
    const rng = Rng.fromSeed(4);
    const draws = 16_000;
    for (let i = 0; i < draws; i++) counts[mutate(parent, rng).index]!++;
    // Redraws of invalid children skew this a little towards nodes off the x path; stay within 25%.
    for (const c of counts) assert.ok(Math.abs(c - draws / counts.length) < 0.25 * (draws / counts.length), `${counts}`);
  });

  it("never returns the parent's layer: a mutation of a dead node is redrawn", () => {
    // tanh(x) after four nodes the output does not use: only a new output node changes the layer.
    const parent: LayerGraph = {
      nodes: [
        { op: 'neg', inputs: [0] },
        { op: 'sigmoid', inputs: [0] },
        { op: 'square', inputs: [4] },
        { op: 'exp', inputs: [5] },
        { op: 'tanh', inputs: [0] },
      ],
    };
    const parentHash = structuralHash(parent);
    for (let seed = 0; seed < 500; seed++) {
      const { child, index, attempts } = mutate(parent, Rng.fromSeed(seed));
      assert.notEqual(structuralHash(child), parentHash, `seed ${seed}`);
      assert.equal(index, parent.nodes.length - 1, `seed ${seed}`);
      assert.ok(attempts >= 1);
    }
    // Random parents too: a chain of mutations never repeats its parent's canonical form.
    const rng = Rng.fromSeed(7);
    let graph = randomGraph(rng);
    for (let step = 0; step < 2000; step++) {
      const child = mutate(graph, rng).child;
      assert.notEqual(structuralHash(child), structuralHash(graph), `step ${step}`);
      graph = child;
    }
  });

  it('refuses an invalid parent', () => {
    assert.throws(() => mutate({ nodes: [{ op: 'neg', inputs: [2] }] }, Rng.fromSeed(1)), InvalidGraphError);
    assert.throws(() => mutate(zooLayer('bn-relu').graph, Rng.fromSeed(1), { batchIndependent: true }), InvalidGraphError);
  });
});
