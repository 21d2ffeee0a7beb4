/**
 * Runs training-step and evaluation graphs with ONNX Runtime. Parameters, momentum buffers and
 * moving averages stay in memory between steps; one session per (network, layer, batch shape).
 */
import type { LayerGraph, Seed } from '@evonorm/graph';
import type { NetworkSpec } from '@evonorm/nets';
import { createSession, ort, type ExecutionProvider, type SessionOptions } from '../session.js';
import { networkLayout, type NetworkLayout } from './network-tensors.js';
import { buildEvaluation, buildGradient, buildTrainStep, momentumInput, paramInput, stateInput, updated } from './train-step.js';

export interface OnnxTrainerOptions {
  readonly batch: number;
  /** Batch size of evaluation; the evaluated count is rounded down to a multiple of it. */
  readonly evalBatch?: number;
  readonly seed: Seed;
  readonly ep?: ExecutionProvider;
  /** GPU index for the CUDA provider (default 0). */
  readonly device?: number;
  readonly threads?: number;
  readonly momentum?: number;
  readonly weightDecay?: number;
}

export interface StepResult {
  readonly loss: number;
  readonly correct: number;
}

/** Provider, GPU and threads of every session a trainer creates. */
function sessionOptions(options: OnnxTrainerOptions): SessionOptions {
  return { ep: options.ep ?? 'cpu', threads: options.threads ?? 0, ...(options.device !== undefined ? { device: options.device } : {}) };
}

function oneHot(labels: Uint8Array, classes: number): Float32Array {
  const out = new Float32Array(labels.length * classes);
  labels.forEach((l, i) => (out[i * classes + l] = 1));
  return out;
}

export class OnnxTrainer {
  private evalSession?: ort.InferenceSession;
  private gradientSession?: { batch: number; session: ort.InferenceSession };

  private constructor(
    readonly spec: NetworkSpec,
    readonly layer: LayerGraph,
    readonly layout: NetworkLayout,
    private readonly options: OnnxTrainerOptions,
    private readonly session: ort.InferenceSession,
    /** Current values by input name: params, momenta and state. */
    private readonly tensors: Map<string, ort.Tensor>,
  ) {}

  static async create(spec: NetworkSpec, layer: LayerGraph, options: OnnxTrainerOptions): Promise<OnnxTrainer> {
    const layout = networkLayout(spec, layer, options.seed);
    const model = buildTrainStep(spec, layer, layout, options);
    const session = await createSession(model, sessionOptions(options));
    const tensors = new Map<string, ort.Tensor>();
    for (const p of layout.params) {
      tensors.set(paramInput(p.name), new ort.Tensor('float32', Float32Array.from(p.init), [...p.shape]));
      tensors.set(momentumInput(p.name), new ort.Tensor('float32', new Float32Array(p.init.length), [...p.shape]));
    }
    for (const s of layout.state) tensors.set(stateInput(s.name), new ort.Tensor('float32', Float32Array.from(s.init), [...s.shape]));
    return new OnnxTrainer(spec, layer, layout, options, session, tensors);
  }

  get parameterCount(): number {
    return this.layout.params.reduce((n, p) => n + p.init.length, 0);
  }

  /** One SGD step on a batch of normalized images (batch × C × H × W) and labels. */
  async step(images: Float32Array, labels: Uint8Array, lr: number): Promise<StepResult> {
    const batch = this.options.batch;
    const feeds: Record<string, ort.Tensor> = {
      images: new ort.Tensor('float32', images, [batch, ...this.spec.input]),
      labels: new ort.Tensor('float32', oneHot(labels, this.spec.classes), [batch, this.spec.classes]),
      lr: new ort.Tensor('float32', Float32Array.from([lr]), [1]),
    };
    for (const [name, t] of this.tensors) feeds[name] = t;
    const out = await this.session.run(feeds);
    for (const name of this.tensors.keys()) this.tensors.set(name, out[updated(name)]!);
    return { loss: (out.loss!.data as Float32Array)[0]!, correct: (out.correct!.data as Float32Array)[0]! };
  }

