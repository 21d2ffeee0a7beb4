import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ARCHITECTURES, architecture, countMacs, countParameters, efficientNetB0, inferShapes, makeDivisible, mobilenetV2, resnetV2, type NetworkSpec } from '../src/index.js';

/** Parameters counting each slot as a BatchNorm (γ, β per channel), as published counts do. */
const bnEquivalent = (spec: NetworkSpec): number => {
  const p = countParameters(spec);
  return p.weights + 2 * p.slotChannels;
};

describe('architectures', () => {
  it('full-size MobileNetV2 and EfficientNet-B0 match the published parameter counts and MACs', () => {
    // torchvision's mobilenet_v2 and efficientnet_b0.
    assert.equal(bnEquivalent(mobilenetV2({ full: true })), 3_504_872);
    assert.equal(bnEquivalent(efficientNetB0({ full: true })), 5_288_548);
    const mb = countMacs(mobilenetV2({ full: true })) / 1e6;
    const eff = countMacs(efficientNetB0({ full: true })) / 1e6;
    assert.ok(mb > 295 && mb < 305, `${mb}`); // 300M
    assert.ok(eff > 380 && eff < 395, `${eff}`); // 390M
  });

  it('full-size ResNet-50 v2 has ~25.5M parameters and ~4.1 GMACs', () => {
    const spec = resnetV2({ full: true });
    assert.ok(Math.abs(bnEquivalent(spec) - 25.55e6) < 0.1e6);
    assert.ok(Math.abs(countMacs(spec) / 1e9 - 4.09) < 0.05);
  });

  for (const name of ARCHITECTURES) {
    for (const input of [
      [3, 32, 32],
      [1, 28, 28],
    ] as const) {
      // The CIFAR ResNet downsamples twice (32 -> 8); the MobileNet/EfficientNet proxies three times.
      const final = name === 'resnet_v2' ? Math.ceil(input[1] / 4) : Math.ceil(Math.ceil(input[1] / 4) / 2);
      it(`${name} proxy on [${input}] ends in 10 logits after a ${final}×${final} feature map`, () => {
        const spec = architecture(name, { input });
        const shapes = inferShapes(spec);
        const last = spec.nodes[spec.nodes.length - 1]!;
        assert.deepEqual(shapes.get(last.name), [10]);
        const gap = spec.nodes.find((n) => n.op === 'globalAvgPool' && n.name === spec.nodes[spec.nodes.length - 2]!.name)!;
        const before = shapes.get((gap as { input: string }).input)!;
        assert.deepEqual(before.slice(1), [final, final]);
        assert.ok(countParameters(spec).slots >= 5, 'every BN-activation pair is a slot');
      });
    }
  }

  it('scales with width and depth', () => {
    for (const name of ARCHITECTURES) {
      const base = countParameters(architecture(name, { width: 0.5, depth: 0.5 })).weights;
      assert.ok(countParameters(architecture(name, { width: 1, depth: 0.5 })).weights > 2 * base, name);
      assert.ok(architecture(name, { depth: 1 }).nodes.length > architecture(name, { depth: 0.25 }).nodes.length, name);
    }
  });

  it('rejects unknown architectures by name', () => {
    assert.throws(() => architecture('vgg'), /unknown architecture "vgg"; known: resnet_v2/);
  });

  it('checks the DAG', () => {
    const spec = resnetV2();
    const broken = { ...spec, nodes: spec.nodes.map((n) => (n.op === 'add' ? { ...n, inputs: ['nowhere', n.inputs[1]] } : n)) } as NetworkSpec;
    assert.throws(() => inferShapes(broken), /input nowhere is not an earlier node/);
  });

  it('rounds channels to multiples of 8 like MobileNet', () => {
    assert.deepEqual(
      [16, 12, 20, 32 * 0.35, 1280 * 0.5].map((v) => makeDivisible(v)),
      [16, 16, 24, 16, 640],
    );
  });
});
