/**
 * Runs training-step and evaluation graphs with ONNX Runtime. Parameters, momentum buffers and
 * moving averages stay in memory between steps; one session per (network, layer, batch shape).
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LayerGraph, Seed } from '@evonorm/graph';
import type { NetworkSpec } from '@evonorm/nets';
import { summarizeProfile, type ProfileSummary } from '../profile.js';
import { ort, type ExecutionProvider, type SessionOptions } from '../session.js';
import { networkLayout, type NetworkLayout } from './network-tensors.js';
import { SessionCache, sharedSessionCache } from './session-cache.js';
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
  /**
   * Where idle sessions wait for the next trainer of the same network, layer and batch (default the
   * process's shared cache; `new SessionCache(0)` keeps none).
   */
  readonly sessions?: SessionCache;
  /** ONNX Runtime's graph optimization level (default "extended", see sessionOptions). */
  readonly graphOptimization?: SessionOptions['graphOptimization'];
  /** Profile the training-step session with ORT's profiler (never cached); see endProfiling. */
  readonly profile?: boolean;
}

/** Seconds a trainer spent before its first step: building graphs and creating sessions (0 when reused). */
export interface SetupSeconds {
  build: number;
  session: number;
}

export interface EvaluateOptions {
  /** Normalize each evaluation batch by its own statistics (training form) instead of the moving averages. */
  readonly batchStatistics?: boolean;
}

export interface StepResult {
  readonly loss: number;
  readonly correct: number;
}

/**
 * Provider, GPU, threads and optimization level of every session a trainer creates. Training
 * graphs default to "extended": "all" adds ORT's blocked-layout (NCHWc) convolutions, and in a
 * training graph, where a convolution's output feeds reductions and reshapes, the layout
 * conversions around them cost more than they save (a step 10-13% slower on both proxies at the
 * main job's sizes, one thread, interleaved runs).
 */
function sessionOptions(options: OnnxTrainerOptions): SessionOptions {
  return {
    ep: options.ep ?? 'cpu',
    threads: options.threads ?? 0,
    graphOptimization: options.graphOptimization ?? 'extended',
    ...(options.device !== undefined ? { device: options.device } : {}),
  };
}

function oneHot(labels: Uint8Array, classes: number): Float32Array {
  const out = new Float32Array(labels.length * classes);
  labels.forEach((l, i) => (out[i * classes + l] = 1));
  return out;
}

/** What a session's graph depends on: the kind of graph, the network, the layer, the batch and the optimizer's constants. */
function graphKey(kind: string, spec: NetworkSpec, layer: LayerGraph, batch: number, options: OnnxTrainerOptions = { batch, seed: 0 }): string {
  return JSON.stringify([kind, spec, layer, batch, options.momentum ?? null, options.weightDecay ?? null]);
}

export class OnnxTrainer {
  /** The evaluation's sessions, by form (moving averages, batch statistics). */
  private readonly evalSessions = new Map<boolean, { key: string; session: ort.InferenceSession }>();
  private gradientSession?: { key: string; batch: number; session: ort.InferenceSession };
  /** Graph building and session creation so far (the evaluation's and gradient's sessions included). */
  readonly setupSeconds: SetupSeconds;

  private constructor(
    readonly spec: NetworkSpec,
    readonly layer: LayerGraph,
    readonly layout: NetworkLayout,
    private readonly options: OnnxTrainerOptions,
    private readonly session: ort.InferenceSession,
    private readonly sessionKey: string,
    /** Current values by input name: params, momenta and state. */
    private readonly tensors: Map<string, ort.Tensor>,
    setup: SetupSeconds,
    private readonly profileDir?: string,
  ) {
    this.setupSeconds = setup;
  }

  private get cache(): SessionCache {
    return this.options.sessions ?? sharedSessionCache();
  }

  static async create(spec: NetworkSpec, layer: LayerGraph, options: OnnxTrainerOptions): Promise<OnnxTrainer> {
    const layout = networkLayout(spec, layer, options.seed);
    const key = graphKey('train', spec, layer, options.batch, options);
    const build = (): Uint8Array => buildTrainStep(spec, layer, layout, options);
    // A profiled session is the trainer's own: built here (a cache that keeps nothing) and never lent on.
    const profileDir = options.profile ? mkdtempSync(join(tmpdir(), 'evonorm-profile-')) : undefined;
    const cache = profileDir ? new SessionCache(0) : (options.sessions ?? sharedSessionCache());
    const lent = await cache.acquire(key, build, profileDir ? { ...sessionOptions(options), profilePrefix: join(profileDir, 'train_step') } : sessionOptions(options));
    const session = lent.session;
    const setup: SetupSeconds = { build: lent.buildSeconds, session: lent.sessionSeconds };
    const tensors = new Map<string, ort.Tensor>();
    for (const p of layout.params) {
      tensors.set(paramInput(p.name), new ort.Tensor('float32', Float32Array.from(p.init), [...p.shape]));
      tensors.set(momentumInput(p.name), new ort.Tensor('float32', new Float32Array(p.init.length), [...p.shape]));
    }
    for (const s of layout.state) tensors.set(stateInput(s.name), new ort.Tensor('float32', Float32Array.from(s.init), [...s.shape]));
    return new OnnxTrainer(spec, layer, layout, options, session, key, tensors, setup, profileDir);
  }

