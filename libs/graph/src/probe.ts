/**
 * The functional probe: runs a layer on fixed random probe tensors in float64, rejects NaN/Inf or
 * constant outputs, and hashes the rounded outputs so that layers computing the same function
 * (whatever their structure) share a functional hash, as in AutoML-Zero's functional-equivalence
 * cache. v0 and v1 get random per-channel values so the hash sees the layer as a parameterized
 * family, not just its value at initialization.
 */
import { Hash64 } from './hash.js';
import { LayerInterpreter, type LayerState } from './interpreter.js';
import { isBatchAggregate, type LayerGraph } from './ops.js';
import { Rng } from './rng.js';
import { shapeSize, type Shape4 } from './tensor.js';

export type ProbeRejection = 'non_finite' | 'constant';

export type ProbeResult = { readonly ok: true; readonly hash: string } | { readonly ok: false; readonly reason: ProbeRejection; readonly detail: string };

export interface ProbeOptions {
  readonly seed?: number;
  /** NCHW probe shape; C = 64 gives 32 groups of 2 channels so group, instance and layer sets differ. */
  readonly shape?: Shape4;
  /** Outputs whose spread is below this fraction of their scale count as constant. */
  readonly constantTolerance?: number;
  /** Mantissa bits kept when rounding outputs for the hash. */
  readonly hashBits?: number;
}

export const DEFAULT_PROBE_SEED = 20200406;
export const DEFAULT_PROBE_SHAPE: Shape4 = [2, 64, 2, 2];

export class FunctionalProbe {
  private readonly interpreter: LayerInterpreter;
  private readonly x: Float64Array;
  private readonly params: { v0: Float64Array; v1: Float64Array };
  private readonly tolerance: number;
  private readonly bits: number;
  private readonly rounded: Int32Array;

  constructor(options: ProbeOptions = {}) {
    const shape = options.shape ?? DEFAULT_PROBE_SHAPE;
    const rng = Rng.fromSeed(options.seed ?? DEFAULT_PROBE_SEED);
    this.interpreter = new LayerInterpreter(shape);
    this.tolerance = options.constantTolerance ?? 1e-9;
    this.bits = options.hashBits ?? 20;
    const [n, c, h, w] = shape;
    const hw = h * w;
    // Per-channel scale and shift keep channel statistics away from the symmetric 0/1 case.
    const scale = Array.from({ length: c }, () => 0.5 + 1.5 * rng.float());
    const shift = Array.from({ length: c }, () => rng.float() * 2 - 1);
    this.x = new Float64Array(shapeSize(shape));
    this.rounded = new Int32Array(this.x.length);
    for (let b = 0; b < n; b++) {
      for (let ch = 0; ch < c; ch++) {
        for (let i = 0; i < hw; i++) this.x[(b * c + ch) * hw + i] = shift[ch]! + scale[ch]! * rng.normal();
      }
    }
    this.params = {
      v0: Float64Array.from({ length: c }, () => rng.normal() * 0.5),
      v1: Float64Array.from({ length: c }, () => 1 + rng.normal() * 0.5),
    };
  }

  /** Probes a valid graph (pass the canonical form to skip dead nodes). */
  probe(graph: LayerGraph): ProbeResult {
    const train = this.interpreter.run(graph, this.x, 'train', this.params);
    const out = train.values[train.values.length - 1]!;
    let min = Infinity;
    let max = -Infinity;
    let nan = false;
    for (let i = 0; i < out.length; i++) {
      const v = out[i]!;
      if (v < min) min = v;
      if (v > max) max = v;
      if (v !== v) nan = true;
    }
    if (nan || !Number.isFinite(min) || !Number.isFinite(max)) {
      return this.nonFinite(out, 'training');
    }
    const maxAbs = Math.max(-min, max);
    if (max - min <= this.tolerance * Math.max(1, maxAbs)) {
      return { ok: false, reason: 'constant', detail: `output is constant (${min}) on the probe input` };
    }
    const hash = this.hashOutput(out, maxAbs);
    if (graph.nodes.some(isBatchAggregate)) {
      // Inference reads moving averages; it must be finite too.
      const infer = this.interpreter.run(graph, this.x, 'infer', this.params, train.state as LayerState);
      const result = infer.values[infer.values.length - 1]!;
      if (!result.every(Number.isFinite)) return this.nonFinite(result, 'inference');
    }
    return { ok: true, hash };
  }

  private nonFinite(out: Float64Array, mode: string): ProbeResult {
    const i = out.findIndex((v) => !Number.isFinite(v));
    return { ok: false, reason: 'non_finite', detail: `output has ${out[i]} at element ${i} in ${mode} mode` };
  }

  /** Rounds every output to `bits` bits relative to the largest magnitude, then hashes. */
  private hashOutput(out: Float64Array, maxAbs: number): string {
    const exponent = Math.floor(Math.log2(maxAbs));
    const quantum = Math.pow(2, exponent - this.bits);
    const inverse = 1 / quantum; // a power of two: exact
    const rounded = this.rounded;
    for (let i = 0; i < out.length; i++) rounded[i] = Math.round(out[i]! * inverse);
    return new Hash64(0x3000)
      .word(exponent + 2048)
      .int32s(rounded)
      .hex();
  }
}
