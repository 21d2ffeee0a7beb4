/**
 * ONNX Runtime sessions: execution-provider selection with a clear error when CUDA is asked for
 * and cannot be had, and small helpers to run float tensors.
 */
import ort from 'onnxruntime-node';

export type ExecutionProvider = 'cpu' | 'cuda';

export interface SessionOptions {
  readonly ep?: ExecutionProvider;
  /** Intra-op threads for the CPU provider; 0 lets ORT decide. */
  readonly threads?: number;
  readonly graphOptimization?: 'disabled' | 'basic' | 'extended' | 'all';
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
    executionProviders: [ep],
    graphOptimizationLevel: options.graphOptimization ?? 'all',
    // Errors only: ORT warns, e.g., for every fp16 node it cannot constant-fold on the CPU.
    logSeverityLevel: 3,
  };
  if (options.threads) sessionOptions.intraOpNumThreads = options.threads;
  try {
    return await ort.InferenceSession.create(model, sessionOptions);
  } catch (error) {
    if (ep === 'cuda') throw new ExecutionProviderError(cudaHelp(error));
    throw error;
  }
}

/** What is missing when the CUDA provider does not load, and how to get it. */
export function cudaHelp(error: unknown): string {
  const detail = error instanceof Error ? error.message : String(error);
  return [
    `ONNX Runtime's CUDA execution provider could not be used: ${detail}`,
    'It needs, next to onnxruntime_binding.node in node_modules/onnxruntime-node/bin/napi-v6/linux/x64:',
    '  libonnxruntime_providers_cuda.so and libonnxruntime_providers_shared.so built for ORT 1.29.0,',
    'and the CUDA 13 runtime, cuBLAS and cuDNN 9 libraries on LD_LIBRARY_PATH.',
    'Run tools/setup-cuda.sh once on the GPU machine to install them (see README, "CUDA").',
  ].join('\n');
}

export type FloatArray = Float32Array | Float64Array;

/** Runs a session on one float input and returns the named float output. */
export async function runFloat(
  session: ort.InferenceSession,
  input: { name: string; data: FloatArray; dims: readonly number[] },
  output: string,
): Promise<FloatArray> {
  const type = input.data instanceof Float64Array ? 'float64' : 'float32';
  const feeds = { [input.name]: new ort.Tensor(type, input.data, input.dims) };
  const result = await session.run(feeds);
  const tensor = result[output];
  if (!tensor) throw new Error(`session has no output ${output}`);
  return tensor.data as FloatArray;
}

export { ort };
