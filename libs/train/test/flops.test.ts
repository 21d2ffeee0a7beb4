import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { architecture, type NetworkSpec } from '@evonorm/nets';
import { forwardFlops, trainingFlops } from '../src/flops.js';

describe('training FLOPs per image', () => {
  it('counts 2 per multiply-add of convolutions (grouped too) and dense layers, and 3× forward for training', () => {
    const spec: NetworkSpec = {
      name: 'tiny',
      input: [3, 8, 8],
      classes: 5,
      nodes: [
        { name: 'x', op: 'input' },
        { name: 'c1', op: 'conv', input: 'x', out: 4, kernel: 3, stride: 1, groups: 1, bias: false },
        { name: 'n1', op: 'normAct', input: 'c1' },
        { name: 'dw', op: 'conv', input: 'n1', out: 4, kernel: 3, stride: 2, groups: 4, bias: false },
        { name: 'p', op: 'globalAvgPool', input: 'dw' },
        { name: 'fc', op: 'dense', input: 'p', out: 5 },
      ],
    };
    const conv = 2 * 4 * 8 * 8 * 3 * 9; // 4 outputs × 64 positions × 27 weights
    const depthwise = 2 * 4 * 4 * 4 * 1 * 9; // stride 2: 4×4 positions, one input channel each
    const dense = 2 * 4 * 5;
    assert.equal(forwardFlops(spec), conv + depthwise + dense);
    assert.equal(trainingFlops(spec), 3 * (conv + depthwise + dense));
  });

  it('grows with the proxies: a wider ResNet costs about 4× at twice the width', () => {
    const narrow = trainingFlops(architecture('resnet_v2', { width: 0.5 }));
    const wide = trainingFlops(architecture('resnet_v2', { width: 1 }));
    assert.ok(wide / narrow > 3 && wide / narrow < 4.5, `${wide / narrow}`);
  });
});
