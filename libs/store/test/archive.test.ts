import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Candidate, RejectionReason, SearchConfig } from '@evonorm/contracts';
import { ArchiveError, SearchStore, archivedCount, readArchive, restoreArchive, writeArchive } from '../src/index.js';

/** A store with evaluated, rejected and duplicate candidates, a uint64 seed above 2^63 and a population that has aged. */
function filledStore(path: string): SearchStore {
  const store = SearchStore.open(path);
  store.saveConfig(SearchConfig.fromPartial({ seed: 18_446_744_073_709_551_615n, populationSize: 2, architectures: ['resnet_v2'] }));
  store.setMeta('started_ms', '1765000000000');
  for (let i = 0; i < 7; i++) {
    const id = `c${String(i).padStart(6, '0')}`;
    const common = { id, createdUnixMs: BigInt(1765000000000 + i), hashes: { structural: 'ab', functional: `${i % 3}`.repeat(16) }, timings: { screenSeconds: 0.1 * i } };
    store.report(
      i % 3 === 1
        ? Candidate.fromPartial({ ...common, rejection: { reason: RejectionReason.REJECTION_REASON_UNSTABLE, detail: 'grew 1e6×' } })
        : Candidate.fromPartial({
            ...common,
            duplicateOf: i === 3 ? 'c000000' : '',
            fitness: { scores: [{ architecture: 'resnet_v2', accuracy: 0.1 + i / 10, seedAccuracies: [0.1 + i / 10] }], meanAccuracy: 0.1 + i / 10 },
          }),
      2,
    );
  }
  return store;
}

const historyOf = (store: SearchStore): Candidate[] => store.page(0, 1000, false).candidates;

describe('history archive', () => {
  it('rebuilds the same store: every candidate, its sequence, the aged population and the metadata', () => {
    const dir = mkdtempSync(join(tmpdir(), 'evonorm-archive-'));
    const original = filledStore(join(dir, 'a.sqlite'));
    assert.equal(writeArchive(original, join(dir, 'history.jsonl')), 7);
    assert.equal(restoreArchive(join(dir, 'history.jsonl'), join(dir, 'b.sqlite')), 7);
    const restored = SearchStore.open(join(dir, 'b.sqlite'));
    assert.deepEqual(historyOf(restored), historyOf(original));
    assert.deepEqual(
      restored.population().map((c) => c.id),
      original.population().map((c) => c.id),
    );
    assert.deepEqual(restored.allMeta(), original.allMeta());
    assert.deepEqual(restored.membership(), original.membership());
    assert.equal(restored.config()!.seed, 18_446_744_073_709_551_615n);
    assert.deepEqual(restored.statistics(), original.statistics());
    original.close();
    restored.close();
  });

  it("restores the population the archive records, where replaying under today's rules would give another", () => {
    const dir = mkdtempSync(join(tmpdir(), 'evonorm-archive-'));
    const original = filledStore(join(dir, 'a.sqlite'));
    const replayed = original.membership()!;
    assert.ok(
      replayed.some((m) => m.evictedAt !== null),
      'the filled store has aged members out',
    );
    // A membership today's rules would not give (as if written under other rules): c000000 never aged out, c000003 never entered.
    const other = replayed.filter((m) => m.id !== 'c000003').map((m) => (m.id === 'c000000' ? { ...m, evictedAt: null } : m));
    original.replaceMembership(other);
    writeArchive(original, join(dir, 'history.jsonl'));
    restoreArchive(join(dir, 'history.jsonl'), join(dir, 'b.sqlite'));
    const restored = SearchStore.open(join(dir, 'b.sqlite'));
    assert.deepEqual(restored.membership(), other);
    assert.deepEqual(
      restored.population().map((c) => c.id),
      original.population().map((c) => c.id),
    );
    original.close();
    restored.close();
    // A membership that names a candidate the archive does not hold is refused.
    const lines = readFileSync(join(dir, 'history.jsonl'), 'utf8').split('\n');
    const header = JSON.parse(lines[0]!) as { membership: unknown[] };
    header.membership.push(['c999999', 3, null]);
    writeFileSync(join(dir, 'bad.jsonl'), [JSON.stringify(header), ...lines.slice(1)].join('\n'));
    assert.throws(() => restoreArchive(join(dir, 'bad.jsonl'), join(dir, 'c.sqlite')), /membership names c999999/);
  });

  it('refuses a cut-short archive, one that is not an archive, and overwriting a store', () => {
    const dir = mkdtempSync(join(tmpdir(), 'evonorm-archive-'));
    const store = filledStore(join(dir, 'a.sqlite'));
    const path = join(dir, 'history.jsonl');
    writeArchive(store, path);
    store.close();
    assert.throws(() => restoreArchive(path, join(dir, 'a.sqlite')), /exists/);
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    writeFileSync(join(dir, 'short.jsonl'), `${lines.slice(0, -1).join('\n')}\n`);
    assert.throws(
      () => readArchive(join(dir, 'short.jsonl')),
      (e: unknown) => e instanceof ArchiveError && /holds 6 candidates, its header says 7/.test(e.message),
    );
    writeFileSync(join(dir, 'other.jsonl'), '{"hello": 1}\n');
    assert.throws(() => restoreArchive(join(dir, 'other.jsonl'), join(dir, 'c.sqlite')), /not an evonorm-history archive/);
    assert.throws(() => archivedCount(join(dir, 'other.jsonl')), /not an evonorm-history archive/);
  });

  it('reads the candidate count from the header line alone, however long the header', () => {
    const dir = mkdtempSync(join(tmpdir(), 'evonorm-archive-'));
    const store = filledStore(join(dir, 'a.sqlite'));
    store.setMeta('long', 'x'.repeat(200_000)); // a header longer than one read
    const path = join(dir, 'history.jsonl');
    writeArchive(store, path);
    store.close();
    assert.equal(archivedCount(path), 7);
    const [header] = readFileSync(path, 'utf8').split('\n');
    writeFileSync(join(dir, 'header-only.jsonl'), header!); // no newline and no candidates: the header is what counts
    assert.equal(archivedCount(join(dir, 'header-only.jsonl')), 7);
  });
});
