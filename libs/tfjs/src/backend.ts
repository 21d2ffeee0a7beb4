/**
 * TensorFlow.js backend selection: @tensorflow/tfjs-node-gpu, then @tensorflow/tfjs-node (both
 * optional; they download libtensorflow at install and cannot install everywhere), else the
 * pure-JS CPU backend, which is correct but slow. Reports which one is in use.
 */
import * as tf from '@tensorflow/tfjs-core';

export interface BackendInfo {
  /** e.g. "tensorflow" (a native package), "cpu" (pure JS). */
  readonly backend: string;
  /** The package that provided it. */
  readonly package: string;
  /** True for a native libtensorflow backend. */
  readonly native: boolean;
}

let selected: BackendInfo | undefined;

async function tryImport(name: string): Promise<boolean> {
  try {
    await import(name);
    return true;
  } catch {
    return false;
  }
}

export async function initBackend(): Promise<BackendInfo> {
  if (selected) return selected;
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    if ((await tryImport(pkg)) && (await tf.setBackend('tensorflow'))) {
      selected = { backend: 'tensorflow', package: pkg, native: true };
      return selected;
    }
  }
  await import('@tensorflow/tfjs-backend-cpu');
  await tf.setBackend('cpu');
  await tf.ready();
  selected = { backend: 'cpu', package: '@tensorflow/tfjs-backend-cpu', native: false };
  return selected;
}

export { tf };