  /**
   * Ends the profile of a trainer made with `profile: true` and sums its kernel times by scope and
   * op, leaving out the first `warmup` steps (profile.ts).
   */
  endProfiling(warmup = 0): ProfileSummary {
    if (!this.profileDir) throw new Error('this trainer was not made with profile: true');
    this.session.endProfiling();
    const file = readdirSync(this.profileDir).find((f) => f.endsWith('.json'));
    if (!file) throw new Error(`ONNX Runtime wrote no profile in ${this.profileDir}`);
    return summarizeProfile(join(this.profileDir, file), warmup);
  }

  /** A session from the cache, its setup seconds added to this trainer's. */
  private async lend(key: string, build: () => Uint8Array): Promise<ort.InferenceSession> {
    const lent = await this.cache.acquire(key, build, sessionOptions(this.options));
    this.setupSeconds.build += lent.buildSeconds;
    this.setupSeconds.session += lent.sessionSeconds;
    return lent.session;
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

  /**
   * Mean loss and accuracy over the first ⌊count / evalBatch⌋·evalBatch examples: inference form,
   * or with `batchStatistics` training form (each batch of evalBatch normalized by its own
   * statistics; the moving averages stay as they are).
   */
  async evaluate(images: Float32Array, labels: Uint8Array, options: EvaluateOptions = {}): Promise<{ loss: number; accuracy: number; examples: number }> {
    const batch = this.options.evalBatch ?? 250;
    const batchStatistics = options.batchStatistics ?? false;
    let evalSession = this.evalSessions.get(batchStatistics);
    if (!evalSession) {
      const key = graphKey(batchStatistics ? 'evaluation-batch-statistics' : 'evaluation', this.spec, this.layer, batch);
      evalSession = { key, session: await this.lend(key, () => buildEvaluation(this.spec, this.layer, this.layout, batch, batchStatistics)) };
      this.evalSessions.set(batchStatistics, evalSession);
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
      const out = await evalSession.session.run(feeds);
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
      if (this.gradientSession) await this.cache.giveBack(this.gradientSession.key, sessionOptions(this.options), this.gradientSession.session);
      const key = graphKey('gradient', this.spec, this.layer, batch);
      this.gradientSession = { key, batch, session: await this.lend(key, () => buildGradient(this.spec, this.layer, this.layout, batch)) };
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

  /**
   * The training's whole state between steps (copies): parameters, momenta and moving statistics
   * by their input names (param.*, momentum.*, state.*), the names the tfjs engine uses too.
   */
  saveState(): Map<string, Float32Array> {
    return new Map([...this.tensors].map(([name, t]) => [name, Float32Array.from(t.data as Float32Array)]));
  }

  /** Replaces the state with `values`, which must hold every name of saveState() at its size. */
  loadState(values: ReadonlyMap<string, Float32Array>): void {
    for (const [name, t] of this.tensors) {
      const value = values.get(name);
      if (value?.length !== t.size) throw new RangeError(`state ${name}: expected ${t.size} values, got ${value?.length ?? 'none'}`);
    }
    for (const [name, t] of this.tensors) this.tensors.set(name, new ort.Tensor('float32', Float32Array.from(values.get(name)!), t.dims));
  }

  /** Current value of a parameter or state tensor by its layout name. */
  value(name: string): Float32Array {
    const t = this.tensors.get(paramInput(name)) ?? this.tensors.get(stateInput(name));
    if (!t) throw new Error(`no parameter or state named ${name}`);
    return t.data as Float32Array;
  }

  /** Hands the sessions back to the cache for the next trainer (a profiled session is released). */
  async release(): Promise<void> {
    const options = sessionOptions(this.options);
    if (this.profileDir) {
      await this.session.release();
      rmSync(this.profileDir, { recursive: true, force: true });
    } else await this.cache.giveBack(this.sessionKey, options, this.session);
    for (const evalSession of this.evalSessions.values()) await this.cache.giveBack(evalSession.key, options, evalSession.session);
    if (this.gradientSession) await this.cache.giveBack(this.gradientSession.key, options, this.gradientSession.session);
  }
}
