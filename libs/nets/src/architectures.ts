/**
 * The paper's three proxy architectures, engine-neutral: ResNet-v2 (pre-activation), MobileNetV2
 * and EfficientNet-B0. Proxies are shrunk for 32×32 (CIFAR-10) and 28×28 (Fashion-MNIST) inputs:
 * the stem and the first downsampling stage keep stride 1, so the last feature map is the input
 * over 8 (4×4). `full: true` gives the 224×224 ImageNet versions for inference benchmarks.
 * Every BN-activation pair is a norm-act slot; BatchNorms without an activation (the linear
 * bottlenecks of MobileNetV2 and EfficientNet) stay plain BatchNorms.
 */
import { NetBuilder, makeDivisible, type NetworkSpec } from './spec.js';

export const ARCHITECTURES = ['resnet_v2', 'mobilenet_v2', 'efficientnet_b0'] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

export interface ArchitectureOptions {
  /** [C, H, W]; default [3, 32, 32] for proxies, [3, 224, 224] for full-size. */
  readonly input?: readonly [number, number, number];
  readonly classes?: number;
  /** Channel multiplier (default 1 for full-size; see each proxy's default). */
  readonly width?: number;
  /** Block-count multiplier (blocks per stage = max(1, ceil(n × depth))). */
  readonly depth?: number;
  /** The 224×224 ImageNet version with its original strides. */
  readonly full?: boolean;
}

export function isArchitecture(name: string): name is Architecture {
  return (ARCHITECTURES as readonly string[]).includes(name);
}

const blocks = (n: number, depth: number): number => Math.max(1, Math.ceil(n * depth));

function defaults(options: ArchitectureOptions, proxyWidth: number, proxyDepth: number) {
  const full = options.full ?? false;
  return {
    full,
    input: options.input ?? (full ? ([3, 224, 224] as const) : ([3, 32, 32] as const)),
    classes: options.classes ?? (full ? 1000 : 10),
    width: options.width ?? (full ? 1 : proxyWidth),
    depth: options.depth ?? (full ? 1 : proxyDepth),
  };
}

/**
 * ResNet-v2 with pre-activation blocks (He et al., 2016). Proxy: the CIFAR ResNet of stages
 * 16/32/64 with 3 basic blocks each at depth 1 (ResNet-20); default depth 1/3, one block per
 * stage. Full-size: ResNet-50 v2 with bottleneck blocks.
 */
export function resnetV2(options: ArchitectureOptions = {}): NetworkSpec {
  const o = defaults(options, 1, 1 / 3);
  const b = new NetBuilder();
  let x = b.input();
  const ch = (c: number): number => Math.max(8, Math.round(c * o.width));
  if (o.full) {
    x = b.maxPool(b.conv(x, ch(64), 7, 2), 3, 2);
    let cin = ch(64);
    [3, 4, 6, 3].forEach((n, stage) => {
      const planes = ch(64 * 2 ** stage);
      for (let i = 0; i < blocks(n, o.depth); i++) {
        const stride = i === 0 && stage > 0 ? 2 : 1;
        const pre = b.normAct(x);
        const shortcut = stride !== 1 || cin !== planes * 4 ? b.conv(pre, planes * 4, 1, stride) : x;
        let y = b.conv(pre, planes, 1);
        y = b.conv(b.normAct(y), planes, 3, stride);
        y = b.conv(b.normAct(y), planes * 4, 1);
        x = b.add(y, shortcut);
        cin = planes * 4;
      }
    });
  } else {
    x = b.conv(x, ch(16), 3, 1);
    let cin = ch(16);
    [16, 32, 64].forEach((c, stage) => {
      const out = ch(c);
      for (let i = 0; i < blocks(3, o.depth); i++) {
        const stride = i === 0 && stage > 0 ? 2 : 1;
        const pre = b.normAct(x);
        const shortcut = stride !== 1 || cin !== out ? b.conv(pre, out, 1, stride) : x;
        const y = b.conv(b.normAct(b.conv(pre, out, 3, stride)), out, 3, 1);
        x = b.add(y, shortcut);
        cin = out;
      }
    });
  }
  x = b.globalAvgPool(b.normAct(x));
  b.dense(x, o.classes);
  return { name: o.full ? 'resnet_v2_50' : 'resnet_v2', input: o.input, classes: o.classes, nodes: b.nodes };
}

