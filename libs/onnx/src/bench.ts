/**
 * Inference benchmarks with ONNX Runtime. Node's binding copies inputs and outputs through host
 * memory, so nothing large crosses it in the timed region: the input is generated inside the graph
 * (RandomNormal), K layers are chained, the result is reduced to a scalar, and the time of the
 * generator-only graph is subtracted. The floor is the time to read x once and write y once at
 * the device's bandwidth, measured with a chain of ReLUs (one read, one write per element).
 */
import { initialParams, type LayerGraph, type Shape4 } from '@evonorm/graph';
import type { NetworkSpec } from '@evonorm/nets';
import { GraphBuilder, ONNX_TYPE } from './builder.js';
import { emitLayer } from './layer.js';
import { emitNetwork } from './network.js';
import { createSession, ort, type ExecutionProvider } from './session.js';

export interface TimingOptions {
  readonly ep?: ExecutionProvider;
  readonly threads?: number;
  readonly warmup?: number;
  readonly repeats?: number;
}

export interface Timing {
  readonly medianMs: number;
  readonly minMs: number;
  readonly runs: number;
}

export type BenchDType = 'float32' | 'float16';

const BYTES: Record<BenchDType, number> = { float32: 4, float16: 2 };

/** Median and minimum wall time of `session.run` on a one-element input. */
export async function timeModel(model: Uint8Array, options: TimingOptions = {}): Promise<Timing> {
  const session = await createSession(model, { ep: options.ep ?? 'cpu', threads: options.threads ?? 0 });
  const feeds = { scale: new ort.Tensor('float32', Float32Array.from([1]), [1]) };
  for (let i = 0; i < (options.warmup ?? 3); i++) await session.run(feeds);
  const times: number[] = [];
  for (let i = 0; i < (options.repeats ?? 10); i++) {
    const start = performance.now();
    await session.run(feeds);
    times.push(performance.now() - start);
  }
  await session.release();
  times.sort((a, b) => a - b);
  return { medianMs: times[Math.floor(times.length / 2)]!, minMs: times[0]!, runs: times.length };
}

/**
 * A model: x = RandomNormal(shape) in `dtype`, then `body(x)` (or x itself), reduced to a scalar
 * times the one-element input `scale` (so the model has an input and nothing is constant-folded).
 */
function generatedModel(shape: readonly number[], dtype: BenchDType, body?: (b: GraphBuilder, x: string) => string): Uint8Array {
  const b = new GraphBuilder('bench');
  const scale = b.input('scale', 'float32', [1]);
  let x = b.node('RandomNormal', [], { shape: [...shape], dtype: ONNX_TYPE.float32, seed: { float: 1 } });
  if (dtype === 'float16') x = b.node('Cast', [x], { to: ONNX_TYPE.float16 });
  const y = body ? body(b, x) : x;
  let sum = b.node('ReduceSum', [y], { keepdims: 0 });
  if (dtype === 'float16') sum = b.node('Cast', [sum], { to: ONNX_TYPE.float32 });
  b.output(b.node('Mul', [sum, scale], {}, { output: 'out' }), 'float32', [1]);
  return b.model();
}

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
  /** Bytes a layer must move at least: read x once, write y once. */
  readonly floor_bytes: number;
  /** floor_bytes over the measured bandwidth; absent until bandwidth is measured. */
  floor_ms?: number;
}

/** Per-layer latency of one layer at one shape (chain minus generator baseline, over K). */
export async function benchLayer(layer: LayerBenchCase, options: LayerBenchOptions, baseline?: Timing): Promise<LayerBenchResult> {
  const dtype = options.dtype ?? 'float32';
  const chain = options.chain ?? 4;
  const channels = options.shape[1];
  const base = baseline ?? (await timeModel(generatedModel(options.shape, dtype), options));
  const model = generatedModel(options.shape, dtype, (b, x) => {
    let y = x;
    for (let k = 0; k < chain; k++) {
      y = layer.graph
        ? emitLayer(b, layer.graph, y, { channels, dtype, optimize: options.optimize ?? false, params: initialParams(channels) }, `l${k}/`)
        : b.node('Relu', [y]);
    }
    return y;
  });
  const timed = await timeModel(model, options);
  const elements = options.shape.reduce((a, b) => a * b, 1);
  return {
    bench: 'layer',
    layer: layer.name,
    export: layer.graph ? (options.optimize ? 'optimized' : 'naive') : 'stock',
    dtype,
    ep: options.ep ?? 'cpu',
    shape: [...options.shape],
    chain,
    per_layer_ms: Math.max(0, (timed.medianMs - base.medianMs) / chain),
    chain_ms: timed.medianMs,
    baseline_ms: base.medianMs,
    floor_bytes: 2 * elements * BYTES[dtype],
  };
}

/** Generator-only baseline time for a shape. */
export async function benchBaseline(shape: Shape4, dtype: BenchDType, options: TimingOptions): Promise<Timing> {
  return timeModel(generatedModel(shape, dtype), options);
}

/** Effective bandwidth in GB/s from a chain of ReLUs (each reads and writes every element once). */
export async function measureBandwidth(shape: Shape4, dtype: BenchDType, options: TimingOptions & { chain?: number } = {}): Promise<number> {
  const result = await benchLayer({ name: 'relu' }, { ...options, shape, dtype, chain: options.chain ?? 8 });
  return result.per_layer_ms > 0 ? result.floor_bytes / (result.per_layer_ms * 1e6) : Infinity;
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
  readonly images_per_s: number;
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
  const base = await timeModel(generatedModel(shape, dtype), options);
  const timed = await timeModel(
    generatedModel(shape, dtype, (b, x) => emitNetwork(b, spec, layer.graph, x, exportOptions)),
    options,
  );
  const latency = Math.max(0, timed.medianMs - base.medianMs);
  return {
    bench: 'network',
    network: spec.name,
    layer: layer.name,
    export: options.optimize ? 'optimized' : 'naive',
    dtype,
    ep: options.ep ?? 'cpu',
    batch: options.batch,
    latency_ms: latency,
    images_per_s: latency > 0 ? (1000 * options.batch) / latency : Infinity,
  };
}
