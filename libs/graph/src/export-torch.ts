/**
 * A layer as a self-contained PyTorch module: one Python file a user drops into their model. The
 * module computes what the float64 interpreter computes (interpreter.ts, aggregate.ts): v0, v1,
 * γ, β as per-channel parameters (v0 = 0, v1 = 1, γ = 1, β = 0 at initialization), one moving
 * average per batch aggregate (decay 0.9, i.e. PyTorch momentum 0.1; a variance stored unbiased),
 * batch statistics in training mode and the moving averages in eval mode, groups of c/g channels
 * with g = the largest divisor of C not above the search's 32.
 */
import { DEFAULT_GROUPS, EPSILON, MOVING_AVERAGE_DECAY, NUM_INITIAL, X_ID, isBatchAggregate, type AggregateOp, type IndexSet, type LayerGraph } from './ops.js';
import { layerJson } from './layer-json.js';
import { renderFormula } from './render.js';

export interface TorchExportOptions {
  /** Python class name (default EvoLayer). */
  readonly className?: string;
  /** Where the layer came from, for the docstring (a search's candidate id, a zoo name). */
  readonly source?: string;
}

const INITIAL_VALUES = ['x', 'zero', 'v0', 'v1'];

/** Reduction dims of an index set other than the batch set. */
const DIMS: Record<Exclude<IndexSet, 'bwh' | 'whcg'>, string> = { wh: '(2, 3)', whc: '(1, 2, 3)' };

/** A Python identifier of the form the generated code uses for node `id`. */
const value = (id: number): string => (id < NUM_INITIAL ? INITIAL_VALUES[id]! : `t${id}`);

function statistic(op: AggregateOp, a: string, dims: string): string {
  if (op === 'mean') return `${a}.mean(dim=${dims}, keepdim=True)`;
  if (op === 'rms') return `(${a} * ${a}).mean(dim=${dims}, keepdim=True)`;
  return `${a}.var(dim=${dims}, unbiased=False, keepdim=True)`;
}

const finish = (op: AggregateOp, stat: string): string => (op === 'mean' ? stat : `torch.sqrt(${stat} + self.eps)`);

function nodeLines(graph: LayerGraph): string[] {
  const lines: string[] = [];
  graph.nodes.forEach((node, index) => {
    const id = index + NUM_INITIAL;
    const a = value(node.inputs[0]!);
    const b = node.inputs.length > 1 ? value(node.inputs[1]!) : a;
    const out = value(id);
    switch (node.op) {
      case 'add':
        lines.push(`${out} = ${a} + ${b}`);
        break;
      case 'mul':
        lines.push(`${out} = ${a} * ${b}`);
        break;
      case 'div':
        lines.push(`${out} = ${a} / ${b}`);
        break;
      case 'max':
        lines.push(`${out} = torch.maximum(${a}, ${b})`);
        break;
      case 'neg':
        lines.push(`${out} = -${a}`);
        break;
      case 'sigmoid':
      case 'tanh':
      case 'exp':
      case 'abs':
        lines.push(`${out} = torch.${node.op}(${a})`);
        break;
      case 'square':
        lines.push(`${out} = ${a} * ${a}`);
        break;
      case 'log':
        lines.push(`${out} = torch.sign(${a}) * torch.log(torch.abs(${a}))`);
        break;
      case 'sqrt':
        lines.push(`${out} = torch.sign(${a}) * torch.sqrt(torch.abs(${a}))`);
        break;
      case 'mean':
      case 'rms':
      case 'std': {
        const op = node.op;
        // Every value is taken at the input's full shape, as the interpreter holds it.
        const full = node.inputs[0] === X_ID ? a : `${a}.expand(n, c, h, w)`;
        if (node.axes === 'bwh') {
          const moving = `self.moving${id}`;
          lines.push(`if self.training:`);
          lines.push(`    s${id} = ${statistic(op, full, '(0, 2, 3)')}`);
          const correction = op === 'std' ? ' * count / max(count - 1, 1)' : '';
          lines.push(`    with torch.no_grad():`);
          lines.push(`        ${moving}.mul_(self.decay).add_((1 - self.decay) * s${id}.detach().reshape(-1)${correction})`);
          lines.push(`else:`);
          lines.push(`    s${id} = ${moving}.view(1, -1, 1, 1)`);
          lines.push(`${out} = ${finish(op, `s${id}`)}`);
        } else if (node.axes === 'whcg') {
          lines.push(`g${id} = ${full}.reshape(n, self.groups, c // self.groups, h, w)`);
          lines.push(`${out} = ${finish(op, statistic(op, `g${id}`, '(2, 3, 4)'))}.expand(n, self.groups, c // self.groups, 1, 1).reshape(n, c, 1, 1)`);
        } else {
          lines.push(`${out} = ${finish(op, statistic(op, full, DIMS[node.axes!]))}`);
        }
        break;
      }
    }
  });
  return lines;
}

