/**
 * ONNX Runtime's profiler, summarized: a session made with `profile` in its SessionOptions writes
 * a Chrome-trace JSON file; this reads it back and sums each node's kernel time by the scope its
 * name carries ("conv/n_Conv_3" -> conv, see GraphBuilder.scope) and by op type. Warm-up runs are
 * left out, so one figure is a steady-state step.
 */
import { readFileSync } from 'node:fs';

export interface ProfileSummary {
  /** Runs summarized (after the warm-up ones). */
  readonly runs: number;
  /** Mean wall milliseconds of one run as ORT timed it (kernels plus scheduling and copies). */
  readonly runMs: number;
  /** Mean milliseconds of one run spent inside kernels. */
  readonly kernelMs: number;
  /** Mean kernel milliseconds per run by scope; nodes ORT inserted or renamed count as "ort". */
  readonly byScope: Readonly<Record<string, number>>;
  /** Mean kernel milliseconds per run by op type, and the node count of each. */
  readonly byOp: Readonly<Record<string, { readonly ms: number; readonly nodes: number }>>;
}

interface TraceEvent {
  readonly cat?: string;
  readonly name?: string;
  readonly ts?: number;
  readonly dur?: number;
  readonly args?: { readonly op_name?: string };
}

/** The scope of a profiled node name: what precedes the first "/", or "ort" when there is none. */
export function scopeOfNode(name: string): string {
  const slash = name.indexOf('/');
  return slash > 0 ? name.slice(0, slash) : 'ort';
}

/** Sums a profile file's kernel times, skipping the first `warmup` runs. */
export function summarizeProfile(file: string, warmup = 0): ProfileSummary {
  const events = JSON.parse(readFileSync(file, 'utf8')) as TraceEvent[];
  const runEvents = events.filter((e) => e.cat === 'Session' && e.name === 'model_run').sort((a, b) => a.ts! - b.ts!);
  if (runEvents.length <= warmup) throw new Error(`profile ${file} has ${runEvents.length} runs, need more than the ${warmup} warm-up runs`);
  const from = runEvents[warmup]!.ts!;
  const runs = runEvents.length - warmup;
  const byScope: Record<string, number> = {};
  const byOp: Record<string, { ms: number; nodes: number }> = {};
  let kernel = 0;
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name?.endsWith('_kernel_time') || e.ts! < from) continue;
    const ms = e.dur! / 1000 / runs;
    const scope = scopeOfNode(e.name.slice(0, -'_kernel_time'.length));
    byScope[scope] = (byScope[scope] ?? 0) + ms;
    const op = e.args?.op_name ?? 'unknown';
    const entry = (byOp[op] ??= { ms: 0, nodes: 0 });
    entry.ms += ms;
    entry.nodes += 1 / runs;
    kernel += ms;
  }
  const runMs = runEvents.slice(warmup).reduce((sum, e) => sum + e.dur!, 0) / 1000 / runs;
  return { runs, runMs, kernelMs: kernel, byScope, byOp };
}
