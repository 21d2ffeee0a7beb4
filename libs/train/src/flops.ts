/**
 * Floating-point work of a network description, for reading training throughput against the
 * machine's measured Conv GFLOP/s: 2 FLOPs per multiply-accumulate of the convolutions (depthwise
 * included) and dense layers (countMacs), the work that dominates; norm-act slots, pooling and
 * element-wise ops are left out. Training ≈ 3 × forward (forward, gradient w.r.t. inputs, gradient
 * w.r.t. weights).
 */
import { countMacs, type NetworkSpec } from '@evonorm/nets';

/** Forward FLOPs of one image. */
export function forwardFlops(spec: NetworkSpec): number {
  return 2 * countMacs(spec);
}

/** Training FLOPs of one image: 3 × forward. */
export function trainingFlops(spec: NetworkSpec): number {
  return 3 * forwardFlops(spec);
}
