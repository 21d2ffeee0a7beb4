import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidGraphError, assertValidGraph, parseLayerGraph, validateGraph, zooLayer, zooLayers, type GraphProblem, type LayerGraph, type ProblemCode } from '../src/index.js';

interface Case {
  readonly name: string;
  readonly graph: unknown;
  readonly options?: { batchIndependent?: boolean };
  readonly code: ProblemCode;
  readonly nodeId?: number;
  readonly field: string;
  /** Fragments the message must contain: the node and the problem. */
  readonly says: readonly RegExp[];
}

const CASES: readonly Case[] = [
  {
    name: 'empty graph',
    graph: { nodes: [] },
    code: 'no_nodes',
    field: 'nodes',
    says: [/no intermediate nodes/, /add at least one node/],
  },
  {
    name: 'too many nodes',
    graph: { nodes: Array.from({ length: 11 }, (_, i) => ({ op: 'neg', inputs: [i + 3] })) },
    code: 'too_many_nodes',
    field: 'nodes',
    says: [/11 intermediate nodes/, /at most 10/],
  },
  {
    name: 'unknown op',
    graph: { nodes: [{ op: 'relu', inputs: [0] }] },
    code: 'unknown_op',
    nodeId: 4,
    field: 'nodes[0].op',
    says: [/node 4/, /unknown op "relu"/, /use one of add, mul/],
  },
  {
    name: 'too few inputs',
    graph: { nodes: [{ op: 'add', inputs: [0] }] },
    code: 'arity',
    nodeId: 4,
    field: 'nodes[0].inputs',
    says: [/node 4 \(nodes\[0\], add\)/, /has 1 input\(s\), add takes 2/],
  },
  {
    name: 'too many inputs',
    graph: {
      nodes: [
        { op: 'neg', inputs: [0, 0] },
        { op: 'sigmoid', inputs: [0, 1, 2] },
      ],
    },
    code: 'arity',
    nodeId: 4,
    field: 'nodes[0].inputs',
    says: [/node 4/, /neg takes 1/],
  },
  {
    name: 'negative input id',
    graph: { nodes: [{ op: 'neg', inputs: [-1] }] },
    code: 'bad_input',
    nodeId: 4,
    field: 'nodes[0].inputs[0]',
    says: [/node 4/, /input 0 is -1, not a node id/, /0\.\.3/],
  },
  {
    name: 'input id past the last node',
    graph: {
      nodes: [
        { op: 'neg', inputs: [0] },
        { op: 'add', inputs: [4, 99] },
      ],
    },
    code: 'bad_input',
    nodeId: 5,
    field: 'nodes[1].inputs[1]',
    says: [/node 5/, /input 1 is 99/],
  },
  {
    name: 'fractional input id',
    graph: { nodes: [{ op: 'neg', inputs: [0.5] }] },
    code: 'bad_input',
    nodeId: 4,
    field: 'nodes[0].inputs[0]',
    says: [/node 4/, /0\.5/],
  },
  {
    name: 'self reference',
    graph: {
      nodes: [
        { op: 'neg', inputs: [0] },
        { op: 'add', inputs: [0, 5] },
      ],
    },
    code: 'self_reference',
    nodeId: 5,
    field: 'nodes[1].inputs[1]',
    says: [/node 5/, /refers to the node itself, a cycle/],
  },
  {
    name: 'cycle through two nodes',
    graph: {
      nodes: [
        { op: 'add', inputs: [0, 5] },
        { op: 'neg', inputs: [4] },
      ],
    },
    code: 'cycle',
    nodeId: 4,
    field: 'nodes[0].inputs[1]',
    says: [/node 4/, /on a cycle through node 5/],
  },
  {
    name: 'forward reference without a cycle',
    graph: {
      nodes: [
        { op: 'mul', inputs: [0, 6] },
        { op: 'neg', inputs: [0] },
        { op: 'exp', inputs: [1] },
      ],
    },
    code: 'forward_reference',
    nodeId: 4,
    field: 'nodes[0].inputs[1]',
    says: [/node 4/, /refers to node 6, which comes later/],
  },
  {
    name: 'aggregate without index set',
    graph: { nodes: [{ op: 'std', inputs: [0] }] },
    code: 'missing_axes',
    nodeId: 4,
    field: 'nodes[0].axes',
    says: [/node 4/, /without an index set/, /bwh, whc, wh, whcg/],
  },
  {
    name: 'unknown index set',
    graph: { nodes: [{ op: 'mean', inputs: [0], axes: 'hw' }] },
    code: 'unknown_axes',
    nodeId: 4,
    field: 'nodes[0].axes',
    says: [/node 4/, /unknown index set "hw"/],
  },
  {
    name: 'index set on an element-wise op',
    graph: { nodes: [{ op: 'tanh', inputs: [0], axes: 'wh' }] },
    code: 'unexpected_axes',
    nodeId: 4,
    field: 'nodes[0].axes',
    says: [/node 4/, /element-wise and takes no index set/],
  },
  {
    name: 'output independent of x',
    graph: {
      nodes: [
        { op: 'tanh', inputs: [0] },
        { op: 'add', inputs: [2, 3] },
      ],
    },
    code: 'independent_of_x',
    nodeId: 5,
    field: 'nodes[1]',
    says: [/output \(node 5\) does not depend on x/],
  },
  {
    name: 'dead output: x multiplied by the zero constant',
    graph: {
      nodes: [
        { op: 'sigmoid', inputs: [0] },
        { op: 'mul', inputs: [4, 1] },
        { op: 'add', inputs: [5, 3] },
      ],
    },
    code: 'dead_output',
    nodeId: 6,
    field: 'nodes[2]',
    says: [/output \(node 6\) is constant/, /multiplied by the constant zero/],
  },
  {
    name: 'batch aggregate in a batch-independent search',
    graph: {
      nodes: [
        { op: 'std', inputs: [0], axes: 'bwh' },
        { op: 'div', inputs: [0, 4] },
      ],
    },
    options: { batchIndependent: true },
    code: 'batch_dependent',
    nodeId: 4,
    field: 'nodes[0].axes',
    says: [/node 4/, /aggregates over the batch \(bwh\)/, /batch-independent search/],
  },
  {
    name: 'node that is not an object',
    graph: { nodes: [{ op: 'neg', inputs: [0] }, 7] },
    code: 'not_an_object',
    nodeId: 5,
    field: 'nodes[1]',
    says: [/node 5/, /must be an object/],
  },
  {
    name: 'inputs that are not an array',
    graph: { nodes: [{ op: 'neg', inputs: '0' }] },
    code: 'bad_input',
    nodeId: 4,
    field: 'nodes[0].inputs',
    says: [/node 4/, /inputs must be an array/],
  },
  {
    name: 'graph that is not an object',
    graph: [1, 2, 3],
    code: 'not_an_object',
    field: '',
    says: [/must be an object/],
  },
  {
    name: 'nodes that are not an array',
    graph: { nodes: { op: 'neg' } },
    code: 'not_an_object',
    field: 'nodes',
    says: [/nodes must be an array/],
  },
];

