/**
 * Known layers written in the IR. Forms follow Liu et al. (2020) and timm's evo_norm.py; each is
 * tested against closed-form code in test/zoo.test.ts. Ids: 0 = x, 1 = zero, 2 = v0, 3 = v1,
 * then the nodes in order from 4. After the graph comes the per-channel affine (gamma, beta).
 */
import type { GraphNode, IndexSet, LayerGraph } from './ops.js';

export type ZooName = 'bn-relu' | 'gn-relu' | 'evonorm-b0' | 'evonorm-b1' | 'evonorm-b2' | 'evonorm-s0' | 'evonorm-s1' | 'evonorm-s2';

export interface ZooLayer {
  readonly name: ZooName;
  readonly title: string;
  /** True when the layer uses no batch statistics (usable in a batch-independent search). */
  readonly batchIndependent: boolean;
  readonly graph: LayerGraph;
}

const X = 0;
const ZERO = 1;
const V0 = 2;
const V1 = 3;

const n = (op: GraphNode['op'], ...inputs: number[]): GraphNode => ({ op, inputs });
const agg = (op: 'mean' | 'rms' | 'std', axes: IndexSet, input: number): GraphNode => ({ op, inputs: [input], axes });

/** max(v1·(x − μ_I(x)) / √(s²_I(x)+ε) + v0, 0): v1, v0 are the normalization's own affine. */
function normRelu(axes: IndexSet): LayerGraph {
  return {
    nodes: [
      agg('mean', axes, X), // 4
      n('neg', 4), // 5
      n('add', X, 5), // 6: x − μ
      agg('std', axes, X), // 7
      n('div', 6, 7), // 8
      n('mul', V1, 8), // 9
      n('add', 9, V0), // 10
      n('max', 10, ZERO), // 11
    ],
  };
}

/** x / max(√(s²_{b,w,h}(x)+ε), right) with `right` built by `rightNodes` from id 5 on. */
function evoNormB(rightNodes: GraphNode[]): LayerGraph {
  const nodes: GraphNode[] = [agg('std', 'bwh', X), ...rightNodes];
  const right = nodes.length - 1 + 4;
  nodes.push(n('max', 4, right));
  nodes.push(n('div', X, nodes.length - 1 + 4));
  return { nodes };
}

const LAYERS: readonly ZooLayer[] = [
  { name: 'bn-relu', title: 'BatchNorm-ReLU', batchIndependent: false, graph: normRelu('bwh') },
  { name: 'gn-relu', title: 'GroupNorm-ReLU', batchIndependent: true, graph: normRelu('whcg') },
  {
    name: 'evonorm-b0',
    title: 'EvoNorm-B0: x / max(√(s²_{b,w,h}(x)+ε), v1·x + √(s²_{w,h}(x)+ε))',
    batchIndependent: false,
    // 5: v1·x, 6: instance std, 7: v1·x + std
    graph: evoNormB([n('mul', V1, X), agg('std', 'wh', X), n('add', 5, 6)]),
  },
  {
    name: 'evonorm-b1',
    title: 'EvoNorm-B1: x / max(√(s²_{b,w,h}(x)+ε), (x+1)·√(μ_{w,h}(x²)+ε))',
    batchIndependent: false,
    // 5: exp(0) = 1, 6: x + 1, 7: instance rms, 8: (x+1)·rms
    graph: evoNormB([n('exp', ZERO), n('add', X, 5), agg('rms', 'wh', X), n('mul', 6, 7)]),
  },
  {
    name: 'evonorm-b2',
    title: 'EvoNorm-B2: x / max(√(s²_{b,w,h}(x)+ε), √(μ_{w,h}(x²)+ε) − x)',
    batchIndependent: false,
    // 5: instance rms, 6: −x, 7: rms − x
    graph: evoNormB([agg('rms', 'wh', X), n('neg', X), n('add', 5, 6)]),
  },
  {
    name: 'evonorm-s0',
    title: 'EvoNorm-S0: x·σ(v1·x) / √(s²_{w,h,c/g}(x)+ε)',
    batchIndependent: true,
    graph: { nodes: [n('mul', V1, X), n('sigmoid', 4), n('mul', X, 5), agg('std', 'whcg', X), n('div', 6, 7)] },
  },
  {
    name: 'evonorm-s1',
    title: 'EvoNorm-S1: x·σ(x) / √(s²_{w,h,c/g}(x)+ε)',
    batchIndependent: true,
    graph: { nodes: [n('sigmoid', X), n('mul', X, 4), agg('std', 'whcg', X), n('div', 5, 6)] },
  },
  {
    name: 'evonorm-s2',
    title: 'EvoNorm-S2: x·σ(x) / √(μ_{w,h,c/g}(x²)+ε)',
    batchIndependent: true,
    graph: { nodes: [n('sigmoid', X), n('mul', X, 4), agg('rms', 'whcg', X), n('div', 5, 6)] },
  },
];

export const ZOO_NAMES: readonly ZooName[] = LAYERS.map((l) => l.name);

export function zooLayers(): readonly ZooLayer[] {
  return LAYERS;
}

export function isZooName(value: string): value is ZooName {
  return (ZOO_NAMES as readonly string[]).includes(value);
}

export function zooLayer(name: string): ZooLayer {
  const layer = LAYERS.find((l) => l.name === name);
  if (!layer) throw new RangeError(`unknown zoo layer ${JSON.stringify(name)}; known: ${ZOO_NAMES.join(', ')}`);
  return layer;
}