/** MobileNetV2 (Sandler et al., 2018). Proxy defaults: width 0.5, depth 0.5. */
export function mobilenetV2(options: ArchitectureOptions = {}): NetworkSpec {
  const o = defaults(options, 0.5, 0.5);
  const b = new NetBuilder();
  // expansion t, channels c, repeats n, stride s
  const settings = [
    [1, 16, 1, 1],
    [6, 24, 2, 2],
    [6, 32, 3, 2],
    [6, 64, 4, 2],
    [6, 96, 3, 1],
    [6, 160, 3, 2],
    [6, 320, 1, 1],
  ] as const;
  let cin = makeDivisible(32 * o.width);
  let x = b.normAct(b.conv(b.input(), cin, 3, o.full ? 2 : 1));
  settings.forEach(([t, c, n, s], stage) => {
    const out = makeDivisible(c * o.width);
    for (let i = 0; i < blocks(n, o.depth); i++) {
      // Proxy: the 24-channel stage keeps stride 1 (with the stem, 8× downsampling in all).
      const stride = i === 0 ? (!o.full && stage === 1 ? 1 : s) : 1;
      const hidden = Math.round(cin * t);
      let y = x;
      if (t !== 1) y = b.normAct(b.conv(y, hidden, 1));
      y = b.normAct(b.conv(y, hidden, 3, stride, hidden));
      y = b.batchNorm(b.conv(y, out, 1));
      x = stride === 1 && cin === out ? b.add(x, y) : y;
      cin = out;
    }
  });
  const last = o.full ? makeDivisible(1280 * Math.max(1, o.width)) : makeDivisible(1280 * o.width);
  x = b.globalAvgPool(b.normAct(b.conv(x, last, 1)));
  b.dense(x, o.classes);
  return { name: o.full ? 'mobilenet_v2_224' : 'mobilenet_v2', input: o.input, classes: o.classes, nodes: b.nodes };
}

/** EfficientNet-B0 (Tan & Le, 2019) with squeeze-excite and swish. Proxy defaults: width 0.5, depth 0.5. */
export function efficientNetB0(options: ArchitectureOptions = {}): NetworkSpec {
  const o = defaults(options, 0.5, 0.5);
  const b = new NetBuilder();
  // expansion e, kernel k, stride s, output channels c, repeats n
  const settings = [
    [1, 3, 1, 16, 1],
    [6, 3, 2, 24, 2],
    [6, 5, 2, 40, 2],
    [6, 3, 2, 80, 3],
    [6, 5, 1, 112, 3],
    [6, 5, 2, 192, 4],
    [6, 3, 1, 320, 1],
  ] as const;
  let cin = makeDivisible(32 * o.width);
  let x = b.normAct(b.conv(b.input(), cin, 3, o.full ? 2 : 1));
  settings.forEach(([e, k, s, c, n], stage) => {
    const out = makeDivisible(c * o.width);
    for (let i = 0; i < blocks(n, o.depth); i++) {
      const stride = i === 0 ? (!o.full && stage === 1 ? 1 : s) : 1;
      const hidden = makeDivisible(cin * e);
      let y = x;
      if (e !== 1) y = b.normAct(b.conv(y, hidden, 1));
      y = b.normAct(b.conv(y, hidden, k, stride, hidden));
      // Squeeze-excite: squeeze to a quarter of the block's input channels.
      const squeeze = Math.max(1, Math.floor(cin / 4));
      const se = b.sigmoid(b.conv(b.swish(b.conv(b.globalAvgPool(y), squeeze, 1, 1, 1, true)), hidden, 1, 1, 1, true));
      y = b.batchNorm(b.conv(b.scale(y, se), out, 1));
      x = stride === 1 && cin === out ? b.add(x, y) : y;
      cin = out;
    }
  });
  const last = makeDivisible(1280 * (o.full ? 1 : o.width));
  x = b.globalAvgPool(b.normAct(b.conv(x, last, 1)));
  b.dense(x, o.classes);
  return { name: o.full ? 'efficientnet_b0_224' : 'efficientnet_b0', input: o.input, classes: o.classes, nodes: b.nodes };
}

export function architecture(name: string, options: ArchitectureOptions = {}): NetworkSpec {
  switch (name) {
    case 'resnet_v2':
      return resnetV2(options);
    case 'mobilenet_v2':
      return mobilenetV2(options);
    case 'efficientnet_b0':
      return efficientNetB0(options);
    default:
      throw new RangeError(`unknown architecture ${JSON.stringify(name)}; known: ${ARCHITECTURES.join(', ')}`);
  }
}
