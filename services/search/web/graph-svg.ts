/** Draws a layer graph as an SVG DAG, laid out by dagre: inputs at the top, the output at the bottom. */
import { Graph, layout } from '@dagrejs/dagre';
import type { GraphNodeView } from '../src/report/model.js';

const INITIAL = ['x', 'zero', 'v0', 'v1'];
const SYMBOL: Record<string, string> = {
  add: '+',
  mul: '×',
  div: '÷',
  max: 'max',
  neg: '−',
  sigmoid: 'σ',
  tanh: 'tanh',
  exp: 'exp',
  abs: '|·|',
  square: '(·)²',
  log: 'log',
  sqrt: '√',
  mean: 'μ',
  rms: 'rms',
  std: 's',
};
const NS = 'http://www.w3.org/2000/svg';

function el<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

function label(node: GraphNodeView): string {
  const symbol = SYMBOL[node.op] ?? node.op;
  return node.axes ? `${symbol} ${node.axes}` : symbol;
}

/** `changed`: the node id to highlight (the one a mutation replaced). */
export function graphSvg(nodes: readonly GraphNodeView[], changed: number | null = null): SVGSVGElement {
  const g = new Graph();
  g.setGraph({ rankdir: 'TB', nodesep: 14, ranksep: 18, marginx: 4, marginy: 4 });
  g.setDefaultEdgeLabel(() => ({}));
  const used = new Set(nodes.flatMap((n) => n.inputs));
  for (let id = 0; id < INITIAL.length; id++) if (used.has(id)) g.setNode(String(id), { label: INITIAL[id], width: 34, height: 20 });
  for (const n of nodes) g.setNode(String(n.id), { label: label(n), width: Math.max(34, 8 * label(n).length + 10), height: 20 });
  for (const n of nodes) for (const input of n.inputs) g.setEdge(String(input), String(n.id));
  layout(g);
  // Bounds of every box and edge point (long edges may bend outside the graph's reported size).
  const xs: number[] = [];
  const ys: number[] = [];
  for (const id of g.nodes()) {
    const n = g.node(id);
    xs.push(n.x - n.width / 2, n.x + n.width / 2);
    ys.push(n.y - n.height / 2, n.y + n.height / 2);
  }
  for (const e of g.edges()) {
    for (const p of g.edge(e).points ?? []) {
      xs.push(p.x);
      ys.push(p.y);
    }
  }
  const [x0, y0] = [Math.min(...xs) - 3, Math.min(...ys) - 3];
  const [width, height] = [Math.ceil(Math.max(...xs) + 3 - x0), Math.ceil(Math.max(...ys) + 3 - y0)];
  const svg = el('svg', { width, height, viewBox: `${x0} ${y0} ${width} ${height}`, class: 'dag', role: 'img' });
  svg.setAttribute('aria-label', `layer graph with ${nodes.length} nodes`);
  for (const e of g.edges()) {
    const points = g.edge(e).points ?? [];
    svg.append(el('polyline', { points: points.map((p: { x: number; y: number }) => `${p.x},${p.y}`).join(' '), class: 'dag-edge' }));
  }
  const output = nodes.at(-1)?.id;
  for (const id of g.nodes()) {
    const n = g.node(id);
    const numeric = Number(id);
    const kind = numeric < INITIAL.length ? 'dag-input' : numeric === changed ? 'dag-changed' : numeric === output ? 'dag-output' : 'dag-op';
    const box = el('g', { class: `dag-node ${kind}`, 'data-node': id });
    box.append(el('rect', { x: n.x - n.width / 2, y: n.y - n.height / 2, width: n.width, height: n.height, rx: 4 }));
    box.append(el('text', { x: n.x, y: n.y + 4, 'text-anchor': 'middle' }, String(n.label ?? '')));
    svg.append(box);
  }
  return svg;
}
