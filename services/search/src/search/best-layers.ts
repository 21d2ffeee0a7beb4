/** A search's best layers as validated graphs, ranked and named the way `export --from` names its files. */
import type { ChannelCredentials } from '@grpc/grpc-js';
import type { Candidate } from '@evonorm/contracts';
import { graphFromProto } from '@evonorm/contracts';
import type { NamedLayer } from '../layers.js';
import { FlagError } from '@evonorm/rpc';
import { readHistory } from './history.js';
import { topCandidates } from './ranking.js';

export interface BestLayer extends NamedLayer {
  /** 1-based rank by mean accuracy. */
  readonly rank: number;
  readonly candidate: Candidate;
}

/** The top `n` evaluated layers of the search in `dir`, named "<rank>-<candidate id>" (`channel`: for a remote selection service). */
export async function bestLayers(dir: string, n: number, channel?: ChannelCredentials): Promise<BestLayer[]> {
  const { history } = await readHistory(dir, channel);
  const best = topCandidates(history, n);
  if (best.length === 0) throw new FlagError(`${dir} has no evaluated candidates yet`);
  return best.map((candidate, i) => {
    const parsed = graphFromProto(candidate.graph, {});
    if (!parsed.ok) throw new Error(`${candidate.id}: stored graph is invalid: ${parsed.problems[0]?.message}`);
    return { name: `${i + 1}-${candidate.id}`, rank: i + 1, candidate, graph: parsed.graph };
  });
}
