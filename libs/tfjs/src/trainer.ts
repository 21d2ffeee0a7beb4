/**
 * Trains a network with the candidate layer in its slots on TensorFlow.js: the same parameters,
 * initial values, loss (mean softmax cross-entropy), SGD with momentum and weight decay (none on
 * v0, v1, γ, β or biases) and moving averages as the ONNX engine, so the two agree step for
 * step. Every step runs inside tf.tidy; only parameters, momenta and state outlive it.
 */
import type { LayerGraph } from '@evonorm/graph';
import type { NetworkSpec } from '@evonorm/nets';
import { initBackend, tf, type BackendInfo } from './backend.js';
import { applyNetwork, lossAndCorrect } from './network.js';

export interface LayoutTensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly init: Float64Array;
}

/** The engine-neutral parameter layout (libs/onnx's networkLayout produces it). */
export interface TrainerLayout {
  readonly params: ReadonlyArray<LayoutTensor & { readonly decay: boolean }>;
  readonly state: readonly LayoutTensor[];
}

export interface TfjsTrainerOptions {
  readonly batch: number;
  readonly evalBatch?: number;
  readonly momentum?: number;
  readonly weightDecay?: number;
}

let instances = 0;

export class TfjsTrainer {
  private released = false;

  private constructor(
    readonly spec: NetworkSpec,
    readonly layer: LayerGraph,
    readonly layout: TrainerLayout,
    readonly backend: BackendInfo,
    private readonly options: TfjsTrainerOptions,
    private readonly params: Map<string, tf.Variable>,
    private readonly momenta: Map<string, tf.Variable>,
    private readonly state: Map<string, tf.Tensor>,
  ) {}

  static async create(spec: NetworkSpec, layer: LayerGraph, layout: TrainerLayout, options: TfjsTrainerOptions): Promise<TfjsTrainer> {
    const backend = await initBackend();
    // Variable names are global in TensorFlow.js: prefix them per trainer.
    const prefix = `evonorm${++instances}:`;
    const params = new Map<string, tf.Variable>();
    const momenta = new Map<string, tf.Variable>();
    for (const p of layout.params) {
      params.set(p.name, tf.variable(tf.tensor(Float32Array.from(p.init), [...p.shape]), true, `${prefix}${p.name}`));
      momenta.set(p.name, tf.variable(tf.zeros([...p.shape]), false, `${prefix}momentum/${p.name}`));
    }
    const state = new Map(layout.state.map((s) => [s.name, tf.tensor(Float32Array.from(s.init), [...s.shape])]));
    return new TfjsTrainer(spec, layer, layout, backend, options, params, momenta, state);
  }

  get engine(): string {
    return `tfjs/${this.backend.backend}`;
  }

  private images(images: Float32Array, batch: number): tf.Tensor4D {
    return tf.tensor4d(images, [batch, ...this.spec.input] as [number, number, number, number]);
  }

  /** Loss, correct count, gradients and updated state at `values` (training form); callers own the kept results. */
  private lossAndGradients(images: Float32Array, labels: Uint8Array, values: readonly tf.Tensor[]) {
    const batch = labels.length;
    const x = this.images(images, batch);
    const y = tf.tensor1d(Int32Array.from(labels), 'int32');
    let correct: tf.Scalar | undefined;
    let state = new Map<string, tf.Tensor>();
    const f = (...ps: tf.Tensor[]): tf.Scalar => {
      const byName = new Map(this.layout.params.map((p, i) => [p.name, ps[i]!]));
      const out = applyNetwork(this.spec, this.layer, x, (name) => byName.get(name) ?? this.state.get(name)!, 'train');
      // valueAndGrads disposes what f made but did not return: keep the side results (the
      // callers keep or dispose them).
      state = new Map([...out.state].map(([name, t]) => [name, tf.keep(t)]));
      const result = lossAndCorrect(out.logits, y, this.spec.classes);
      correct = tf.keep(result.correct);
      // A parameter the layer does not use (EvoNorm-B0 has no v0) gets a zero gradient, as in
      // the ONNX engine, instead of tfjs refusing to differentiate through it.
      return tf.add(result.loss, tf.mul(0, tf.addN(ps.map((p) => tf.sum(p))))) as tf.Scalar;
    };
    const { value, grads } = tf.valueAndGrads(f)([...values]);
    return { loss: value, grads, correct: correct!, state };
  }

  /** One SGD step on a batch of normalized images (batch × C × H × W) and labels. */
  async step(images: Float32Array, labels: Uint8Array, lr: number): Promise<{ loss: number; correct: number }> {
    const mu = this.options.momentum ?? 0.9;
    const wd = this.options.weightDecay ?? 5e-4;
    const result = tf.tidy((): number[] => {
      const { loss, grads, correct, state } = this.lossAndGradients(
        images,
        labels,
        this.layout.params.map((p) => this.params.get(p.name)!),
      );
      this.layout.params.forEach((p, i) => {
        const value = this.params.get(p.name)!;
        const m = this.momenta.get(p.name)!;
        const g = p.decay ? tf.add(grads[i]!, tf.mul(value, wd)) : grads[i]!;
        const newM = tf.add(tf.mul(m, mu), g);
        m.assign(newM);
        value.assign(tf.sub(value, tf.mul(newM, lr)));
      });
      for (const [name, t] of state) {
        this.state.get(name)?.dispose();
        this.state.set(name, tf.keep(t));
      }
      const numbers: number[] = [loss.dataSync()[0]!, correct.dataSync()[0]!];
      correct.dispose();
      return numbers;
    });
    return { loss: result[0]!, correct: result[1]! };
  }

