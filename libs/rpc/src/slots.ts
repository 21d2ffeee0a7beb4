/**
 * Admission control for expensive calls: at most `concurrent` run, up to `queued` more wait in
 * arrival order, and anything beyond is refused with RESOURCE_EXHAUSTED so the caller can go
 * elsewhere. A waiting call whose client cancels leaves the queue.
 */
import { resourceExhausted, RpcError } from './errors.js';
import { status } from '@grpc/grpc-js';

export class Slots {
  private running = 0;
  private readonly waiting: Array<{ grant: (release: () => void) => void }> = [];

  constructor(
    readonly concurrent: number,
    readonly queued: number,
  ) {}

  get active(): number {
    return this.running;
  }

  get queueLength(): number {
    return this.waiting.length;
  }

  /** Resolves with a release function once a slot is free; rejects when the queue is full or the signal aborts. */
  async acquire(signal?: AbortSignal): Promise<() => void> {
    if (this.running < this.concurrent) return this.grant();
    if (this.waiting.length >= this.queued) {
      throw resourceExhausted(
        `${this.running} call(s) running and ${this.waiting.length} queued; the limit of this replica is ${this.concurrent} running + ${this.queued} queued; retry later or on another replica`,
      );
    }
    return new Promise<() => void>((resolve, reject) => {
      const entry = { grant: resolve };
      this.waiting.push(entry);
      signal?.addEventListener(
        'abort',
        () => {
          const at = this.waiting.indexOf(entry);
          if (at >= 0) this.waiting.splice(at, 1);
          reject(new RpcError(status.CANCELLED, 'cancelled while queued'));
        },
        { once: true },
      );
    });
  }

  private grant(): () => void {
    this.running++;
    return this.releaser();
  }

  /** Frees the slot, or hands it straight to the oldest waiter (so no newcomer can overtake). */
  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next.grant(this.releaser());
      else this.running--;
    };
  }
}
