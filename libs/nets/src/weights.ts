/**
 * Initial weights of a network, engine-neutral, from an explicit seeded generator, so both
 * training engines can start from the same numbers. Conv weights are [out, in/groups, k, k]
 * (He normal, fan-in), dense weights [out, in] (uniform ±1/√in), biases 0, BatchNorm at identity.
 */
import type { Rng } from '@evonorm/graph';
import { inferShapes, inputChannels, type NetworkSpec } from './spec.js';

export interface WeightTensor {
  readonly dims: readonly number[];
  readonly data: Float64Array;
}

/** Tensors by name: `<node>.weight`, `<node>.bias`, and `<node>.gamma|beta|mean|var` for BatchNorm. */
export type NetworkWeights = ReadonlyMap<string, WeightTensor>;

export function initWeights(spec: NetworkSpec, rng: Rng): NetworkWeights {
  const shapes = inferShapes(spec);
  const weights = new Map<string, WeightTensor>();
  const filled = (dims: number[], f: () => number): WeightTensor => {
    const size = dims.reduce((a, b) => a * b, 1);
    return { dims, data: Float64Array.from({ length: size }, f) };
  };
  for (const node of spec.nodes) {
    if (node.op === 'conv') {
      const cin = inputChannels(shapes, node) / node.groups;
      const std = Math.sqrt(2 / (cin * node.kernel * node.kernel));
      weights.set(
        `${node.name}.weight`,
        filled([node.out, cin, node.kernel, node.kernel], () => std * rng.normal()),
      );
      if (node.bias)
        weights.set(
          `${node.name}.bias`,
          filled([node.out], () => 0),
        );
    } else if (node.op === 'dense') {
      const cin = inputChannels(shapes, node);
      const bound = 1 / Math.sqrt(cin);
      weights.set(
        `${node.name}.weight`,
        filled([node.out, cin], () => (2 * rng.float() - 1) * bound),
      );
      weights.set(
        `${node.name}.bias`,
        filled([node.out], () => 0),
      );
    } else if (node.op === 'batchNorm') {
      const c = inputChannels(shapes, node);
      weights.set(
        `${node.name}.gamma`,
        filled([c], () => 1),
      );
      weights.set(
        `${node.name}.beta`,
        filled([c], () => 0),
      );
      weights.set(
        `${node.name}.mean`,
        filled([c], () => 0),
      );
      weights.set(
        `${node.name}.var`,
        filled([c], () => 1),
      );
    }
  }
  return weights;
}
