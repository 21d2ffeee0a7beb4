/** Reads a finished or running search's history from its run folder (SQLite, else history.jsonl) or its selection service. */
import { existsSync } from 'node:fs';
import type { ChannelCredentials } from '@grpc/grpc-js';
import { SelectionServiceClient, type Candidate } from '@evonorm/contracts';
import { channelCredentials, unaryCall } from '@evonorm/rpc';
import { SearchStore, readArchive } from '@evonorm/store';
import { archivePath, readRun, storePath, type RunRecord } from './run-folder.js';

/** `channel`: credentials for a remote selection service (plaintext by default). */
export async function readHistory(dir: string, channel: ChannelCredentials = channelCredentials()): Promise<{ record: RunRecord; history: Candidate[] }> {
  const record = readRun(dir);
  if (existsSync(storePath(dir))) {
    const store = SearchStore.open(storePath(dir), { readOnly: true });
    try {
      const history: Candidate[] = [];
      for (let page = store.page(0, 1000, false); ; page = store.page(page.next, 1000, false)) {
        history.push(...page.candidates);
        if (page.next === undefined) break;
      }
      return { record, history };
    } finally {
      store.close();
    }
  }
  if (existsSync(archivePath(dir))) return { record, history: readArchive(archivePath(dir)).candidates };
  if (!record.addresses) return { record, history: [] };
  const client = new SelectionServiceClient(record.addresses.selection, channel);
  try {
    const history: Candidate[] = [];
    let pageToken = '';
    do {
      const page = await unaryCall<object, { candidates: Candidate[]; nextPageToken: string }>(client, 'listHistory', { pageSize: 1000, pageToken, acceptedOnly: false }, { deadlineMs: 30_000 });
      history.push(...page.candidates);
      pageToken = page.nextPageToken;
    } while (pageToken);
    return { record, history };
  } finally {
    client.close();
  }
}
