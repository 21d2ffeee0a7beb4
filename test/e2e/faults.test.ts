/**
 * Fault injection over separately started services, with the orchestrator in this process:
 *  - the selection service is SIGKILLed mid-search and restarted on its port with its SQLite file;
 *  - one of two training replicas is SIGKILLed while it trains.
 * In both cases no completed evaluation is lost and the search ends exactly as an uninterrupted
 * run with the same seed.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { spawnService, type SpawnedService } from '@evonorm/rpc';
import { freePort, grpcBackend, mainScript, planFrom, runSearch, selectionFlags, type SearchEvent } from '@evonorm/search';
import { TINY_FLAGS, decisions, storedHistory } from './helpers.js';

const root = mkdtempSync(join(tmpdir(), 'evonorm-faults-'));
const flagValues = Object.fromEntries(TINY_FLAGS.reduce<string[][]>((pairs, x, i) => (i % 2 === 0 ? [...pairs, [x.slice(2), TINY_FLAGS[i + 1]!]] : pairs), []));
const plan = planFrom({ ...flagValues, seed: '5', candidates: '14' });

/** The flags the embedded search gives its own selection service, on `port`. */
function selectionArgs(db: string, port: number): string[] {
  return ['--port', String(port), ...selectionFlags(plan, db)];
}

describe('faults during a search', () => {
  let mutation: SpawnedService;
  let rejection: SpawnedService;
  const trainers: SpawnedService[] = [];
  const trainerPorts: number[] = [];
  const trainerAddresses = (): string => trainerPorts.map((p) => `127.0.0.1:${p}`).join(',');
  const startTrainer = (port: number): Promise<SpawnedService> => spawnService(mainScript('training'), ['--port', String(port), '--threads', '1', '--max-queued', '64']);
  let reference: unknown[];

  before(async () => {
    mutation = await spawnService(mainScript('mutation'));
    for (let r = 0; r < 2; r++) {
      trainerPorts.push(await freePort());
      trainers.push(await startTrainer(trainerPorts[r]!));
    }
    rejection = await spawnService(mainScript('rejection'), ['--training-address', trainerAddresses(), '--dataset', 'synthetic', '--threads', '1']);
  });

  after(async () => {
    for (const s of [mutation, rejection, ...trainers]) if (s.process.exitCode === null) await s.stop('SIGKILL');
  });

  /** Runs the seeded search against a fresh selection service; `onEvent` may inject a fault. */
  async function search(name: string, onEvent: (event: SearchEvent, selection: { current: SpawnedService }, backend: ReturnType<typeof grpcBackend>) => void | Promise<void> = () => {}) {
    const db = join(root, `${name}.sqlite`);
    const port = await freePort();
    const selection = { current: await spawnService(mainScript('selection'), selectionArgs(db, port)) };
    const stop = new AbortController();
    const retries: SearchEvent[] = [];
    const backend = grpcBackend({ selection: selection.current.address, mutation: mutation.address, rejection: rejection.address, training: trainerAddresses() }, stop.signal, (n) =>
      retries.push({ type: 'retry', ...n }),
    );
    const pending: Array<Promise<void> | void> = [];
    try {
      const summary = await runSearch({ plan, backend, interrupt: new AbortController().signal, onEvent: (e) => pending.push(onEvent(e, selection, backend)) });
      await Promise.all(pending);
      return { summary, history: storedHistory(db), retries };
    } finally {
      backend.close();
      await selection.current.stop('SIGKILL');
    }
  }

  it('runs the uninterrupted reference', async () => {
    const { summary, history } = await search('reference');
    assert.equal(summary.stats.reported, 14);
    assert.ok(history.some((c) => c.fitness));
    reference = decisions(history);
  });

  it('loses nothing when the selection service is SIGKILLed mid-search and restarted', async () => {
    let killed = false;
    const { history, retries } = await search('selection-killed', async (event, selection) => {
      if (killed || event.type !== 'candidate' || event.index !== 5) return;
      killed = true;
      const port = Number(selection.current.address.split(':').at(-1));
      await selection.current.stop('SIGKILL');
      // Down for a moment: the search's calls fail and are retried until it is back.
      await new Promise((r) => setTimeout(r, 700));
      selection.current = await spawnService(mainScript('selection'), selectionArgs(join(root, 'selection-killed.sqlite'), port));
    });
    assert.ok(killed);
    assert.ok(
      retries.some((r) => r.type === 'retry' && r.service === 'selection'),
      'calls to the dead selection service were retried',
    );
    assert.deepEqual(decisions(history), reference);
  });

  it('retries the in-flight trainings of a SIGKILLed training replica on the other one', async () => {
    let killedAt = -1;
    const { history, retries } = await search('trainer-killed', async (event, _selection, backend) => {
      if (killedAt >= 0 || event.type !== 'candidate') return;
      // Wait until replica 1 is busy, then kill it.
      for (let i = 0; i < 400 && backend.replicas()[0]!.active === 0; i++) await new Promise((r) => setTimeout(r, 10));
      if (killedAt >= 0 || backend.replicas()[0]!.active === 0) return;
      killedAt = event.index;
      await trainers[0]!.stop('SIGKILL');
    });
    assert.ok(killedAt >= 0, 'replica 1 was killed while training');
    assert.ok(
      retries.some((r) => r.type === 'retry' && r.method === 'Train'),
      'its trainings moved to the other replica',
    );
    assert.equal(history.length, 14);
    assert.deepEqual(decisions(history), reference);
  });
});