/** Python source of a module computing `graph` followed by the affine `out * γ + β`. */
export function torchModuleSource(graph: LayerGraph, options: TorchExportOptions = {}): string {
  const className = options.className ?? 'EvoLayer';
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(className)) throw new Error(`not a Python class name: ${className}`);
  const batchAggregates = graph.nodes.map((node, index) => ({ node, id: index + NUM_INITIAL })).filter(({ node }) => isBatchAggregate(node));
  const formula = renderFormula(graph, 'text');
  // Layer JSON holds only strings and numbers, so it is also a Python literal.
  const graphJson = JSON.stringify(layerJson(graph));
  const indent = (lines: string[], spaces: number): string => lines.map((l) => `${' '.repeat(spaces)}${l}`).join('\n');
  const buffers = batchAggregates.map(({ node, id }) => `self.register_buffer("moving${id}", torch.${node.op === 'mean' ? 'zeros' : 'ones'}(channels))`);
  const last = value(graph.nodes.length + NUM_INITIAL - 1);
  return `"""${className}: a normalization-activation layer found by evonorm${options.source ? ` (${options.source})` : ''}.

    y = gamma * f(x) + beta,  f(x) = ${formula.replace(/\\/g, '\\\\').replace(/"""/g, '\\"\\"\\"')}

x is NCHW. v0, v1, gamma and beta are per-channel parameters (initialized 0, 1, 1, 0). Aggregates
(mu mean, s^2 biased variance, sqrt(mu(x^2)+eps) root mean square) are taken over b,w,h (the batch,
with a moving average used in eval mode), w,h (each example and channel), w,h,c (each example) or
w,h,c/g (groups of c/g channels). Generated from the layer graph in GRAPH; evonorm's float64
interpreter is the reference it was tested against.
"""
import torch
from torch import nn

GRAPH = ${graphJson}


class ${className}(nn.Module):
    def __init__(self, channels: int, groups: int = ${DEFAULT_GROUPS}, eps: float = ${EPSILON}, momentum: float = ${Number((1 - MOVING_AVERAGE_DECAY).toFixed(6))}):
        super().__init__()
        self.channels = channels
        # The largest divisor of channels that is at most groups, as in the search.
        self.groups = next(g for g in range(min(groups, channels), 0, -1) if channels % g == 0)
        self.eps = eps
        self.decay = 1.0 - momentum
        self.v0 = nn.Parameter(torch.zeros(channels))
        self.v1 = nn.Parameter(torch.ones(channels))
        self.gamma = nn.Parameter(torch.ones(channels))
        self.beta = nn.Parameter(torch.zeros(channels))
${buffers.length ? indent(buffers, 8) : '        # no batch aggregates: nothing kept between calls'}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        if c != self.channels:
            raise ValueError(f"expected {self.channels} channels, got {c}")
        count = n * h * w
        zero = torch.zeros((), dtype=x.dtype, device=x.device)
        v0 = self.v0.view(1, -1, 1, 1)
        v1 = self.v1.view(1, -1, 1, 1)
${indent(nodeLines(graph), 8)}
        out = ${last}.expand(n, c, h, w)
        return out * self.gamma.view(1, -1, 1, 1) + self.beta.view(1, -1, 1, 1)

    def extra_repr(self) -> str:
        return f"channels={self.channels}, groups={self.groups}, eps={self.eps}"
`;
}
