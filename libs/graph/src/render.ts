/**
 * Formula rendering in plain text and LaTeX, with only the parentheses precedence needs.
 * EvoNorm-S0 renders as `x·σ(v1·x) / √(s²_{w,h,c/g}(x)+ε)`.
 */
import { NUM_INITIAL, ZERO_ID, type IndexSet, type LayerGraph } from './ops.js';

export type FormulaFormat = 'text' | 'latex';

// Binding strength of a rendered expression: a sum binds loosest, an atom (name, function call) tightest.
const SUM = 1;
const PRODUCT = 2;
const NEGATION = 3;
const ATOM = 4;

interface Rendered {
  readonly text: string;
  readonly prec: number;
  /** Products chain without parentheses (a·b·c). */
  readonly product?: boolean;
  /** The operand of a negation, so that a + (−b) renders as a − b. */
  readonly negated?: Rendered;
}

interface Style {
  readonly names: readonly string[];
  paren(s: string): string;
  add(a: string, b: string): string;
  sub(a: string, b: string): string;
  mul(a: string, b: string): string;
  div(a: string, b: string): string;
  /** LaTeX fractions need no parentheses around their operands. */
  readonly fractionIsAtom: boolean;
  neg(a: string): string;
  call(name: 'sigmoid' | 'tanh' | 'exp', a: string): string;
  abs(a: string): string;
  square(a: string): string;
  log(a: string): string;
  sqrt(a: string): string;
  max(a: string, b: string): string;
  mean(axes: string, a: string): string;
  rms(axes: string, squared: string): string;
  std(axes: string, a: string): string;
}

const AXES_TEXT: Record<IndexSet, string> = { bwh: 'b,w,h', whc: 'w,h,c', wh: 'w,h', whcg: 'w,h,c/g' };

const TEXT: Style = {
  names: ['x', '0', 'v0', 'v1'],
  paren: (s) => `(${s})`,
  add: (a, b) => `${a} + ${b}`,
  sub: (a, b) => `${a} − ${b}`,
  mul: (a, b) => `${a}·${b}`,
  div: (a, b) => `${a} / ${b}`,
  fractionIsAtom: false,
  neg: (a) => `−${a}`,
  call: (name, a) => `${name === 'sigmoid' ? 'σ' : name}(${a})`,
  abs: (a) => `|${a}|`,
  square: (a) => `${a}²`,
  log: (a) => `sign(${a})·ln|${a}|`,
  sqrt: (a) => `sign(${a})·√|${a}|`,
  max: (a, b) => `max(${a}, ${b})`,
  mean: (axes, a) => `μ_{${axes}}(${a})`,
  rms: (axes, squared) => `√(μ_{${axes}}(${squared})+ε)`,
  std: (axes, a) => `√(s²_{${axes}}(${a})+ε)`,
};

const LATEX: Style = {
  names: ['x', '0', 'v_0', 'v_1'],
  paren: (s) => `\\left(${s}\\right)`,
  add: (a, b) => `${a} + ${b}`,
  sub: (a, b) => `${a} - ${b}`,
  mul: (a, b) => `${a} \\cdot ${b}`,
  div: (a, b) => `\\frac{${a}}{${b}}`,
  fractionIsAtom: true,
  neg: (a) => `-${a}`,
  call: (name, a) => `${name === 'sigmoid' ? '\\sigma' : `\\${name}`}\\left(${a}\\right)`,
  abs: (a) => `\\left|${a}\\right|`,
  square: (a) => `${a}^{2}`,
  log: (a) => `\\operatorname{sign}\\left(${a}\\right)\\ln\\left|${a}\\right|`,
  sqrt: (a) => `\\operatorname{sign}\\left(${a}\\right)\\sqrt{\\left|${a}\\right|}`,
  max: (a, b) => `\\max\\left(${a}, ${b}\\right)`,
  mean: (axes, a) => `\\mu_{${axes}}\\left(${a}\\right)`,
  rms: (axes, squared) => `\\sqrt{\\mu_{${axes}}\\left(${squared}\\right)+\\epsilon}`,
  std: (axes, a) => `\\sqrt{s^{2}_{${axes}}\\left(${a}\\right)+\\epsilon}`,
};

function atLeast(style: Style, r: Rendered, prec: number): string {
  return r.prec >= prec ? r.text : style.paren(r.text);
}

function squared(style: Style, a: Rendered): Rendered {
  return { text: style.square(atLeast(style, a, ATOM)), prec: ATOM };
}

/** Renders the layer's output node as a formula (the affine after the graph is not shown). */
export function renderFormula(graph: LayerGraph, format: FormulaFormat = 'text'): string {
  const style = format === 'latex' ? LATEX : TEXT;
  const memo = new Map<number, Rendered>();
  const render = (id: number): Rendered => {
    if (id < NUM_INITIAL) return { text: style.names[id]!, prec: ATOM };
    const cached = memo.get(id);
    if (cached) return cached;
    const node = graph.nodes[id - NUM_INITIAL]!;
    const a = render(node.inputs[0]!);
    const b = node.inputs.length > 1 ? render(node.inputs[1]!) : undefined;
    const axes = node.axes ? AXES_TEXT[node.axes] : '';
    let result: Rendered;
    switch (node.op) {
      case 'add':
        result = b!.negated ? { text: style.sub(a.text, atLeast(style, b!.negated, PRODUCT)), prec: SUM } : { text: style.add(a.text, b!.text), prec: SUM };
        break;
      case 'mul': {
        const operand = (r: Rendered): string => (r.product ? r.text : atLeast(style, r, ATOM));
        result = { text: style.mul(operand(a), operand(b!)), prec: PRODUCT, product: true };
        break;
      }
      case 'div':
        result = style.fractionIsAtom ? { text: style.div(a.text, b!.text), prec: ATOM } : { text: style.div(atLeast(style, a, PRODUCT), atLeast(style, b!, ATOM)), prec: PRODUCT };
        break;
      case 'max':
        result = { text: style.max(a.text, b!.text), prec: ATOM };
        break;
      case 'neg':
        result = { text: style.neg(atLeast(style, a, ATOM)), prec: NEGATION, negated: a };
        break;
      case 'exp':
        // exp(0) is how the IR spells the constant 1 (e.g. EvoNorm-B1's x + 1).
        result = node.inputs[0] === ZERO_ID ? { text: '1', prec: ATOM } : { text: style.call(node.op, a.text), prec: ATOM };
        break;
      case 'sigmoid':
      case 'tanh':
        result = { text: style.call(node.op, a.text), prec: ATOM };
        break;
      case 'abs':
        result = { text: style.abs(a.text), prec: ATOM };
        break;
      case 'square':
        result = squared(style, a);
        break;
      case 'log':
        result = { text: style.log(a.text), prec: PRODUCT, product: true };
        break;
      case 'sqrt':
        result = { text: style.sqrt(a.text), prec: PRODUCT, product: true };
        break;
      case 'mean':
        result = { text: style.mean(axes, a.text), prec: ATOM };
        break;
      case 'rms':
        result = { text: style.rms(axes, squared(style, a).text), prec: ATOM };
        break;
      case 'std':
        result = { text: style.std(axes, a.text), prec: ATOM };
        break;
    }
    memo.set(id, result);
    return result;
  };
  return render(graph.nodes.length - 1 + NUM_INITIAL).text;
}
