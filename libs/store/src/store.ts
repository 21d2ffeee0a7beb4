/**
 * The SQLite record of one search (better-sqlite3, WAL, one writer): every candidate ever
 * reported, stored losslessly as its protobuf bytes beside the columns queries need; the
 * population in age order, with the members it has evicted and when (so the population as of any
 * earlier report can be read back); and key-value metadata (configuration, generator state). A
 * report is one transaction, so a killed process loses nothing it acknowledged.
 *
 * 64-bit values: the protobuf bytes are the record, so every uint64/int64 field round-trips whole,
 * uint64s above 2^63-1 included. The INTEGER columns hold only what SQLite's signed 64 bits hold
 * by construction: sequences this store assigns and the int64 creation time (bound as a bigint).
 * The search configuration is kept as its proto JSON, where a uint64 (the seed) is a decimal string.
 */
import Database from 'better-sqlite3';
import { Candidate, RejectionReason, SearchConfig } from '@evonorm/contracts';

export interface ReportOutcome {
  readonly sequence: number;
  readonly enteredPopulation: boolean;
  readonly evictedId: string;
  readonly alreadyReported: boolean;
}

/** One member of the population over time (SearchStore.membership). */
export interface Membership {
  readonly id: string;
  /** The sequence of its own report. */
  readonly enteredAt: number;
  /** The sequence of the report that aged it out; null while it is a member. */
  readonly evictedAt: number | null;
}

