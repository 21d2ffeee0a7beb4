/**
 * Timing primitives of the inference benchmarks: a cheap in-graph input generator and interleaved,
 * robust timing of several models. Node's binding copies inputs and outputs through host memory, so
 * the timed models take a one-element input, make their full-size tensor in the graph and reduce the
 * result to a scalar. The generator is one broadcasting Mul of small seeded initializers (a [1,1,H,W]
 * pattern times a per-(sample, channel) scale times the input), i.e. one write of the tensor, so it
 * costs far less than a layer and nothing in it can be constant-folded.
 */
import { Rng } from '@evonorm/graph';
import { GraphBuilder, ONNX_TYPE } from './builder.js';
import { createSession, ort, type ExecutionProvider } from './session.js';

export type BenchDType = 'float32' | 'float16';

export const BENCH_BYTES: Readonly<Record<BenchDType, number>> = { float32: 4, float16: 2 };

export interface TimingOptions {
  readonly ep?: ExecutionProvider;
  /** GPU index for the CUDA provider. */
  readonly device?: number;
  readonly threads?: number;
  /** Untimed runs of each model before timing (default 5). */
  readonly warmup?: number;
  /** Timed runs of each model, at least (default 30). */
  readonly repeats?: number;
  /**
   * Let idle CPU threads spin (default false: a spinning thread waiting on a descheduled sibling
   * made three back-to-back runs differ 2-4x on a loaded machine; without it they agree within a
   * few percent). The Conv reference of train:bench spins, like the training sessions it stands for.
   */
  readonly spinning?: boolean;
  /** Keep timing rounds until this many seconds have passed in total, up to 20× repeats (default 1). */
  readonly minSeconds?: number;
}

export interface Timing {
  /**
   * The statistic every figure uses: the 10th percentile of the timed runs. Other processes only
   * ever add time, so a low quantile is what repeats across runs; it still ignores a lucky outlier.
   */
  readonly ms: number;
  readonly medianMs: number;
  readonly minMs: number;
  /**
   * Median CPU time of this process per run (every thread, user + system). Other load delays a run
   * but barely changes the work it does, so on the CPU provider this repeats where wall time cannot.
   */
  readonly cpuMs: number;
  readonly runs: number;
}

/** q-quantile (0..1) of sorted values, by linear interpolation. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) throw new RangeError('quantile of no values');
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

function summarize(times: number[], cpuTimes: number[]): Timing {
  const sorted = [...times].sort((a, b) => a - b);
  const cpu = [...cpuTimes].sort((a, b) => a - b);
  return { ms: quantile(sorted, 0.1), medianMs: quantile(sorted, 0.5), minMs: sorted[0]!, cpuMs: quantile(cpu, 0.5), runs: sorted.length };
}

const cpuNow = (): number => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
};

/**
 * Times models that take the one-element input `scale`, interleaved round by round (baseline and
 * chain see the same machine state, so drift and other load hit both), and summarizes each.
 */
export async function timeModels(models: readonly Uint8Array[], options: TimingOptions = {}): Promise<Timing[]> {
  const sessions: ort.InferenceSession[] = [];
  try {
    for (const model of models) {
      sessions.push(
        await createSession(model, {
          ep: options.ep ?? 'cpu',
          threads: options.threads ?? 0,
          spinning: options.spinning ?? false,
          ...(options.device !== undefined ? { device: options.device } : {}),
        }),
      );
    }
    const feeds = { scale: new ort.Tensor('float32', Float32Array.from([1]), [1]) };
    for (const session of sessions) for (let i = 0; i < (options.warmup ?? 5); i++) await session.run(feeds);
    const repeats = options.repeats ?? 30;
    const minMs = 1000 * (options.minSeconds ?? 1);
    const times = sessions.map((): number[] => []);
    const cpuTimes = sessions.map((): number[] => []);
    const started = performance.now();
    for (let round = 0; round < 20 * repeats && (round < repeats || performance.now() - started < minMs); round++) {
      for (let k = 0; k < sessions.length; k++) {
        const cpuStart = cpuNow();
        const start = performance.now();
        await sessions[k]!.run(feeds);
        times[k]!.push(performance.now() - start);
        cpuTimes[k]!.push(cpuNow() - cpuStart);
      }
    }
    return times.map((t, k) => summarize(t, cpuTimes[k]!));
  } finally {
    for (const session of sessions) await session.release();
  }
}

/** Times one model (see timeModels). */
export async function timeModel(model: Uint8Array, options: TimingOptions = {}): Promise<Timing> {
  return (await timeModels([model], options))[0]!;
}

/**
 * A model: x of `shape` in `dtype` from the cheap generator, then `body(x)` (or x itself), reduced
 * to a scalar output `out`. The generator's values are p[h,w]·c[c]·s[n]·scale with p ~ N(0,1) and
 * c, s in [0.5, 1.5], all seeded, so every statistic a layer takes (batch, channel, group, spatial)
 * is non-degenerate.
 */
export function generatedModel(shape: readonly number[], dtype: BenchDType, body?: (b: GraphBuilder, x: string) => string): Uint8Array {
  if (shape.length < 2) throw new RangeError(`bench shapes are [N, C, ...], got [${shape.join(', ')}]`);
  const rng = Rng.fromSeed(1);
  const [n, c, ...spatial] = shape as [number, number, ...number[]];
  const spatialSize = spatial.reduce((a, d) => a * d, 1);
  const b = new GraphBuilder('bench');
  const scale = b.input('scale', 'float32', [1]);
  const pattern = b.initializer(
    'pattern',
    Array.from({ length: spatialSize }, () => rng.normal()),
    [1, 1, ...spatial],
    dtype,
  );
  const perSample = b.initializer(
    'per_sample',
    Array.from({ length: n }, () => 0.5 + rng.float()),
    [n, 1, ...spatial.map(() => 1)],
    'float32',
  );
  const perChannel = b.initializer(
    'per_channel',
    Array.from({ length: c }, () => 0.5 + rng.float()),
    [1, c, ...spatial.map(() => 1)],
    'float32',
  );
  let factor = b.node('Mul', [b.node('Mul', [perSample, perChannel]), scale]);
  if (dtype === 'float16') factor = b.node('Cast', [factor], { to: ONNX_TYPE.float16 });
  const x = b.node('Mul', [pattern, factor]);
  const y = body ? body(b, x) : x;
  let sum = b.node('ReduceSum', [y], { keepdims: 0 });
  if (dtype === 'float16') sum = b.node('Cast', [sum], { to: ONNX_TYPE.float32 });
  b.output(b.node('Identity', [sum], {}, { output: 'out' }), 'float32', []);
  return b.model();
}
