import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Candidate, RejectionReason, SearchConfig, SelectionCriterion } from '@evonorm/contracts';
import Database from 'better-sqlite3';
import { STORE_SCHEMA_VERSION, SearchStore } from '../src/index.js';

const evaluated = (id: string, accuracy: number, hash = ''): Candidate =>
  Candidate.fromPartial({ id, hashes: { structural: 'ab', functional: hash }, fitness: { scores: [{ architecture: 'resnet_v2', accuracy }], meanAccuracy: accuracy } });
const rejected = (id: string, reason: RejectionReason): Candidate => Candidate.fromPartial({ id, rejection: { reason, detail: 'x' } });

/** A store as written before 2026-12-06: `evaluatedIds` in sequence order, the population's rows at their positions, evicted rows deleted. */
function oldStore(evaluatedIds: string[], members: Array<[position: number, id: string]>): string {
  const path = join(mkdtempSync(join(tmpdir(), 'evonorm-store-')), 'old.sqlite');
  const old = new Database(path);
  old.exec(`CREATE TABLE candidates (sequence INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, parent_id TEXT, functional_hash TEXT, evaluated INTEGER NOT NULL,
    mean_accuracy REAL, rejection_reason INTEGER, duplicate_of TEXT, created_ms INTEGER NOT NULL, message BLOB NOT NULL);
    CREATE TABLE population (position INTEGER PRIMARY KEY AUTOINCREMENT, candidate_id TEXT NOT NULL UNIQUE REFERENCES candidates (id));
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);`);
  evaluatedIds.forEach((id, k) =>
    old.prepare('INSERT INTO candidates VALUES (?, ?, NULL, ?, 1, 0.5, NULL, NULL, 0, ?)').run(k + 1, id, id, Buffer.from(Candidate.encode(evaluated(id, 0.5, id)).finish())),
  );
  for (const [position, id] of members) old.prepare('INSERT INTO population (position, candidate_id) VALUES (?, ?)').run(position, id);
  old.close();
  return path;
}