export interface StoreStatistics {
  readonly candidates: number;
  readonly evaluated: number;
  readonly rejectionsByReason: Record<string, number>;
  readonly duplicateHits: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS candidates (
  sequence INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  parent_id TEXT,
  functional_hash TEXT,
  evaluated INTEGER NOT NULL,
  mean_accuracy REAL,
  rejection_reason INTEGER,
  duplicate_of TEXT,
  created_ms INTEGER NOT NULL,
  message BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS candidates_by_hash ON candidates (functional_hash) WHERE evaluated = 1;
CREATE TABLE IF NOT EXISTS population (
  position INTEGER PRIMARY KEY AUTOINCREMENT,
  candidate_id TEXT NOT NULL UNIQUE REFERENCES candidates (id)
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
`;

/**
 * Membership over time: a member's row stays when it ages out, with the sequence of the report
 * that evicted it. Stores from before these columns get them on open, and their deleted evictions
 * are rebuilt (restoreEvictions).
 */
const MEMBERSHIP_COLUMNS = `
ALTER TABLE population ADD COLUMN entered_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE population ADD COLUMN evicted_at INTEGER;
UPDATE population SET entered_at = (SELECT sequence FROM candidates WHERE id = population.candidate_id);
CREATE INDEX IF NOT EXISTS population_members ON population (evicted_at);
`;

/**
 * Rebuilds the rows that stores from before the membership columns deleted on eviction. The
 * population is first in, first out with P places, and once any member has aged out it is full, so
 * P is the member count, and the entry at position q aged out when the one at q + P entered.
 * Which candidates the entries before the oldest member were: every evaluated candidate reported
 * after the population first filled entered it, so the last (positions before the oldest member −
 * P) evaluated candidates before it are the entries at positions P + 1 on, the ones a resume needs.
 * The first P entries are known too when no copy was kept out while the population filled (as many
 * evaluated candidates as positions); otherwise they stay out, and a population as of one of
 * their reports can miss them.
 */
function restoreEvictions(db: Database.Database): void {
  const members = db.prepare('SELECT position, entered_at FROM population ORDER BY position').all() as Array<{ position: number; entered_at: number }>;
  const oldest = members[0];
  if (!oldest || oldest.position === 1) return;
  const before = oldest.position - 1;
  const earlier = db.prepare('SELECT id, sequence FROM candidates WHERE evaluated = 1 AND sequence < ? ORDER BY sequence').all(oldest.entered_at) as Array<{ id: string; sequence: number }>;
  const known = earlier.length === before ? earlier : earlier.slice(Math.max(0, earlier.length - Math.max(0, before - members.length)));
  const entered = [...known.map((e) => e.sequence), ...members.map((m) => m.entered_at)];
  const insert = db.prepare('INSERT INTO population (position, candidate_id, entered_at, evicted_at) VALUES (?, ?, ?, ?)');
  known.forEach((e, k) => insert.run(oldest.position - known.length + k, e.id, e.sequence, entered[k + members.length]!));
}

type Row = { message: Buffer };

function decode(row: Row | undefined): Candidate | undefined {
  return row ? Candidate.decode(row.message) : undefined;
}

function meanAccuracy(c: Candidate): number | null {
  const scores = c.fitness?.scores ?? [];
  return scores.length ? scores.reduce((s, x) => s + x.accuracy, 0) / scores.length : null;
}

/**
 * The layout this build writes, in SQLite's user_version: 0 before it was recorded (a store from
 * before the membership columns, or one written just after them), 2 with them. A store from a
 * newer build is refused rather than misread or written in a layout this build does not know.
 */
export const STORE_SCHEMA_VERSION = 2;

function checkSchemaVersion(db: Database.Database, path: string): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > STORE_SCHEMA_VERSION) {
    db.close();
    throw new Error(`${path} was written by a newer evonorm (store layout ${version}; this build reads up to ${STORE_SCHEMA_VERSION}): use that build or newer`);
  }
}

const keepsMembership = (db: Database.Database): boolean => (db.prepare('SELECT name FROM pragma_table_info(?)').all('population') as Array<{ name: string }>).some((c) => c.name === 'evicted_at');

export interface OpenOptions {
  /**
   * Only read (history, report, dashboard): the file must exist, and a store from before the
   * membership columns is read as it is, not migrated, so a search that an older build is still
   * running is left alone.
   */
  readonly readOnly?: boolean;
}

export class SearchStore {
  private constructor(
    private readonly db: Database.Database,
    /** Whether the population table keeps aged-out members (entered_at, evicted_at); false only for an older store opened read-only. */
    private readonly membershipKept: boolean,
  ) {}

  /** Opens (creating if needed, unless read-only) the store at `path`, or an in-memory one for ':memory:'. */
  static open(path: string, options: OpenOptions = {}): SearchStore {
    if (options.readOnly) {
      const db = new Database(path, { readonly: true, fileMustExist: true });
      checkSchemaVersion(db, path);
      return new SearchStore(db, keepsMembership(db));
    }
    const db = new Database(path);
    checkSchemaVersion(db, path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL'); // WAL + NORMAL: durable across process crashes
    db.pragma('foreign_keys = ON');
    db.exec(SCHEMA);
    // Immediate: of two processes opening one older store at once, the second sees it migrated.
    db.transaction(() => {
      if (!keepsMembership(db)) {
        db.exec(MEMBERSHIP_COLUMNS);
        restoreEvictions(db);
      }
      db.pragma(`user_version = ${STORE_SCHEMA_VERSION}`);
    }).immediate();
    return new SearchStore(db, true);
  }

  /** The current members' filter on the population table (alias p). */
  private get current(): string {
    return this.membershipKept ? 'p.evicted_at IS NULL' : '1';
  }

  /**
   * Records a candidate (idempotent by id); evaluated ones join the population, evicting the oldest
   * beyond `populationSize`, except a copy of a member while the population is not yet full.
   */
  report(candidate: Candidate, populationSize: number): ReportOutcome {
    return this.db.transaction((): ReportOutcome => {
      const known = this.db.prepare('SELECT sequence FROM candidates WHERE id = ?').get(candidate.id) as { sequence: number } | undefined;
      if (known) return { sequence: known.sequence, enteredPopulation: false, evictedId: '', alreadyReported: true };
      const next = (this.db.prepare('SELECT COALESCE(MAX(sequence), 0) + 1 AS n FROM candidates').get() as { n: number }).n;
      const stored: Candidate = { ...candidate, sequence: BigInt(next), createdUnixMs: candidate.createdUnixMs || BigInt(Date.now()) };
      const evaluated = stored.fitness !== undefined;
      this.db
        .prepare(
          `INSERT INTO candidates (sequence, id, parent_id, functional_hash, evaluated, mean_accuracy, rejection_reason, duplicate_of, created_ms, message)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          next,
          stored.id,
          stored.parentId || null,
          stored.hashes?.functional || null,
          evaluated ? 1 : 0,
          meanAccuracy(stored),
          stored.rejection ? stored.rejection.reason : null,
          stored.duplicateOf || null,
          stored.createdUnixMs,
          Buffer.from(Candidate.encode(stored).finish()),
        );
      if (!evaluated || this.copiesMemberBeforeFull(stored, populationSize)) return { sequence: next, enteredPopulation: false, evictedId: '', alreadyReported: false };
      this.db.prepare('INSERT INTO population (candidate_id, entered_at) VALUES (?, ?)').run(stored.id, next);
      let evictedId = '';
      const count = this.populationSize();
      if (count > populationSize) {
        const oldest = this.db.prepare('SELECT position, candidate_id FROM population WHERE evicted_at IS NULL ORDER BY position LIMIT 1').get() as {
          position: number;
          candidate_id: string;
        };
        this.db.prepare('UPDATE population SET evicted_at = ? WHERE position = ?').run(next, oldest.position);
        evictedId = oldest.candidate_id;
      }
      return { sequence: next, enteredPopulation: true, evictedId, alreadyReported: false };
    })();
  }

  /**
   * The initial population is P distinct layers: until it is full, a functional duplicate of a
   * member does not enter. From random graphs, simple layers such as tanh(x) recur so often that
   * copies of them otherwise filled most of it. Once full, duplicates enter as any child does.
   */
  private copiesMemberBeforeFull(candidate: Candidate, populationSize: number): boolean {
    const hash = candidate.hashes?.functional;
    if (!hash || this.populationSize() >= populationSize) return false;
    return this.db.prepare(`SELECT 1 FROM population p JOIN candidates c ON c.id = p.candidate_id WHERE ${this.current} AND c.functional_hash = ? LIMIT 1`).get(hash) !== undefined;
  }

  /**
   * The population, oldest first: now, or as it was once the first `asOf` candidates (sequences
   * 1..asOf) had been reported.
   */
  population(asOf?: number): Candidate[] {
    if (asOf !== undefined && !this.membershipKept) throw new Error('the population as of an earlier report needs a store opened for writing (it migrates older stores)');
    const rows = (
      asOf === undefined
        ? this.db.prepare(`SELECT c.message FROM population p JOIN candidates c ON c.id = p.candidate_id WHERE ${this.current} ORDER BY p.position`).all()
        : this.db
            .prepare('SELECT c.message FROM population p JOIN candidates c ON c.id = p.candidate_id WHERE p.entered_at <= ? AND (p.evicted_at IS NULL OR p.evicted_at > ?) ORDER BY p.position')
            .all(asOf, asOf)
    ) as Row[];
    return rows.map((r) => decode(r)!);
  }

  populationSize(): number {
    return (this.db.prepare(`SELECT COUNT(*) AS n FROM population p WHERE ${this.current}`).get() as { n: number }).n;
  }

  /**
   * Every member the population has had, in the order they entered: when each entered and, if it
   * has, aged out (report sequences). Undefined for an older store opened read-only, which did not
   * keep them.
   */
  membership(): Membership[] | undefined {
    if (!this.membershipKept) return undefined;
    const rows = this.db.prepare('SELECT candidate_id AS id, entered_at AS enteredAt, evicted_at AS evictedAt FROM population ORDER BY position').all() as Membership[];
    return rows.map((r) => ({ id: r.id, enteredAt: r.enteredAt, evictedAt: r.evictedAt ?? null }));
  }

  /**
   * Sets the membership as recorded elsewhere (a history archive), in place of what this store's
   * own rules gave: an archive written under earlier rules restores to the population it had.
   */
  replaceMembership(members: readonly Membership[]): void {
    this.db.transaction(() => {
      this.db.exec('DELETE FROM population');
      const insert = this.db.prepare('INSERT INTO population (position, candidate_id, entered_at, evicted_at) VALUES (?, ?, ?, ?)');
      members.forEach((m, k) => insert.run(k + 1, m.id, m.enteredAt, m.evictedAt));
    })();
  }

  /** The first evaluated candidate with this functional hash. */
  lookup(functionalHash: string): Candidate | undefined {
    return decode(this.db.prepare('SELECT message FROM candidates WHERE functional_hash = ? AND evaluated = 1 ORDER BY sequence LIMIT 1').get(functionalHash) as Row | undefined);
  }

  get(id: string): Candidate | undefined {
    return decode(this.db.prepare('SELECT message FROM candidates WHERE id = ?').get(id) as Row | undefined);
  }

  /** History after sequence `after`, oldest first; `next` is the last sequence returned when more remain. */
  page(after: number, size: number, evaluatedOnly: boolean): { candidates: Candidate[]; next: number | undefined } {
    const rows = this.db.prepare(`SELECT sequence, message FROM candidates WHERE sequence > ? ${evaluatedOnly ? 'AND evaluated = 1' : ''} ORDER BY sequence LIMIT ?`).all(after, size + 1) as Array<
      Row & { sequence: number }
    >;
    const more = rows.length > size;
    const shown = rows.slice(0, size);
    return { candidates: shown.map((r) => decode(r)!), next: more ? shown.at(-1)!.sequence : undefined };
  }

  /** All evaluated candidates (for history-wide Pareto fronts). */
  evaluated(): Candidate[] {
    return (this.db.prepare('SELECT message FROM candidates WHERE evaluated = 1 ORDER BY sequence').all() as Row[]).map((r) => decode(r)!);
  }

  best(): Candidate | undefined {
    return decode(this.db.prepare('SELECT message FROM candidates WHERE evaluated = 1 ORDER BY mean_accuracy DESC, sequence LIMIT 1').get() as Row | undefined);
  }

  statistics(): StoreStatistics {
    const counts = this.db.prepare('SELECT COUNT(*) AS candidates, COALESCE(SUM(evaluated), 0) AS evaluated, COUNT(duplicate_of) AS duplicates FROM candidates').get() as {
      candidates: number;
      evaluated: number;
      duplicates: number;
    };
    const reasons = this.db.prepare('SELECT rejection_reason AS reason, COUNT(*) AS n FROM candidates WHERE evaluated = 0 AND rejection_reason IS NOT NULL GROUP BY rejection_reason').all() as Array<{
      reason: number;
      n: number;
    }>;
    const rejectionsByReason: Record<string, number> = {};
    for (const r of reasons) rejectionsByReason[RejectionReason[r.reason] ?? String(r.reason)] = r.n;
    return { candidates: counts.candidates, evaluated: counts.evaluated, rejectionsByReason, duplicateHits: counts.duplicates };
  }

  /** Records the search's configuration (proto JSON: the uint64 seed as a decimal string, lossless). */
  saveConfig(config: SearchConfig): void {
    this.setMeta('config', JSON.stringify(SearchConfig.toJSON(config)));
  }

  /** The configuration saved by `saveConfig`, if any. */
  config(): SearchConfig | undefined {
    const text = this.getMeta('config');
    return text === undefined ? undefined : SearchConfig.fromJSON(JSON.parse(text));
  }

  getMeta(key: string): string | undefined {
    return (this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined)?.value;
  }

  /** Every metadata key and value (for archive.ts). */
  allMeta(): Record<string, string> {
    const rows = this.db.prepare('SELECT key, value FROM meta ORDER BY key').all() as Array<{ key: string; value: string }>;
    return Object.fromEntries(rows.map((r) => [r.key, r.value]));
  }

  setMeta(key: string, value: string): void {
    this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  close(): void {
    this.db.close();
  }
}
