/**
 * A search's store as text (history.jsonl): a first line with the store's metadata, then one line
 * per candidate (proto JSON) in report order. SQLite files are neither diffable nor fit to commit
 * with an experiment's results; the archive is both, and replaying its reports in order rebuilds
 * the same store (sequences, population, metadata), so a search or a comparison can be continued on
 * another machine.
 */
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { Candidate, SearchConfig } from '@evonorm/contracts';
import { SearchStore } from './store.js';

export const ARCHIVE_FORMAT = 'evonorm-history';

interface ArchiveHeader {
  readonly format: typeof ARCHIVE_FORMAT;
  readonly version: 1;
  readonly candidates: number;
  readonly meta: Record<string, string>;
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
  const header: ArchiveHeader = { format: ARCHIVE_FORMAT, version: 1, candidates: lines.length, meta: store.allMeta() };
  const partial = `${path}.partial`;
  writeFileSync(partial, `${[JSON.stringify(header), ...lines].join('\n')}\n`);
  renameSync(partial, path);
  return lines.length;
}

/** The archive's metadata and candidates, checked for form and count. */
export function readArchive(path: string): { meta: Record<string, string>; candidates: Candidate[] } {
  const lines = readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.length > 0);
  const parse = (line: string, at: number): unknown => {
    try {
      return JSON.parse(line);
    } catch (error) {
      throw new ArchiveError(`${path} line ${at + 1} is not JSON: ${(error as Error).message}`);
    }
  };
  const header = parse(lines[0] ?? '', 0) as Partial<ArchiveHeader> | null;
  if (header?.format !== ARCHIVE_FORMAT || header.version !== 1) throw new ArchiveError(`${path} is not an ${ARCHIVE_FORMAT} archive (version 1)`);
  const candidates = lines.slice(1).map((line, k) => Candidate.fromJSON(parse(line, k + 1)));
  if (candidates.length !== header.candidates) throw new ArchiveError(`${path} holds ${candidates.length} candidates, its header says ${header.candidates} (cut short?)`);
  return { meta: header.meta ?? {}, candidates };
}

/**
 * Rebuilds the store at `storeFile` from the archive at `path`: the same reports in the same order,
 * with the population size of the saved configuration. Built beside and renamed into place, so a
 * restore that is killed leaves no half store. Refuses to overwrite an existing store.
 */
export function restoreArchive(path: string, storeFile: string): number {
  if (existsSync(storeFile)) throw new ArchiveError(`${storeFile} exists; a restore only creates a store`);
  const { meta, candidates } = readArchive(path);
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
  } finally {
    store.close();
  }
  renameSync(building, storeFile);
  return candidates.length;
}