  /**
   * Mean loss and accuracy over the first ⌊count / evalBatch⌋·evalBatch examples: inference form,
   * or with `batchStatistics` training form (each batch normalized by its own statistics; the
   * moving averages stay as they are), as the ONNX engine does.
   */
  async evaluate(images: Float32Array, labels: Uint8Array, options: { readonly batchStatistics?: boolean } = {}): Promise<{ loss: number; accuracy: number; examples: number }> {
    const form = options.batchStatistics ? 'train' : 'infer';
    const batch = this.options.evalBatch ?? 250;
    const size = this.spec.input.reduce((a, b) => a * b, 1);
    const batches = Math.floor(labels.length / batch);
    if (batches === 0) throw new RangeError(`need at least ${batch} examples to evaluate, got ${labels.length}`);
    let loss = 0;
    let correct = 0;
    for (let k = 0; k < batches; k++) {
      const [l, c] = tf.tidy(() => {
        const x = this.images(images.subarray(k * batch * size, (k + 1) * batch * size), batch);
        const y = tf.tensor1d(Int32Array.from(labels.subarray(k * batch, (k + 1) * batch)), 'int32');
        const out = applyNetwork(this.spec, this.layer, x, (name) => this.params.get(name) ?? this.state.get(name)!, form);
        const r = lossAndCorrect(out.logits, y, this.spec.classes);
        return [r.loss.dataSync()[0]!, r.correct.dataSync()[0]!] as const;
      });
      loss += l * batch;
      correct += c;
    }
    const examples = batches * batch;
    return { loss: loss / examples, accuracy: correct / examples, examples };
  }

  /** Loss and ∂loss/∂θ for every parameter on one batch (training form; nothing changes), optionally at parameters `at`. */
  async gradients(images: Float32Array, labels: Uint8Array, at?: ReadonlyMap<string, Float32Array>): Promise<{ loss: number; grads: Map<string, Float32Array> }> {
    let result: { loss: number; grads: Map<string, Float32Array> } | undefined;
    tf.tidy(() => {
      const values = this.layout.params.map((p) => (at ? tf.tensor(at.get(p.name)!, [...p.shape]) : this.params.get(p.name)!));
      const { loss, grads, correct, state } = this.lossAndGradients(images, labels, values);
      correct.dispose();
      for (const t of state.values()) t.dispose();
      result = { loss: loss.dataSync()[0]!, grads: new Map(this.layout.params.map((p, i) => [p.name, Float32Array.from(grads[i]!.dataSync() as Float32Array)])) };
    });
    return result!;
  }

  /** Current parameters by layout name (copies). */
  parameters(): Map<string, Float32Array> {
    return new Map(this.layout.params.map((p) => [p.name, Float32Array.from(this.params.get(p.name)!.dataSync() as Float32Array)]));
  }

  /**
   * The training's whole state between steps (copies), named as the onnx engine names its inputs:
   * param.<name>, momentum.<name>, state.<name>.
   */
  saveState(): Map<string, Float32Array> {
    const read = (t: tf.Tensor): Float32Array => Float32Array.from(t.dataSync() as Float32Array);
    return new Map([
      ...[...this.params].map(([name, t]) => [`param.${name}`, read(t)] as const),
      ...[...this.momenta].map(([name, t]) => [`momentum.${name}`, read(t)] as const),
      ...[...this.state].map(([name, t]) => [`state.${name}`, read(t)] as const),
    ]);
  }

  /** Replaces the state with `values`, which must hold every name of saveState() at its size. */
  loadState(values: ReadonlyMap<string, Float32Array>): void {
    const take = (key: string, t: tf.Tensor): Float32Array => {
      const value = values.get(key);
      if (value?.length !== t.size) throw new RangeError(`state ${key}: expected ${t.size} values, got ${value?.length ?? 'none'}`);
      return value;
    };
    const checked = [...[...this.params].map(([name, t]) => [t, take(`param.${name}`, t)] as const), ...[...this.momenta].map(([name, t]) => [t, take(`momentum.${name}`, t)] as const)];
    const states = [...this.state].map(([name, t]) => [name, t, take(`state.${name}`, t)] as const);
    // In a tidy: the variable keeps the data, the temporary tensor goes.
    tf.tidy(() => checked.forEach(([variable, value]) => variable.assign(tf.tensor(value, variable.shape))));
    for (const [name, old, value] of states) {
      this.state.set(name, tf.tensor(value, old.shape));
      old.dispose();
    }
  }

  /** Current value of a parameter or state tensor by its layout name. */
  value(name: string): Float32Array {
    const t = this.params.get(name) ?? this.state.get(name);
    if (!t) throw new Error(`no parameter or state named ${name}`);
    return Float32Array.from(t.dataSync() as Float32Array);
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    for (const t of [...this.params.values(), ...this.momenta.values(), ...this.state.values()]) t.dispose();
  }
}
