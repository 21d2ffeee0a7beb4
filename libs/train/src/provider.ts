/**
 * Execution providers for services that train: the names, the start-up check that a requested
 * provider loads (ExecutionProviderError says what is missing and points at tools/setup-cuda.sh),
 * and a parser for --ep / --device values. Services reach ONNX Runtime only through libs/train.
 */
import { ExecutionProviderError, checkExecutionProvider, type ExecutionProvider } from '@evonorm/onnx';

export { ExecutionProviderError, checkExecutionProvider, type ExecutionProvider };

export const EXECUTION_PROVIDERS = ['cpu', 'cuda'] as const satisfies readonly ExecutionProvider[];

export function isExecutionProvider(text: string): text is ExecutionProvider {
  return (EXECUTION_PROVIDERS as readonly string[]).includes(text);
}

/**
 * The --ep and --device flags of every entry point that trains, declared once (shaped for
 * @evonorm/rpc's defineFlags; this library does not depend on it).
 */
export const PROVIDER_FLAGS = {
  ep: { type: 'enum', values: EXECUTION_PROVIDERS, default: 'cpu', description: "ONNX Runtime execution provider of the onnx engine's training sessions" },
  device: { type: 'int', min: 0, default: 0, description: 'GPU index with --ep cuda' },
} as const;

/**
 * Loads the provider once at start. A process asked for CUDA that cannot have it fails here with
 * `wrap(message)` (e.g. a FlagError, so the entry point prints it and exits 2), not at its first
 * training.
 */
export async function requireExecutionProvider(ep: ExecutionProvider, device: number, wrap: (message: string) => Error): Promise<void> {
  try {
    await checkExecutionProvider(ep, device);
  } catch (error) {
    if (error instanceof ExecutionProviderError) throw wrap(`--ep ${ep} --device ${device}: ${error.message}`);
    throw error;
  }
}
