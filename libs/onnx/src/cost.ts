/**
 * A layer's inference cost as the search records it: its optimized export against BN-ReLU's, timed
 * interleaved in this process (the generator alone, a chain of the layer, a chain of BN-ReLU), at
 * one fixed shape per execution provider. On the CPU the ratio uses the process's CPU time per run,
 * which other processes barely change (a search's other replicas keep training meanwhile); on CUDA,
 * wall time (bench-timing.ts).
 */
import { zooLayer, type LayerGraph, type Shape4 } from '@evonorm/graph';
import { chainModel, MeasurementError } from './bench.js';
import { generatedModel, timeModels, type TimingOptions } from './bench-timing.js';
import type { ExecutionProvider } from './session.js';

/** The shape each provider times at: a small CIFAR-sized batch on the CPU, a ResNet-50 stage on CUDA. */
export const COST_SHAPES: Readonly<Record<ExecutionProvider, Shape4>> = { cpu: [8, 64, 32, 32], cuda: [32, 256, 56, 56] };

export interface CostOptions extends TimingOptions {
  /** Default COST_SHAPES[ep]. */
  readonly shape?: Shape4;
  /** Layers per chain (default 4). */
  readonly chain?: number;
}

export interface LayerCost {
  /** layerMs / referenceMs. */
  readonly ratio: number;
  readonly layerMs: number;
  readonly referenceMs: number;
  readonly ep: ExecutionProvider;
  readonly shape: Shape4;
  readonly clock: 'cpu_time' | 'wall';
  readonly runs: number;
}

export async function inferenceCost(layer: LayerGraph, options: CostOptions = {}): Promise<LayerCost> {
  const ep = options.ep ?? 'cpu';
  const shape = options.shape ?? COST_SHAPES[ep];
  const chain = options.chain ?? 4;
  const dtype = 'float32';
  const build = (graph: LayerGraph): Uint8Array => chainModel({ name: '', graph }, { shape, chain, dtype, optimize: true });
  const [base, timed, reference] = await timeModels([generatedModel(shape, dtype), build(layer), build(zooLayer('bn-relu').graph)], { repeats: 20, warmup: 3, ...options });
  const clock = ep === 'cpu' ? 'cpu_time' : 'wall';
  const read = (t: typeof base): number => (clock === 'cpu_time' ? t!.cpuMs : t!.ms);
  const perLayer = (t: typeof base): number => Math.max(0, (read(t) - read(base)) / chain);
  const layerMs = perLayer(timed);
  const referenceMs = perLayer(reference);
  if (!(referenceMs > 0)) throw new MeasurementError(`BN-ReLU's chain was not measurably slower than the generator at [${shape.join(', ')}] on ${ep}`);
  return { ratio: layerMs / referenceMs, layerMs, referenceMs, ep, shape, clock, runs: timed!.runs };
}
