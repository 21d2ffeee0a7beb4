/**
 * A search's store as text (history.jsonl): a first line with the store's metadata and the
 * population's membership over time, then one line per candidate (proto JSON) in report order.
 * SQLite files are neither diffable nor fit to commit with an experiment's results; the archive is
 * both, and replaying its reports in order, then setting the membership it records, rebuilds the
 * same store (sequences, population and its history, metadata), so a search or a comparison can
 * be continued on another machine.
 */
import { closeSync, existsSync, openSync, readFileSync, readSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { Candidate, SearchConfig } from '@evonorm/contracts';
import { SearchStore, type Membership } from './store.js';

export const ARCHIVE_FORMAT = 'evonorm-history';

interface ArchiveHeader {
  readonly format: typeof ARCHIVE_FORMAT;
  readonly version: 1;
  readonly candidates: number;
  readonly meta: Record<string, string>;
  /**
   * The population's members over time, [id, entered at, aged out at or null], in the order they
   * entered (absent in archives written before 2026-12-06): a restore keeps the population these
   * reports had, even where today's rules for entering it differ.
   */
  readonly membership?: ReadonlyArray<readonly [string, number, number | null]>;
}

export class ArchiveError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArchiveError';
  }
}

/** Writes the store's whole history to `path` (atomically: a reader never sees half a file); returns the candidate count. */
export function writeArchive(store: SearchStore, path: string): number {
  const lines: string[] = [];
  for (let page = store.page(0, 1000, false); ; page = store.page(page.next, 1000, false)) {
    for (const c of page.candidates) lines.push(JSON.stringify(Candidate.toJSON(c)));
    if (page.next === undefined) break;
  }
  const membership = store.membership()?.map((m) => [m.id, m.enteredAt, m.evictedAt] as const);
  const header: ArchiveHeader = { format: ARCHIVE_FORMAT, version: 1, candidates: lines.length, meta: store.allMeta(), ...(membership ? { membership } : {}) };
  const partial = `${path}.partial`;
  writeFileSync(partial, `${[JSON.stringify(header), ...lines].join('\n')}\n`);
  renameSync(partial, path);
  return lines.length;
}

const parseLine = (path: string, line: string, at: number): unknown => {
  try {
    return JSON.parse(line);
  } catch (error) {
    throw new ArchiveError(`${path} line ${at + 1} is not JSON: ${(error as Error).message}`);
  }
};

const checkHeader = (path: string, line: string): ArchiveHeader => {
  const header = parseLine(path, line, 0) as Partial<ArchiveHeader> | null;
  if (header?.format !== ARCHIVE_FORMAT || header.version !== 1 || typeof header.candidates !== 'number') {
    throw new ArchiveError(`${path} is not an ${ARCHIVE_FORMAT} archive (version 1)`);
  }
  const membership = header.membership;
  if (membership !== undefined && !(Array.isArray(membership) && membership.every(isMembershipEntry))) {
    throw new ArchiveError(`${path}: its header's membership is not a list of [id, entered at, aged out at or null]`);
  }
  return { format: ARCHIVE_FORMAT, version: 1, candidates: header.candidates, meta: header.meta ?? {}, ...(membership ? { membership } : {}) };
};

const isMembershipEntry = (e: unknown): e is readonly [string, number, number | null] =>
  Array.isArray(e) && e.length === 3 && typeof e[0] === 'string' && Number.isInteger(e[1]) && (e[2] === null || Number.isInteger(e[2]));

/** The candidate count the archive's header states, read from its first line only (an archive can hold thousands of candidates). */
export function archivedCount(path: string): number {
  const fd = openSync(path, 'r');
  try {
    const chunks: Buffer[] = [];
    const chunk = Buffer.alloc(1 << 16);
    for (let read = readSync(fd, chunk); read > 0; read = readSync(fd, chunk)) {
      const end = chunk.subarray(0, read).indexOf(0x0a);
      chunks.push(Buffer.from(chunk.subarray(0, end < 0 ? read : end)));
      if (end >= 0) break;
    }
    return checkHeader(path, Buffer.concat(chunks).toString('utf8')).candidates;
  } finally {
    closeSync(fd);
  }
}

/** The archive's metadata, candidates and (when recorded) population membership, checked for form and count. */
export function readArchive(path: string): { meta: Record<string, string>; candidates: Candidate[]; membership?: Membership[] } {
  const lines = readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.length > 0);
  const header = checkHeader(path, lines[0] ?? '');
  const candidates = lines.slice(1).map((line, k) => Candidate.fromJSON(parseLine(path, line, k + 1)));
  if (candidates.length !== header.candidates) throw new ArchiveError(`${path} holds ${candidates.length} candidates, its header says ${header.candidates} (cut short?)`);
  const membership = header.membership?.map(([id, enteredAt, evictedAt]) => ({ id, enteredAt, evictedAt }));
  return { meta: header.meta, candidates, ...(membership ? { membership } : {}) };
}

/**
 * Rebuilds the store at `storeFile` from the archive at `path`: the same reports in the same order,
 * with the population size of the saved configuration. Built beside and renamed into place, so a
 * restore that is killed leaves no half store. Refuses to overwrite an existing store.
 */
export function restoreArchive(path: string, storeFile: string): number {
  if (existsSync(storeFile)) throw new ArchiveError(`${storeFile} exists; a restore only creates a store`);
  const { meta, candidates, membership } = readArchive(path);
  if (meta.config === undefined) throw new ArchiveError(`${path} has no saved search configuration (meta "config"), so its population size is unknown`);
  const populationSize = SearchConfig.fromJSON(JSON.parse(meta.config)).populationSize;
  const building = `${storeFile}.restoring`;
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${building}${suffix}`, { force: true });
  const store = SearchStore.open(building);
  try {
    for (const [key, value] of Object.entries(meta)) store.setMeta(key, value);
    candidates.forEach((c, k) => {
      const outcome = store.report(c, populationSize);
      if (outcome.alreadyReported || outcome.sequence !== k + 1) {
        throw new ArchiveError(`${path}: candidate ${c.id} (line ${k + 2}) was stored at sequence ${outcome.sequence}, not ${k + 1} (reported twice?)`);
      }
    });
    if (membership) {
      // Each member entered at its own report, once, in report order, and aged out at a later report.
      const sequenceOf = new Map(candidates.map((c, k) => [c.id, k + 1]));
      let previous = 0;
      for (const m of membership) {
        const fits = sequenceOf.get(m.id) === m.enteredAt && m.enteredAt > previous && (m.evictedAt === null || (m.evictedAt > m.enteredAt && m.evictedAt <= candidates.length));
        if (!fits) throw new ArchiveError(`${path}: its membership names ${m.id} (entered ${m.enteredAt}, aged out ${m.evictedAt}), which its candidates do not bear out`);
        previous = m.enteredAt;
      }
      // Replaying applies today's rules for entering the population; the archive says what they were.
      store.replaceMembership(membership);
    }
  } finally {
    store.close();
  }
  renameSync(building, storeFile);
  return candidates.length;
}
