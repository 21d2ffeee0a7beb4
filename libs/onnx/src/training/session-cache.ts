/**
 * Idle ONNX Runtime sessions kept for reuse. A training session's graph depends on the network,
 * the layer, the batch and the optimizer's constants, never on the seed or the weights (those are
 * inputs), so a candidate's second quality try, its evaluation after the quality test and every
 * further seed can take the session the previous training left instead of building the graph and
 * optimizing it again. A session is lent to one trainer at a time; at most `capacity` idle ones
 * are kept, the least recently returned released first.
 */
import { createSession, type SessionOptions, type ort } from '../session.js';

export interface LentSession {
  readonly session: ort.InferenceSession;
  /** Seconds spent building the graph and creating the session (0 for a reused one). */
  readonly buildSeconds: number;
  readonly sessionSeconds: number;
  readonly reused: boolean;
}

export class SessionCache {
  private readonly idle: Array<{ key: string; session: ort.InferenceSession }> = [];
  private readonly models = new Map<string, Uint8Array>();

  constructor(readonly capacity = 8) {}

  /** An idle session for `key`, or a new one from `build()` (the model is cached too). */
  async acquire(key: string, build: () => Uint8Array, options: SessionOptions): Promise<LentSession> {
    const fullKey = `${sessionKey(options)}|${key}`;
    const index = this.idle.findIndex((entry) => entry.key === fullKey);
    if (index >= 0) {
      const [entry] = this.idle.splice(index, 1);
      return { session: entry!.session, buildSeconds: 0, sessionSeconds: 0, reused: true };
    }
    let started = performance.now();
    let model = this.models.get(key);
    if (!model) {
      model = build();
      this.models.set(key, model);
      // Models are small (100-200 kB); keep as many as sessions could come back for.
      if (this.models.size > 4 * this.capacity) this.models.delete(this.models.keys().next().value!);
    }
    const buildSeconds = (performance.now() - started) / 1000;
    started = performance.now();
    const session = await createSession(model, options);
    return { session, buildSeconds, sessionSeconds: (performance.now() - started) / 1000, reused: false };
  }

  /** Returns a session for reuse; the oldest idle one is released when more than `capacity` wait. */
  async giveBack(key: string, options: SessionOptions, session: ort.InferenceSession): Promise<void> {
    if (this.capacity === 0) return session.release();
    this.idle.push({ key: `${sessionKey(options)}|${key}`, session });
    while (this.idle.length > this.capacity) await this.idle.shift()!.session.release();
  }

  /** Releases every idle session. */
  async clear(): Promise<void> {
    for (const entry of this.idle.splice(0)) await entry.session.release();
    this.models.clear();
  }
}

function sessionKey(options: SessionOptions): string {
  return `${options.ep ?? 'cpu'}:${options.device ?? 0}:${options.threads ?? 0}:${options.graphOptimization ?? 'all'}:${options.spinning ?? true}`;
}

let shared: SessionCache | undefined;

/** The process's cache, made on first use (trainers share it unless given their own). */
export function sharedSessionCache(): SessionCache {
  return (shared ??= new SessionCache());
}
