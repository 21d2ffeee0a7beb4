/**
 * Training engines behind one interface. `onnx` builds training-step graphs run by ONNX Runtime;
 * `tfjs` (TensorFlow.js) is selected by `auto` when a native TensorFlow.js backend is installed.
 */
import type { LayerGraph } from '@evonorm/graph';
import type { NetworkSpec } from '@evonorm/nets';
import { OnnxTrainer, type OnnxTrainerOptions } from '@evonorm/onnx';

export type EngineName = 'onnx' | 'tfjs' | 'auto';

export interface Trainer {
  /** e.g. "onnx/cpu". */
  readonly engine: string;
  step(images: Float32Array, labels: Uint8Array, lr: number): Promise<{ loss: number; correct: number }>;
  evaluate(images: Float32Array, labels: Uint8Array): Promise<{ loss: number; accuracy: number; examples: number }>;
  gradients(images: Float32Array, labels: Uint8Array, at?: ReadonlyMap<string, Float32Array>): Promise<{ loss: number; grads: Map<string, Float32Array> }>;
  parameters(): Map<string, Float32Array>;
  release(): Promise<void>;
}

/** Batch sizes, seed, execution provider, threads and SGD settings: the same for every engine. */
export type TrainerOptions = OnnxTrainerOptions;

export class EngineUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EngineUnavailableError';
  }
}

/** Resolves `auto`: TensorFlow.js needs a native backend to be worth using; none is wired in yet. */
export function resolveEngine(name: EngineName): 'onnx' | 'tfjs' {
  if (name === 'tfjs') {
    throw new EngineUnavailableError('the tfjs engine is not available in this build; use --engine onnx (or auto)');
  }
  return 'onnx';
}

export async function createTrainer(engine: EngineName, spec: NetworkSpec, layer: LayerGraph, options: TrainerOptions): Promise<Trainer> {
  resolveEngine(engine);
  const trainer = await OnnxTrainer.create(spec, layer, options);
  const label = `onnx/${options.ep ?? 'cpu'}`;
  return {
    engine: label,
    step: (images, labels, lr) => trainer.step(images, labels, lr),
    evaluate: (images, labels) => trainer.evaluate(images, labels),
    gradients: (images, labels, at) => trainer.gradients(images, labels, at),
    parameters: () => trainer.parameters(),
    release: () => trainer.release(),
  };
}