  /** Mean loss and accuracy over the first ⌊count / evalBatch⌋·evalBatch examples (inference form). */
  async evaluate(images: Float32Array, labels: Uint8Array): Promise<{ loss: number; accuracy: number; examples: number }> {
    const batch = this.options.evalBatch ?? 250;
    if (!this.evalSession) {
      const model = buildEvaluation(this.spec, this.layer, this.layout, batch);
      this.evalSession = await createSession(model, sessionOptions(this.options));
    }
    const size = this.spec.input.reduce((a, b) => a * b, 1);
    const batches = Math.floor(labels.length / batch);
    if (batches === 0) throw new RangeError(`need at least ${batch} examples to evaluate, got ${labels.length}`);
    let loss = 0;
    let correct = 0;
    for (let k = 0; k < batches; k++) {
      const feeds: Record<string, ort.Tensor> = {
        images: new ort.Tensor('float32', images.subarray(k * batch * size, (k + 1) * batch * size), [batch, ...this.spec.input]),
        labels: new ort.Tensor('float32', oneHot(labels.subarray(k * batch, (k + 1) * batch), this.spec.classes), [batch, this.spec.classes]),
      };
      for (const [name, t] of this.tensors) if (!name.startsWith('momentum.')) feeds[name] = t;
      const out = await this.evalSession.run(feeds);
      loss += (out.loss_sum!.data as Float32Array)[0]!;
      correct += (out.correct!.data as Float32Array)[0]!;
    }
    const examples = batches * batch;
    return { loss: loss / examples, accuracy: correct / examples, examples };
  }

  /**
   * Loss and ∂loss/∂θ for every parameter on one batch (training form; parameters and moving
   * averages unchanged), optionally at parameters `at` instead of the current ones.
   */
  async gradients(images: Float32Array, labels: Uint8Array, at?: ReadonlyMap<string, Float32Array>): Promise<{ loss: number; grads: Map<string, Float32Array> }> {
    const batch = labels.length;
    if (this.gradientSession?.batch !== batch) {
      await this.gradientSession?.session.release();
      const model = buildGradient(this.spec, this.layer, this.layout, batch);
      this.gradientSession = { batch, session: await createSession(model, sessionOptions(this.options)) };
    }
    const feeds: Record<string, ort.Tensor> = {
      images: new ort.Tensor('float32', images, [batch, ...this.spec.input]),
      labels: new ort.Tensor('float32', oneHot(labels, this.spec.classes), [batch, this.spec.classes]),
    };
    for (const [name, t] of this.tensors) if (!name.startsWith('momentum.')) feeds[name] = t;
    if (at) for (const p of this.layout.params) feeds[paramInput(p.name)] = new ort.Tensor('float32', at.get(p.name)!, [...p.shape]);
    const out = await this.gradientSession.session.run(feeds);
    const grads = new Map(this.layout.params.map((p) => [p.name, out[`grad.${p.name}`]!.data as Float32Array]));
    return { loss: (out.loss!.data as Float32Array)[0]!, grads };
  }

  /** Current parameters by layout name (copies). */
  parameters(): Map<string, Float32Array> {
    return new Map(this.layout.params.map((p) => [p.name, Float32Array.from(this.tensors.get(paramInput(p.name))!.data as Float32Array)]));
  }

  /** Current value of a parameter or state tensor by its layout name. */
  value(name: string): Float32Array {
    const t = this.tensors.get(paramInput(name)) ?? this.tensors.get(stateInput(name));
    if (!t) throw new Error(`no parameter or state named ${name}`);
    return t.data as Float32Array;
  }

  async release(): Promise<void> {
    await this.session.release();
    await this.evalSession?.release();
    await this.gradientSession?.session.release();
  }
}
