/**
 * Inference benchmarks with ONNX Runtime: per-layer latency (a chain of K layers minus the
 * generator-only baseline, timed interleaved; see bench-timing.ts) and whole-network latency. The
 * floor is the time to read x once and write y once at the device's bandwidth, measured with a chain
 * of ReLUs (one read, one write per element).
 */
import { initialParams, type LayerGraph, type Shape4 } from '@evonorm/graph';
import type { NetworkSpec } from '@evonorm/nets';
import { BENCH_BYTES, generatedModel, timeModels, type BenchDType, type TimingOptions } from './bench-timing.js';
import { emitLayer } from './layer.js';
import { emitNetwork } from './network.js';
import type { ExecutionProvider } from './session.js';

export { quantile, timeModel, timeModels, generatedModel, BENCH_BYTES, type BenchDType, type Timing, type TimingOptions } from './bench-timing.js';

export interface LayerBenchCase {
  /** e.g. "relu", "bn-relu", "evonorm-s0", or a file name. */
  readonly name: string;
  /** The layer, or undefined for the stock ONNX Relu reference. */
  readonly graph?: LayerGraph;
}

export interface LayerBenchOptions extends TimingOptions {
  readonly shape: Shape4;
  readonly chain?: number;
  readonly dtype?: BenchDType;
  readonly optimize?: boolean;
}

export interface LayerBenchResult {
  readonly bench: 'layer';
  readonly layer: string;
  readonly export: 'stock' | 'naive' | 'optimized';
  readonly dtype: BenchDType;
  readonly ep: ExecutionProvider;
  readonly shape: readonly number[];
  readonly chain: number;
  readonly per_layer_ms: number;
  readonly chain_ms: number;
  readonly baseline_ms: number;
  /**
   * CPU provider only: (chain − baseline) / K in process CPU time (medians, every thread), the work
   * a layer costs, which repeats on a loaded machine where wall time does not.
   */
  readonly per_layer_cpu_ms?: number;
  /** Timed runs of the chain (and of the baseline, interleaved). */
  readonly runs: number;
  /** Bytes a layer must move at least: read x once, write y once. */
  readonly floor_bytes: number;
  /** floor_bytes over the measured bandwidth; absent until bandwidth is measured. */
  floor_ms?: number;
}

/** A figure the timings cannot give (e.g. the chain was not slower than its baseline). */
export class MeasurementError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MeasurementError';
  }
}

/** The model of a chain of `chain` copies of the layer (stock Relu without a graph) on the generator. */
export function chainModel(layer: LayerBenchCase, options: LayerBenchOptions & { chain: number; dtype: BenchDType }): Uint8Array {
  const channels = options.shape[1];
  return generatedModel(options.shape, options.dtype, (b, x) => {
    let y = x;
    for (let k = 0; k < options.chain; k++) {
      y = layer.graph ? emitLayer(b, layer.graph, y, { channels, dtype: options.dtype, optimize: options.optimize ?? false, params: initialParams(channels) }, `l${k}/`) : b.node('Relu', [y]);
    }
    return y;
  });
}

/**
 * Per-layer latency of one layer at one shape: the chain and the generator-only baseline are timed
 * interleaved, and (chain − baseline) / K uses each one's 10th-percentile time.
 */
export async function benchLayer(layer: LayerBenchCase, options: LayerBenchOptions): Promise<LayerBenchResult> {
  const dtype = options.dtype ?? 'float32';
  const chain = options.chain ?? 4;
  const [base, timed] = await timeModels([generatedModel(options.shape, dtype), chainModel(layer, { ...options, chain, dtype })], options);
  const elements = options.shape.reduce((a, b) => a * b, 1);
  return {
    bench: 'layer',
    layer: layer.name,
    export: layer.graph ? (options.optimize ? 'optimized' : 'naive') : 'stock',
    dtype,
    ep: options.ep ?? 'cpu',
    shape: [...options.shape],
    chain,
    per_layer_ms: Math.max(0, (timed!.ms - base!.ms) / chain),
    chain_ms: timed!.ms,
    baseline_ms: base!.ms,
    ...((options.ep ?? 'cpu') === 'cpu' ? { per_layer_cpu_ms: Math.max(0, (timed!.cpuMs - base!.cpuMs) / chain) } : {}),
    runs: timed!.runs,
    floor_bytes: 2 * elements * BENCH_BYTES[dtype],
  };
}

/**
 * Effective bandwidth in GB/s from a chain of ReLUs (each reads and writes every element once).
 * Throws MeasurementError when the chain was not measurably slower than the generator.
 */
export async function measureBandwidth(shape: Shape4, dtype: BenchDType, options: TimingOptions & { chain?: number } = {}): Promise<number> {
  const result = await benchLayer({ name: 'relu' }, { ...options, shape, dtype, chain: options.chain ?? 8 });
  if (!(result.per_layer_ms > 0)) {
    throw new MeasurementError(`a chain of ${result.chain} ReLUs (${result.chain_ms.toFixed(3)} ms) was not slower than the generator alone (${result.baseline_ms.toFixed(3)} ms)`);
  }
  return result.floor_bytes / (result.per_layer_ms * 1e6);
}

export interface NetworkBenchResult {
  readonly bench: 'network';
  readonly network: string;
  readonly layer: string;
  readonly export: 'naive' | 'optimized';
  readonly dtype: BenchDType;
  readonly ep: ExecutionProvider;
  readonly batch: number;
  readonly latency_ms: number;
  /** 1000 · batch / latency_ms; absent when the latency is not measurably above the generator's. */
  readonly images_per_s?: number;
}

/** Whole-network inference latency with `layer` in every slot (input generated in the graph). */
export async function benchNetwork(
  spec: NetworkSpec,
  layer: LayerBenchCase & { graph: LayerGraph },
  options: TimingOptions & { batch: number; dtype?: BenchDType; optimize?: boolean },
): Promise<NetworkBenchResult> {
  const dtype = options.dtype ?? 'float32';
  const shape = [options.batch, ...spec.input];
  const exportOptions = { dtype, optimize: options.optimize ?? false, batch: options.batch };
  const [base, timed] = await timeModels([generatedModel(shape, dtype), generatedModel(shape, dtype, (b, x) => emitNetwork(b, spec, layer.graph, x, exportOptions))], {
    ...options,
    repeats: options.repeats ?? 10,
    minSeconds: options.minSeconds ?? 0,
  });
  const latency = Math.max(0, timed!.ms - base!.ms);
  return {
    bench: 'network',
    network: spec.name,
    layer: layer.name,
    export: options.optimize ? 'optimized' : 'naive',
    dtype,
    ep: options.ep ?? 'cpu',
    batch: options.batch,
    latency_ms: latency,
    ...(latency > 0 ? { images_per_s: (1000 * options.batch) / latency } : {}),
  };
}
