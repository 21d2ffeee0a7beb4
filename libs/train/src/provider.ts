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
