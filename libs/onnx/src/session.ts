/**
 * ONNX Runtime sessions: execution-provider selection with a clear error when CUDA is asked for
 * and cannot be had, and small helpers to run float tensors.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import ort from 'onnxruntime-node';
import { GraphBuilder } from './builder.js';

export type ExecutionProvider = 'cpu' | 'cuda';

export interface SessionOptions {
  readonly ep?: ExecutionProvider;
  /** GPU index for the CUDA provider (default 0); ignored on the CPU. */
  readonly device?: number;
  /** Intra-op threads for the CPU provider; 0 (default) means every available core. */
  readonly threads?: number;
  readonly graphOptimization?: 'disabled' | 'basic' | 'extended' | 'all';
  /**
   * Whether idle intra-op threads spin (ORT's default, true). Spinning saves wake-ups on a quiet
   * machine, but under other load a spinning thread waits on a descheduled sibling and a timing
   * varies 2-4x; benchmarks turn it off.
   */
  readonly spinning?: boolean;
  /** Turns ORT's profiler on, writing `<prefix>_<time>.json` (see profile.ts); `session.endProfiling()` ends it. */
  readonly profilePrefix?: string;
}

export class ExecutionProviderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExecutionProviderError';
  }
}

export async function createSession(model: Uint8Array, options: SessionOptions = {}): Promise<ort.InferenceSession> {
  const ep = options.ep ?? 'cpu';
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    executionProviders: ep === 'cuda' ? [{ name: 'cuda', deviceId: options.device ?? 0 }] : ['cpu'],
    graphOptimizationLevel: options.graphOptimization ?? 'all',
    // Errors only: ORT warns, e.g., for every fp16 node it cannot constant-fold on the CPU.
    logSeverityLevel: 3,
  };
  // ORT's own default picked one thread on the 2-core machines here (2.5x slower training steps).
  sessionOptions.intraOpNumThreads = options.threads || availableParallelism();
  if (options.profilePrefix) {
    sessionOptions.enableProfiling = true;
    sessionOptions.profileFilePrefix = options.profilePrefix;
  }
  if (options.spinning === false) sessionOptions.extra = { session: { intra_op: { allow_spinning: '0' } } };
  try {
    return await ort.InferenceSession.create(model, sessionOptions);
  } catch (error) {
    if (ep === 'cuda') throw new ExecutionProviderError(cudaHelp(error));
    throw error;
  }
}

/**
 * Loads the execution provider once with a one-node model, so a process asked for CUDA fails at
 * start with ExecutionProviderError (what is missing, tools/setup-cuda.sh) rather than at its
 * first training. Resolves for the CPU, which always loads.
 */
export async function checkExecutionProvider(ep: ExecutionProvider, device = 0): Promise<void> {
  if (ep === 'cpu') return;
  const b = new GraphBuilder('probe');
  b.output(b.node('Relu', [b.input('x', 'float32', [1])], {}, { output: 'y' }), 'float32', [1]);
  const session = await createSession(b.model(), { ep, device, threads: 1 });
  await session.release();
}

const PROVIDER_LIBRARIES = ['libonnxruntime_providers_shared.so', 'libonnxruntime_providers_cuda.so'];

/** Folder of onnxruntime_binding.node, where ORT looks for provider libraries. */
export function ortBinaryDir(): string {
  const require = createRequire(import.meta.url);
  const pkg = dirname(require.resolve('onnxruntime-node/package.json'));
  return join(pkg, 'bin', 'napi-v6', process.platform, process.arch);
}

/** What is missing when the CUDA provider does not load, and how to get it. */
export function cudaHelp(error: unknown): string {
  const detail = error instanceof Error ? error.message.split('\n')[0] : String(error);
  const dir = ortBinaryDir();
  const missing = PROVIDER_LIBRARIES.filter((lib) => !existsSync(join(dir, lib)));
  const lines = [`ONNX Runtime's CUDA execution provider could not be used: ${detail}`];
  if (missing.length > 0) {
    lines.push(`missing next to onnxruntime_binding.node in ${dir}: ${missing.join(', ')} (CUDA 13 build for ORT 1.29.0)`);
  } else {
    lines.push(`the provider libraries are in ${dir}; the CUDA 13 runtime, cuBLAS or cuDNN 9 libraries they need are probably not on LD_LIBRARY_PATH (eval "$(bash tools/setup-cuda.sh --env)")`);
  }
  lines.push('Run tools/setup-cuda.sh once on the GPU machine to install them (see docs/training.md#cuda).');
  return lines.join('\n');
}

export type FloatArray = Float32Array | Float64Array;

/** Runs a session on one float input and returns the named float output. */
export async function runFloat(session: ort.InferenceSession, input: { name: string; data: FloatArray; dims: readonly number[] }, output: string): Promise<FloatArray> {
  const type = input.data instanceof Float64Array ? 'float64' : 'float32';
  const feeds = { [input.name]: new ort.Tensor(type, input.data, input.dims) };
  const result = await session.run(feeds);
  const tensor = result[output];
  if (!tensor) throw new Error(`session has no output ${output}`);
  return tensor.data as FloatArray;
}

export { ort };
