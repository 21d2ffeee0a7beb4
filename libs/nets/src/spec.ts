/**
 * The engine-neutral description of a network: a small DAG of named operations that both training
 * engines (ONNX and TensorFlow.js) compile. Norm-act slots are where a candidate layer goes.
 */

export type NetOp =
  | { readonly op: 'input' }
  /** Convolution, 'same'-style padding k//2, no bias unless asked; groups = channels for depthwise. */
  | {
      readonly op: 'conv';
      readonly input: string;
      readonly out: number;
      readonly kernel: number;
      readonly stride: number;
      readonly groups: number;
      readonly bias: boolean;
    }
  /** The slot a candidate normalization-activation layer fills (BN-ReLU in the baseline). */
  | { readonly op: 'normAct'; readonly input: string }
  /** A plain BatchNorm without activation (MobileNetV2/EfficientNet linear bottlenecks); not a slot. */
  | { readonly op: 'batchNorm'; readonly input: string }
  | { readonly op: 'add'; readonly inputs: readonly [string, string] }
  /** Per-channel scaling of `input` by `scale` ([N,C,1,1]), as squeeze-excite does. */
  | { readonly op: 'scale'; readonly input: string; readonly scale: string }
  | { readonly op: 'swish'; readonly input: string }
  | { readonly op: 'sigmoid'; readonly input: string }
  | { readonly op: 'globalAvgPool'; readonly input: string }
  /** Max pooling with padding k//2 (the full-size ResNet stem). */
  | { readonly op: 'maxPool'; readonly input: string; readonly kernel: number; readonly stride: number }
  | { readonly op: 'dense'; readonly input: string; readonly out: number };

export type NetNode = NetOp & { readonly name: string };

export interface NetworkSpec {
  readonly name: string;
  /** [C, H, W] of one input image. */
  readonly input: readonly [number, number, number];
  readonly classes: number;
  /** In order; every input refers to an earlier node. The last node gives the logits. */
  readonly nodes: readonly NetNode[];
}

/** Shape of one example (no batch dim): [C, H, W] for feature maps, [F] after pooling. */
export type ExampleShape = readonly number[];

export function convOutputSize(size: number, kernel: number, stride: number): number {
  const pad = Math.floor(kernel / 2);
  return Math.floor((size + 2 * pad - kernel) / stride) + 1;
}

function inputsOf(node: NetNode): string[] {
  switch (node.op) {
    case 'input':
      return [];
    case 'add':
      return [...node.inputs];
    case 'scale':
      return [node.input, node.scale];
    default:
      return [node.input];
  }
}

/** Shapes of every node, checking the DAG as it goes. */
export function inferShapes(spec: NetworkSpec): Map<string, ExampleShape> {
  const shapes = new Map<string, ExampleShape>();
  for (const node of spec.nodes) {
    if (shapes.has(node.name)) throw new Error(`duplicate node name ${node.name}`);
    const ins = inputsOf(node).map((name) => {
      const s = shapes.get(name);
      if (!s) throw new Error(`${node.name}: input ${name} is not an earlier node`);
      return s;
    });
    let shape: ExampleShape;
    switch (node.op) {
      case 'input':
        shape = spec.input;
        break;
      case 'conv': {
        const [c, h, w] = ins[0]!;
        if (ins[0]!.length !== 3) throw new Error(`${node.name}: conv needs a feature map`);
        if (c! % node.groups !== 0 || node.out % node.groups !== 0) {
          throw new Error(`${node.name}: groups ${node.groups} must divide ${c} and ${node.out}`);
        }
        shape = [node.out, convOutputSize(h!, node.kernel, node.stride), convOutputSize(w!, node.kernel, node.stride)];
        break;
      }
      case 'add':
        if (ins[0]!.join() !== ins[1]!.join()) throw new Error(`${node.name}: add of ${ins[0]} and ${ins[1]}`);
        shape = ins[0]!;
        break;
      case 'scale':
        if (ins[1]!.length !== 3 || ins[1]![0] !== ins[0]![0] || ins[1]![1] !== 1 || ins[1]![2] !== 1) {
          throw new Error(`${node.name}: scale must be [C,1,1] for input [${ins[0]}]`);
        }
        shape = ins[0]!;
        break;
      case 'globalAvgPool':
        shape = [ins[0]![0]!, 1, 1];
        break;
      case 'maxPool': {
        const [c, h, w] = ins[0]!;
        shape = [c!, convOutputSize(h!, node.kernel, node.stride), convOutputSize(w!, node.kernel, node.stride)];
        break;
      }
      case 'dense':
        shape = [node.out];
        break;
      default:
        shape = ins[0]!;
    }
    shapes.set(node.name, shape);
  }
  return shapes;
}