describe('SearchStore', () => {
  it('keeps the population in age order, evicting the oldest, and every candidate in the history', () => {
    const store = SearchStore.open(':memory:');
    const outcomes = ['a', 'b', 'c', 'd'].map((id, i) => store.report(evaluated(id, 0.1 * (i + 1)), 3));
    assert.deepEqual(
      outcomes.map((o) => o.sequence),
      [1, 2, 3, 4],
    );
    assert.equal(outcomes[3]!.evictedId, 'a');
    assert.deepEqual(
      store.population().map((c) => c.id),
      ['b', 'c', 'd'],
    );
    const r = store.report(rejected('r', RejectionReason.REJECTION_REASON_NON_FINITE), 3);
    assert.deepEqual(r, { sequence: 5, enteredPopulation: false, evictedId: '', alreadyReported: false });
    assert.deepEqual(store.report(evaluated('b', 0.9), 3), { sequence: 2, enteredPopulation: false, evictedId: '', alreadyReported: true });
    assert.equal(store.get('a')!.fitness!.scores[0]!.accuracy, 0.1, 'evicted members stay in the history');
    assert.equal(store.best()!.id, 'd');
    store.close();
  });

  it('reads the population back as of any earlier report: members that had entered and not yet aged out', () => {
    const store = SearchStore.open(':memory:');
    // Sequences: a1 b2 (rejected r3) c4 d5 e6, population size 3: d evicts a at 5, e evicts b at 6.
    store.report(evaluated('a', 0.1), 3);
    store.report(evaluated('b', 0.2), 3);
    store.report(rejected('r', RejectionReason.REJECTION_REASON_UNSTABLE), 3);
    for (const [id, acc] of [
      ['c', 0.3],
      ['d', 0.4],
      ['e', 0.5],
    ] as const)
      store.report(evaluated(id, acc), 3);
    const asOf = (n: number) => store.population(n).map((c) => c.id);
    assert.deepEqual([0, 1, 2, 3, 4, 5, 6].map(asOf), [[], ['a'], ['a', 'b'], ['a', 'b'], ['a', 'b', 'c'], ['b', 'c', 'd'], ['c', 'd', 'e']]);
    assert.deepEqual(
      asOf(99),
      store.population().map((c) => c.id),
    );
    assert.equal(store.populationSize(), 3);
  });

  it('gives a store written before membership was kept its columns on open, and rebuilds the evictions it deleted', () => {
    const ids = (candidates: Candidate[]) => candidates.map((c) => c.id);
    // a, b, c, d entered a population of 2 in turn: a aged out when c entered (3), b when d entered (4).
    const store = SearchStore.open(
      oldStore(
        ['a', 'b', 'c', 'd'],
        [
          [3, 'c'],
          [4, 'd'],
        ],
      ),
    );
    assert.deepEqual(ids(store.population()), ['c', 'd']);
    assert.deepEqual(
      [1, 2, 3, 4].map((n) => ids(store.population(n))),
      [['a'], ['a', 'b'], ['b', 'c'], ['c', 'd']],
    );
    store.report(evaluated('e', 0.6), 2);
    assert.deepEqual(
      [4, 5].map((n) => ids(store.population(n))),
      [
        ['c', 'd'],
        ['d', 'e'],
      ],
      'evictions after the migration are kept',
    );
    store.close();
    // A copy kept out before the population was full (a2): which candidates filled it is not known, so nothing is rebuilt.
    const kept = SearchStore.open(
      oldStore(
        ['a', 'a2', 'b', 'c'],
        [
          [2, 'b'],
          [3, 'c'],
        ],
      ),
    );
    assert.deepEqual(ids(kept.population()), ['b', 'c']);
    assert.deepEqual(ids(kept.population(3)), ['b'], 'a is missing: its eviction was deleted and cannot be placed');
    kept.close();
    // The same with more reports: entries after the population filled are every evaluated candidate, so the recent ones are rebuilt.
    // a (1), a2 kept out (2), b (3) fill it; c (4) evicts a, d (5) evicts b, e (6) evicts c.
    const tail = SearchStore.open(
      oldStore(
        ['a', 'a2', 'b', 'c', 'd', 'e'],
        [
          [4, 'd'],
          [5, 'e'],
        ],
      ),
    );
    assert.deepEqual(
      [5, 6].map((n) => ids(tail.population(n))),
      [
        ['c', 'd'],
        ['d', 'e'],
      ],
    );
    assert.deepEqual(ids(tail.population(4)), ['c'], 'b filled the population: not rebuilt');
    tail.close();
  });

  it('reads an older store read-only as it is, without migrating it under a search that may still run', () => {
    const path = oldStore(['a'], [[1, 'a']]);
    const reader = SearchStore.open(path, { readOnly: true });
    assert.deepEqual(
      reader.population().map((c) => c.id),
      ['a'],
    );
    assert.equal(reader.populationSize(), 1);
    assert.equal(reader.membership(), undefined);
    assert.throws(() => reader.population(1), /opened for writing/);
    reader.close();
    const check = new Database(path, { readonly: true });
    const columns = (check.prepare('SELECT name FROM pragma_table_info(?)').all('population') as Array<{ name: string }>).map((c) => c.name);
    check.close();
    assert.deepEqual(columns, ['position', 'candidate_id'], 'left as it was');
    assert.throws(() => SearchStore.open(join(path, '..', 'missing.sqlite'), { readOnly: true }));
  });

  it('records its layout version and refuses a store a newer build wrote, for reading and for writing', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'evonorm-store-')), 'run.sqlite');
    SearchStore.open(path).close();
    const version = (): number => {
      const db = new Database(path, { readonly: true });
      const v = db.pragma('user_version', { simple: true }) as number;
      db.close();
      return v;
    };
    assert.equal(version(), STORE_SCHEMA_VERSION);
    const migrated = oldStore(['a'], [[1, 'a']]);
    SearchStore.open(migrated).close();
    const check = new Database(migrated, { readonly: true });
    assert.equal(check.pragma('user_version', { simple: true }), STORE_SCHEMA_VERSION, 'a migrated store is stamped too');
    check.close();
    const newer = new Database(path);
    newer.pragma(`user_version = ${STORE_SCHEMA_VERSION + 1}`);
    newer.close();
    const refusal = new RegExp(`newer evonorm \\(store layout ${STORE_SCHEMA_VERSION + 1}; this build reads up to ${STORE_SCHEMA_VERSION}\\)`);
    assert.throws(() => SearchStore.open(path), refusal);
    assert.throws(() => SearchStore.open(path, { readOnly: true }), refusal);
    assert.equal(version(), STORE_SCHEMA_VERSION + 1, 'left as the newer build wrote it');
  });

  it('fills the population with distinct layers: a copy of a member enters only once the population is full', () => {
    const store = SearchStore.open(':memory:');
    const hashes = ['1111111111111111', '2222222222222222', '3333333333333333'];
    assert.equal(store.report(evaluated('a', 0.5, hashes[0]), 3).enteredPopulation, true);
    assert.equal(store.report(evaluated('a-copy', 0.5, hashes[0]), 3).enteredPopulation, false, 'a copy of a member, population not full');
    assert.equal(store.report(evaluated('b', 0.6, hashes[1]), 3).enteredPopulation, true);
    assert.equal(store.report(evaluated('unhashed', 0.6), 3).enteredPopulation, true, 'without a functional hash nothing is known to be a copy');
    assert.deepEqual(store.report(evaluated('b-copy', 0.6, hashes[1]), 3), { sequence: 5, enteredPopulation: true, evictedId: 'a', alreadyReported: false }, 'full: a copy is a child like any other');
    assert.equal(store.report(evaluated('c', 0.7, hashes[2]), 3).evictedId, 'b');
    assert.deepEqual(
      store.population().map((c) => c.id),
      ['unhashed', 'b-copy', 'c'],
    );
    assert.equal(store.statistics().candidates, 6, 'the copy that stayed out is in the history');
    store.close();
  });

  it('finds evaluations by functional hash, pages the history and counts rejections', () => {
    const store = SearchStore.open(':memory:');
    store.report(evaluated('a', 0.5, 'ffff000011112222'), 10);
    store.report(rejected('r1', RejectionReason.REJECTION_REASON_UNSTABLE), 10);
    store.report(rejected('r2', RejectionReason.REJECTION_REASON_UNSTABLE), 10);
    store.report(Candidate.fromPartial({ ...evaluated('b', 0.5, 'ffff000011112222'), duplicateOf: 'a' }), 10);
    assert.equal(store.lookup('ffff000011112222')!.id, 'a');
    assert.equal(store.lookup('0000000000000000'), undefined);
    const first = store.page(0, 2, false);
    assert.deepEqual([first.candidates.map((c) => c.id), first.next], [['a', 'r1'], 2]);
    const second = store.page(first.next!, 2, false);
    assert.deepEqual([second.candidates.map((c) => c.id), second.next], [['r2', 'b'], undefined]);
    assert.deepEqual(
      store.page(0, 10, true).candidates.map((c) => c.id),
      ['a', 'b'],
    );
    assert.deepEqual(store.statistics(), { candidates: 4, evaluated: 2, rejectionsByReason: { REJECTION_REASON_UNSTABLE: 2 }, duplicateHits: 1 });
    store.setMeta('rng', '[1,2,3,4]');
    assert.equal(store.getMeta('rng'), '[1,2,3,4]');
    store.close();
  });

  it('reopens a file with everything in it', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'store-')), 'search.sqlite');
    const store = SearchStore.open(path);
    store.report(evaluated('a', 0.3), 5);
    store.report(evaluated('b', 0.4), 5);
    store.setMeta('config', '{"population":5}');
    store.close();
    const again = SearchStore.open(path);
    assert.deepEqual(
      again.population().map((c) => c.id),
      ['a', 'b'],
    );
    assert.equal(again.report(evaluated('c', 0.5), 5).sequence, 3);
    assert.equal(again.getMeta('config'), '{"population":5}');
    again.close();
  });

  it('round-trips 64-bit values whole: a uint64 seed above 2^63-1 and extreme int64 times', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'store-')), 'search.sqlite');
    const store = SearchStore.open(path);
    const config = SearchConfig.fromPartial({ populationSize: 5, criterion: SelectionCriterion.SELECTION_CRITERION_PARETO, architectures: ['resnet_v2'], seed: 2n ** 64n - 1n });
    store.saveConfig(config);
    store.report(Candidate.fromPartial({ ...evaluated('late', 0.5), createdUnixMs: 2n ** 63n - 1n }), 5);
    store.report(Candidate.fromPartial({ ...evaluated('early', 0.5), createdUnixMs: -(2n ** 63n) }), 5);
    store.close();
    const again = SearchStore.open(path);
    assert.deepEqual(again.config(), config);
    assert.equal(again.config()!.seed, 18446744073709551615n);
    assert.equal(again.get('late')!.createdUnixMs, 2n ** 63n - 1n);
    assert.equal(again.get('early')!.createdUnixMs, -(2n ** 63n));
    assert.deepEqual(
      again.population().map((c) => c.sequence),
      [1n, 2n],
    );
    again.close();
  });

  it('loses no acknowledged report when the writing process is killed', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'store-')), 'search.sqlite');
    const module = fileURLToPath(new URL('../src/index.js', import.meta.url));
    const contracts = import.meta.resolve('@evonorm/contracts');
    // The child reports candidates as fast as it can and prints each acknowledged sequence.
    const script = `
      const { SearchStore } = await import(${JSON.stringify(module)});
      const { Candidate } = await import(${JSON.stringify(contracts)});
      const store = SearchStore.open(${JSON.stringify(path)});
      for (let i = 0; ; i++) {
        const o = store.report(Candidate.fromPartial({ id: 'c' + i, fitness: { scores: [{ architecture: 'resnet_v2', accuracy: 0.5 }] } }), 1000000);
        process.stdout.write(o.sequence + '\\n');
      }`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let acknowledged = 0;
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        const lines = d.toString().trim().split('\n');
        acknowledged = Math.max(acknowledged, Number(lines.at(-1)));
        if (acknowledged >= 200 && child.exitCode === null) {
          child.kill('SIGKILL');
          resolve();
        }
      });
    });
    await new Promise((r) => child.on('exit', r));
    const store = SearchStore.open(path);
    const stats = store.statistics();
    assert.ok(stats.candidates >= acknowledged, `${stats.candidates} stored < ${acknowledged} acknowledged`);
    assert.equal(store.page(0, 1_000_000, false).candidates.length, stats.candidates);
    store.close();
  });
});
