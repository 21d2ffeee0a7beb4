/**
 * Where the embedded default's training replicas run. On the CPU: --replicas replicas with
 * --threads-per-replica threads each (the rejection service, whose screening and stability test run
 * on the CPU, gets as many). With --ep cuda: --replicas-per-gpu replicas on every visible GPU (or on
 * --device alone), each told its --device; they share half the cores for what ONNX Runtime keeps on
 * the CPU, and the rejection service keeps the other cores.
 */
import { execFileSync } from 'node:child_process';
import type { ExecutionProvider } from '@evonorm/train';

export interface ReplicaPlacement {
  readonly ep: ExecutionProvider;
  /** Device of each training replica (CUDA), or undefined on the CPU. */
  readonly devices?: readonly number[];
  readonly replicas: number;
  readonly threadsPerReplica: number;
  /** Threads of the rejection service's stability test. */
  readonly rejectionThreads: number;
}

export interface PlacementOptions {
  readonly ep: ExecutionProvider;
  readonly cores: number;
  /** CPU: replicas and their threads (--replicas, --threads-per-replica). */
  readonly replicas: number;
  readonly threadsPerReplica: number;
  /** CUDA: visible GPUs, replicas on each, and an optional single --device. */
  readonly gpus?: number;
  readonly replicasPerGpu?: number;
  readonly device?: number;
}

export class PlacementError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PlacementError';
  }
}

export function placeReplicas(options: PlacementOptions): ReplicaPlacement {
  if (options.ep === 'cpu') {
    return { ep: 'cpu', replicas: options.replicas, threadsPerReplica: options.threadsPerReplica, rejectionThreads: options.threadsPerReplica };
  }
  const gpus = options.gpus ?? 0;
  if (gpus < 1) throw new PlacementError('--ep cuda: no GPU is visible (nvidia-smi -L lists none, or CUDA_VISIBLE_DEVICES is empty)');
  if (options.device !== undefined && options.device >= gpus) throw new PlacementError(`--device ${options.device}: only ${gpus} GPU(s) are visible (0..${gpus - 1})`);
  const perGpu = options.replicasPerGpu ?? 2;
  const gpuList = options.device !== undefined ? [options.device] : Array.from({ length: gpus }, (_, g) => g);
  const devices = gpuList.flatMap((g) => Array.from({ length: perGpu }, () => g));
  const trainingCores = Math.max(1, Math.floor(options.cores / 2));
  const threadsPerReplica = Math.max(1, Math.floor(trainingCores / devices.length));
  const rejectionThreads = Math.max(1, options.cores - threadsPerReplica * devices.length);
  return { ep: 'cuda', devices, replicas: devices.length, threadsPerReplica, rejectionThreads };
}

/**
 * GPUs this process can use: CUDA_VISIBLE_DEVICES when set (a comma list; empty or -1 hides every
 * GPU), else the lines of `nvidia-smi -L`, else 0.
 */
export function visibleGpus(
  env: NodeJS.ProcessEnv = process.env,
  listGpus: () => string = () => execFileSync('nvidia-smi', ['-L'], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'ignore'] }),
): number {
  const visible = env.CUDA_VISIBLE_DEVICES;
  if (visible !== undefined) {
    const ids = visible
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    const hidden = ids.findIndex((id) => id === '-1' || id === 'NoDevFiles');
    return hidden === -1 ? ids.length : hidden;
  }
  try {
    return listGpus()
      .split('\n')
      .filter((line) => /^GPU \d+/.test(line)).length;
  } catch {
    return 0;
  }
}
