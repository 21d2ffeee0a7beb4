/** The cost objective (--objectives accuracy,cost): tournaments and the front weigh inference cost too. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { credentials } from '@grpc/grpc-js';
import { zooLayer } from '@evonorm/graph';
import { Candidate, Objective, SelectionServiceClient, graphToProto } from '@evonorm/contracts';
import { callUnary, spawnService, type SpawnedService } from '@evonorm/rpc';

const MAIN = fileURLToPath(new URL('../src/main.js', import.meta.url));
const GRAPH = graphToProto(zooLayer('evonorm-s0').graph);

/** An evaluated candidate with the same accuracy on both architectures and, where given, a cost ratio. */
function priced(n: number, accuracy: number, ratio?: number): Candidate {
  const hash = (n + 1).toString(16).padStart(16, '0');
  return Candidate.fromPartial({
    id: `c${n}`,
    graph: GRAPH,
    hashes: { structural: hash, functional: hash },
    fitness: {
      scores: [
        { architecture: 'resnet_v2', accuracy },
        { architecture: 'mobilenet_v2', accuracy },
      ],
    },
    ...(ratio === undefined ? {} : { cost: { ratio, layerMs: ratio / 10, referenceMs: 0.1, executionProvider: 'cpu', shape: [8, 64, 32, 32], clock: 'cpu_time' } }),
  });
}

// c0 is the most accurate and slow; c1 less accurate and as fast as BN-ReLU; c2 is beaten by c1 on
// both; c3 is beaten by c0 on accuracy and has no measured cost (worst on cost).
const HISTORY = [priced(0, 0.9, 8), priced(1, 0.7, 1), priced(2, 0.6, 2), priced(3, 0.8)];

async function parentsOver(client: SelectionServiceClient, draws: number): Promise<Set<string>> {
  const ids = new Set<string>();
  for (let seed = 1n; seed <= BigInt(draws); seed++) {
    const drawn = await callUnary<unknown, { parent: Candidate }>(client, 'sampleParent', { seed });
    assert.ok(drawn.response, drawn.details);
    ids.add(drawn.response!.parent.id);
  }
  return ids;
}

describe('selection service: --objectives accuracy,cost', () => {
  const services: SpawnedService[] = [];
  const clients: SelectionServiceClient[] = [];
  const start = async (objectives: string): Promise<SelectionServiceClient> => {
    const service = await spawnService(MAIN, ['--population', '8', '--tournament-fraction', '1', '--architectures', 'resnet_v2,mobilenet_v2', '--objectives', objectives]);
    services.push(service);
    const client = new SelectionServiceClient(service.address, credentials.createInsecure());
    clients.push(client);
    for (const c of HISTORY) {
      const reported = await callUnary(client, 'reportCandidate', { candidate: c });
      assert.ok(reported.response, reported.details);
    }
    return client;
  };
  after(async () => {
    for (const client of clients) client.close();
    for (const service of services) if (service.process.exitCode === null) await service.stop('SIGKILL');
  });

  it('draws the winner from the members no other beats on mean accuracy and cost together', async () => {
    const client = await start('accuracy,cost');
    const config = await callUnary<unknown, { config: { objectives: Objective[] } }>(client, 'getSearch', {});
    assert.deepEqual(config.response!.config.objectives, [Objective.OBJECTIVE_ACCURACY, Objective.OBJECTIVE_COST]);
    assert.deepEqual([...(await parentsOver(client, 40))].sort(), ['c0', 'c1'], 'the accurate slow layer and the fast one, never the dominated two');
    const front = await callUnary<unknown, { candidates: Candidate[] }>(client, 'getParetoFront', { history: true });
    assert.deepEqual(front.response!.candidates.map((c) => c.id).sort(), ['c0', 'c1']);
  });

  it('by accuracy alone (the default) the most accurate always wins and cost plays no part', async () => {
    const client = await start('accuracy');
    assert.deepEqual([...(await parentsOver(client, 10))], ['c0']);
    const front = await callUnary<unknown, { candidates: Candidate[] }>(client, 'getParetoFront', { history: true });
    assert.deepEqual(
      front.response!.candidates.map((c) => c.id),
      ['c0'],
    );
  });

  it('refuses objectives without accuracy, or unknown ones, with the flag named', () => {
    for (const [objectives, message] of [
      ['cost', /--objectives must include accuracy/],
      ['accuracy,speed', /--objectives/],
    ] as const) {
      const run = spawnSync(process.execPath, [MAIN, '--port', '0', '--objectives', objectives], { encoding: 'utf8', timeout: 30_000 });
      assert.equal(run.status, 2, run.stderr);
      assert.match(run.stderr, message);
    }
  });
});