function find(problems: readonly GraphProblem[], code: ProblemCode): GraphProblem {
  const problem = problems.find((p) => p.code === code);
  assert.ok(problem, `expected a ${code} problem, got ${JSON.stringify(problems)}`);
  return problem;
}

describe('validation', () => {
  for (const c of CASES) {
    it(`reports ${c.code}: ${c.name}`, () => {
      const result = parseLayerGraph(c.graph, c.options);
      assert.equal(result.ok, false);
      if (result.ok) return;
      const problem = find(result.problems, c.code);
      assert.equal(problem.field, c.field);
      assert.equal(problem.nodeId, c.nodeId);
      for (const pattern of c.says) assert.match(problem.message, pattern);
    });
  }

  it('reports every problem of a graph, not just the first', () => {
    const graph = {
      nodes: [
        { op: 'relu', inputs: [0] },
        { op: 'add', inputs: [0] },
        { op: 'mean', inputs: [0] },
        { op: 'neg', inputs: [42] },
      ],
    } as unknown as LayerGraph;
    const codes = validateGraph(graph).map((p) => p.code);
    assert.deepEqual(codes.sort(), ['arity', 'bad_input', 'missing_axes', 'unknown_op']);
  });

  it('accepts every zoo layer, and the S series in a batch-independent search', () => {
    for (const layer of zooLayers()) {
      assert.deepEqual(validateGraph(layer.graph), [], layer.name);
      const batchFree = validateGraph(layer.graph, { batchIndependent: true });
      assert.equal(batchFree.length === 0, layer.batchIndependent, layer.name);
    }
  });

  it('parses a valid JSON graph into the same graph', () => {
    const s0 = zooLayer('evonorm-s0').graph;
    const result = parseLayerGraph(JSON.parse(JSON.stringify(s0)));
    assert.ok(result.ok);
    if (result.ok) assert.deepEqual(result.graph, s0);
  });

  it('throws InvalidGraphError with the problems from assertValidGraph', () => {
    assert.throws(
      () => assertValidGraph({ nodes: [{ op: 'neg', inputs: [2] }] }),
      (e: unknown) => e instanceof InvalidGraphError && e.problems[0]!.code === 'independent_of_x',
    );
  });

  it('limits the node count by option', () => {
    const graph = zooLayer('bn-relu').graph; // 8 nodes
    assert.equal(validateGraph(graph, { maxNodes: 7 })[0]!.code, 'too_many_nodes');
  });

  it('refuses absurdly large inputs without walking them', () => {
    const result = parseLayerGraph({ nodes: new Array(1_000_000).fill({ op: 'neg', inputs: [0] }) });
    assert.equal(result.ok, false);
    if (!result.ok) assert.equal(result.problems[0]!.code, 'too_many_nodes');
  });
});
