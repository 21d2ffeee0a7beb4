/**
 * TensorFlow.js backend selection: @tensorflow/tfjs-node-gpu, then @tensorflow/tfjs-node (both
 * optional; they download libtensorflow at install and cannot install everywhere), else the
 * pure-JS CPU backend, which is correct but slow. Reports which one is in use.
 */
// The union package: its Node bundle carries tfjs-core with every gradient registered, the pure-JS
// CPU backend, and it is what tfjs-node(-gpu) plug their native backend into.
import * as tf from '@tensorflow/tfjs';

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

/** Whether a native TensorFlow.js package (tfjs-node-gpu or tfjs-node) can be loaded here. */
export async function nativeTfjsAvailable(): Promise<boolean> {
  return (await initBackend()).native;
}

export async function initBackend(): Promise<BackendInfo> {
  if (selected) return selected;
  // Production mode only silences TensorFlow.js's console messages (e.g. the pure-JS backend's
  // banner on first use), which would break the services' JSON-lines logs; the backend in use is
  // reported in every result instead.
  tf.enableProdMode();
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    if ((await tryImport(pkg)) && (await tf.setBackend('tensorflow'))) {
      selected = { backend: 'tensorflow', package: pkg, native: true };
      return selected;
    }
  }
  await tf.setBackend('cpu');
  await tf.ready();
  selected = { backend: 'cpu', package: '@tensorflow/tfjs (pure JavaScript)', native: false };
  return selected;
}

export { tf };
