import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Rng, layerJson, parseLayerGraph, randomGraph, structuralHash, zooLayers, type LayerGraph } from '../src/index.js';

describe('layer JSON', () => {
  it('writes what parseLayerGraph reads, to the same graph and hash, for the zoo and 200 random graphs', () => {
    const graphs: LayerGraph[] = zooLayers().map((l) => l.graph);
    for (let seed = 0; seed < 200; seed++) graphs.push(randomGraph(Rng.fromSeed(seed)));
    for (const graph of graphs) {
      const text = JSON.stringify(layerJson(graph));
      const parsed = parseLayerGraph(JSON.parse(text));
      assert.ok(parsed.ok, text);
      if (!parsed.ok) continue;
      assert.deepEqual(parsed.graph, graph);
      assert.equal(structuralHash(parsed.graph), structuralHash(graph));
    }
  });

  it('keeps op names, inputs and axes only, with axes on aggregates alone', () => {
    const graph = {
      nodes: [
        { op: 'std', inputs: [0], axes: 'wh', extra: 1 },
        { op: 'div', inputs: [0, 4], axes: undefined },
      ],
    } as unknown as LayerGraph;
    assert.equal(JSON.stringify(layerJson(graph)), '{"nodes":[{"op":"std","inputs":[0],"axes":"wh"},{"op":"div","inputs":[0,4]}]}');
  });
});
