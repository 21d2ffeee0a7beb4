/**
 * Training engines behind one interface: `onnx` builds training-step graphs run by ONNX Runtime;
 * `tfjs` runs the same network, parameters and update rule on TensorFlow.js. `auto` picks tfjs
 * when a native TensorFlow.js backend is installed, else onnx.
 */
import type { LayerGraph } from '@evonorm/graph';
import type { NetworkSpec } from '@evonorm/nets';
import { OnnxTrainer, networkLayout, type EvaluateOptions, type OnnxTrainerOptions } from '@evonorm/onnx';
import { TfjsTrainer, nativeTfjsAvailable } from '@evonorm/tfjs';

export type EngineName = 'onnx' | 'tfjs' | 'auto';

export interface Trainer {
  /** e.g. "onnx/cpu". */
  readonly engine: string;
  step(images: Float32Array, labels: Uint8Array, lr: number): Promise<{ loss: number; correct: number }>;
  /** Inference form, or with `batchStatistics` training form (each batch by its own statistics; moving averages unchanged). */
  evaluate(images: Float32Array, labels: Uint8Array, options?: EvaluateOptions): Promise<{ loss: number; accuracy: number; examples: number }>;
  gradients(images: Float32Array, labels: Uint8Array, at?: ReadonlyMap<string, Float32Array>): Promise<{ loss: number; grads: Map<string, Float32Array> }>;
  parameters(): Map<string, Float32Array>;
  /** Parameters, momenta and moving statistics (copies), named param.*, momentum.*, state.* by every engine. */
  saveState(): Map<string, Float32Array>;
  /** Replaces them with `values` (every name of saveState() at its size). */
  loadState(values: ReadonlyMap<string, Float32Array>): void;
  /** Graph building and session creation so far, in seconds (engines that compile graphs ahead: onnx). */
  setupSeconds?(): { build: number; session: number };
  release(): Promise<void>;
}

/** Batch sizes, seed, execution provider, threads and SGD settings: the same for every engine. */
export type TrainerOptions = OnnxTrainerOptions;

/**
 * Resolves `auto`: TensorFlow.js when a native backend (tfjs-node-gpu or tfjs-node) is installed,
 * since only then is it fast; otherwise ONNX Runtime. `tfjs` always works (pure JS at worst).
 */
export async function resolveEngine(name: EngineName): Promise<'onnx' | 'tfjs'> {
  if (name === 'onnx' || name === 'tfjs') return name;
  return (await nativeTfjsAvailable()) ? 'tfjs' : 'onnx';
}

export async function createTrainer(engine: EngineName, spec: NetworkSpec, layer: LayerGraph, options: TrainerOptions): Promise<Trainer> {
  if ((await resolveEngine(engine)) === 'tfjs') {
    return TfjsTrainer.create(spec, layer, networkLayout(spec, layer, options.seed), {
      batch: options.batch,
      ...(options.evalBatch ? { evalBatch: options.evalBatch } : {}),
      ...(options.momentum !== undefined ? { momentum: options.momentum } : {}),
      ...(options.weightDecay !== undefined ? { weightDecay: options.weightDecay } : {}),
    });
  }
  const trainer = await OnnxTrainer.create(spec, layer, options);
  const label = `onnx/${options.ep ?? 'cpu'}`;
  return {
    engine: label,
    step: (images, labels, lr) => trainer.step(images, labels, lr),
    evaluate: (images, labels, options) => trainer.evaluate(images, labels, options),
    gradients: (images, labels, at) => trainer.gradients(images, labels, at),
    parameters: () => trainer.parameters(),
    saveState: () => trainer.saveState(),
    loadState: (values) => trainer.loadState(values),
    setupSeconds: () => ({ ...trainer.setupSeconds }),
    release: () => trainer.release(),
  };
}