/** Input channels of a node's (first) input. */
export function inputChannels(shapes: Map<string, ExampleShape>, node: NetNode): number {
  const name = inputsOf(node)[0]!;
  const s = shapes.get(name)!;
  return s.length === 3 ? s[0]! : s.reduce((a, b) => a * b, 1);
}

export interface ParameterCount {
  readonly weights: number;
  /** Channels of all norm-act slots, summed: each slot holds `perChannel` parameters per channel. */
  readonly slotChannels: number;
  readonly slots: number;
}

/** Conv, dense, bias and fixed BatchNorm (γ, β) parameters, plus the total width of the slots. */
export function countParameters(spec: NetworkSpec): ParameterCount {
  const shapes = inferShapes(spec);
  let weights = 0;
  let slotChannels = 0;
  let slots = 0;
  for (const node of spec.nodes) {
    const cin = node.op === 'input' ? 0 : inputChannels(shapes, node);
    switch (node.op) {
      case 'conv':
        weights += (cin / node.groups) * node.kernel * node.kernel * node.out + (node.bias ? node.out : 0);
        break;
      case 'dense':
        weights += cin * node.out + node.out;
        break;
      case 'batchNorm':
        weights += 2 * cin;
        break;
      case 'normAct':
        slotChannels += cin;
        slots++;
        break;
      default:
    }
  }
  return { weights, slotChannels, slots };
}

/** Multiply-accumulates of one forward pass of one example (convolutions and dense layers). */
export function countMacs(spec: NetworkSpec): number {
  const shapes = inferShapes(spec);
  let macs = 0;
  for (const node of spec.nodes) {
    if (node.op === 'conv') {
      const [out, h, w] = shapes.get(node.name)!;
      macs += (inputChannels(shapes, node) / node.groups) * node.kernel * node.kernel * out! * h! * w!;
    } else if (node.op === 'dense') {
      macs += inputChannels(shapes, node) * node.out;
    }
  }
  return macs;
}

/** Builds node lists with unique names. */
export class NetBuilder {
  readonly nodes: NetNode[] = [];
  private readonly counts = new Map<string, number>();

  private name(stem: string): string {
    const k = (this.counts.get(stem) ?? 0) + 1;
    this.counts.set(stem, k);
    return `${stem}${k}`;
  }

  private push(stem: string, op: NetOp): string {
    const name = this.name(stem);
    this.nodes.push({ ...op, name } as NetNode);
    return name;
  }

  input(): string {
    this.nodes.push({ op: 'input', name: 'input' });
    return 'input';
  }

  conv(input: string, out: number, kernel: number, stride = 1, groups = 1, bias = false): string {
    return this.push(groups > 1 ? 'dwconv' : 'conv', { op: 'conv', input, out, kernel, stride, groups, bias });
  }

  normAct(input: string): string {
    return this.push('normact', { op: 'normAct', input });
  }

  batchNorm(input: string): string {
    return this.push('bn', { op: 'batchNorm', input });
  }

  add(a: string, b: string): string {
    return this.push('add', { op: 'add', inputs: [a, b] });
  }

  scale(input: string, scale: string): string {
    return this.push('scale', { op: 'scale', input, scale });
  }

  swish(input: string): string {
    return this.push('swish', { op: 'swish', input });
  }

  sigmoid(input: string): string {
    return this.push('sigmoid', { op: 'sigmoid', input });
  }

  globalAvgPool(input: string): string {
    return this.push('gap', { op: 'globalAvgPool', input });
  }

  maxPool(input: string, kernel: number, stride: number): string {
    return this.push('maxpool', { op: 'maxPool', input, kernel, stride });
  }

  dense(input: string, out: number): string {
    return this.push('dense', { op: 'dense', input, out });
  }
}

/** Channels rounded to a multiple of 8, never more than 10% below the target (MobileNet's rule). */
export function makeDivisible(value: number, divisor = 8): number {
  const rounded = Math.max(divisor, Math.floor(value + divisor / 2) - (Math.floor(value + divisor / 2) % divisor));
  return rounded < 0.9 * value ? rounded + divisor : rounded;
}
