import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { credentials, status } from '@grpc/grpc-js';
import { Rng, zooLayer } from '@evonorm/graph';
import { Candidate, RejectionReason, ReportCandidateRequest, SelectionServiceClient, graphToProto } from '@evonorm/contracts';
import { callRaw, callUnary, spawnService, type SpawnedService } from '@evonorm/rpc';

const MAIN = fileURLToPath(new URL('../src/main.js', import.meta.url));
const GRAPH = graphToProto(zooLayer('evonorm-s0').graph);
const hex = (n: number): string => n.toString(16).padStart(16, '0');
const evaluated = (id: string, accuracies: [number, number], hash = hex(Number(id.replace(/\D/g, '')) + 1)): Candidate =>
  Candidate.fromPartial({
    id,
    graph: GRAPH,
    hashes: { structural: hash, functional: hash },
    fitness: {
      scores: [
        { architecture: 'resnet_v2', accuracy: accuracies[0] },
        { architecture: 'mobilenet_v2', accuracy: accuracies[1] },
      ],
    },
  });

describe('selection service (separate process, generated client)', () => {
  let service: SpawnedService;
  let client: SelectionServiceClient;
  const call = <T>(method: string, request: unknown) => callUnary<unknown, T>(client, method, request);
  const report = (c: Candidate) => call<{ sequence: bigint; enteredPopulation: boolean; evictedId: string; alreadyReported: boolean }>('reportCandidate', { candidate: c });

  before(async () => {
    service = await spawnService(MAIN, ['--population', '4', '--tournament-fraction', '1', '--architectures', 'resnet_v2,mobilenet_v2']);
    client = new SelectionServiceClient(service.address, credentials.createInsecure());
  });
  after(async () => {
    client.close();
    if (service.process.exitCode === null) await service.stop('SIGKILL');
  });

  it('refuses to sample from an empty population', async () => {
    const out = await call('sampleParent', { seed: 1n });
    assert.equal(out.code, status.FAILED_PRECONDITION);
    assert.match(out.details, /population is empty/);
  });

  it('keeps the population, ages out the oldest, and picks the best of a tournament', async () => {
    const accs: Array<[number, number]> = [
      [0.5, 0.5],
      [0.9, 0.8],
      [0.6, 0.7],
      [0.7, 0.2],
      [0.3, 0.95],
    ];
    const outcomes = [];
    for (let i = 0; i < accs.length; i++) outcomes.push((await report(evaluated(`c${i}`, accs[i]!))).response!);
    assert.deepEqual(
      outcomes.map((o) => o.sequence),
      [1n, 2n, 3n, 4n, 5n],
    );
    assert.equal(outcomes[4]!.evictedId, 'c0', 'the oldest member leaves when a fifth enters a population of 4');
    const population = await call<{ candidates: Candidate[] }>('listPopulation', { limit: 0 });
    assert.deepEqual(
      population.response!.candidates.map((c) => c.id),
      ['c1', 'c2', 'c3', 'c4'],
    );
    // Tournament of the whole population (fraction 1), average criterion: c1 has the best mean.
    const parent = await call<{ parent: Candidate; tournament: string[] }>('sampleParent', { seed: 3n });
    assert.equal(parent.response!.parent.id, 'c1');
    assert.equal(parent.response!.tournament.length, 4);
    const front = await call<{ candidates: Candidate[] }>('getParetoFront', { history: false });
    assert.deepEqual(front.response!.candidates.map((c) => c.id).sort(), ['c1', 'c4']);
  });

  it('draws from the population as of an earlier report (as_of), and refuses one not reported yet', async () => {
    type Drawn = { parent: Candidate; tournament: string[]; population: number };
    // After 4 reports the population was c0..c3 (c4 had not evicted c0): c1 still wins the whole-population tournament.
    const earlier = await call<Drawn>('sampleParent', { seed: 3n, asOf: 4n });
    assert.deepEqual([earlier.response!.tournament.sort(), earlier.response!.population], [['c0', 'c1', 'c2', 'c3'], 4]);
    const early = await call<Drawn>('sampleParent', { seed: 3n, asOf: 1n });
    assert.deepEqual([early.response!.parent.id, early.response!.population], ['c0', 1]);
    const now = await call<Drawn>('sampleParent', { seed: 3n });
    assert.equal(now.response!.population, 4);
    const empty = await call('sampleParent', { seed: 3n, asOf: 0n });
    assert.equal(empty.code, status.FAILED_PRECONDITION);
    assert.match(empty.details, /population was empty after the first 0 reports/);
    const ahead = await call('sampleParent', { seed: 3n, asOf: 99n });
    assert.equal(ahead.code, status.INVALID_ARGUMENT);
    assert.match(ahead.details, /as_of.*at most the 5 candidates reported so far, got 99/);
  });

  it('is idempotent by candidate id, records rejections, and finds evaluations by functional hash', async () => {
    const again = await report(evaluated('c1', [0.1, 0.1]));
    assert.equal(again.response!.alreadyReported, true);
    assert.equal(again.response!.sequence, 2n);
    const rejected = await report(Candidate.fromPartial({ id: 'r1', graph: GRAPH, rejection: { reason: RejectionReason.REJECTION_REASON_UNSTABLE, detail: 'norm 3e9' } }));
    assert.equal(rejected.response!.enteredPopulation, false);
    const found = await call<{ found: boolean; candidate: Candidate }>('lookupFunctionalHash', { functionalHash: hex(2) });
    assert.equal(found.response!.found, true);
    assert.equal(found.response!.candidate.id, 'c1');
    assert.equal((await call<{ found: boolean }>('lookupFunctionalHash', { functionalHash: hex(999) })).response!.found, false);
    const stats = await call<{ candidates: bigint; evaluated: bigint; rejectionsByReason: Record<string, bigint>; best: Candidate }>('getStatistics', {});
    assert.equal(stats.response!.candidates, 6n);
    assert.equal(stats.response!.evaluated, 5n);
    assert.deepEqual(stats.response!.rejectionsByReason, { REJECTION_REASON_UNSTABLE: 1n });
    assert.equal(stats.response!.best.id, 'c1');
  });

  it('pages through the history', async () => {
    const first = await call<{ candidates: Candidate[]; nextPageToken: string }>('listHistory', { pageSize: 4, pageToken: '', acceptedOnly: false });
    assert.deepEqual(
      first.response!.candidates.map((c) => c.id),
      ['c0', 'c1', 'c2', 'c3'],
    );
    const second = await call<{ candidates: Candidate[]; nextPageToken: string }>('listHistory', { pageSize: 4, pageToken: first.response!.nextPageToken, acceptedOnly: false });
    assert.deepEqual(
      second.response!.candidates.map((c) => c.id),
      ['c4', 'r1'],
    );
    assert.equal(second.response!.nextPageToken, '');
  });

  it('keeps every per-seed score of a multi-seed evaluation, 64-bit seeds included', async () => {
    const seeds = [2n ** 64n - 1n, 7n, 123456789012345n];
    const multi = Candidate.fromPartial({
      id: 'm1',
      graph: GRAPH,
      hashes: { structural: hex(77), functional: hex(77) },
      fitness: {
        scores: [
          { architecture: 'resnet_v2', accuracy: 0.5, seedAccuracies: [0.4, 0.5, 0.6], seeds },
          { architecture: 'mobilenet_v2', accuracy: 0.3, seedAccuracies: [0.2, 0.3, 0.4], seeds },
        ],
        meanAccuracy: 0.4,
      },
    });
    assert.equal((await report(multi)).code, status.OK);
    const found = await call<{ found: boolean; candidate: Candidate }>('lookupFunctionalHash', { functionalHash: hex(77) });
    assert.deepEqual(
      found.response!.candidate.fitness!.scores.map((s) => [s.seedAccuracies, s.seeds]),
      [
        [[0.4, 0.5, 0.6], seeds],
        [[0.2, 0.3, 0.4], seeds],
      ],
    );
  });

  const BAD: Array<[string, string, unknown, RegExp]> = [
    ['missing candidate', 'reportCandidate', {}, /^candidate: a candidate is required/],
    ['empty id', 'reportCandidate', { candidate: Candidate.fromPartial({ graph: GRAPH, rejection: { reason: 1 } }) }, /^candidate\.id: must be 1-128 characters/],
    [
      'malformed graph',
      'reportCandidate',
      { candidate: Candidate.fromPartial({ id: 'x', graph: { nodes: [{ op: 2, inputs: [9, 0], indexSet: 0 }] }, rejection: { reason: 1 } }) },
      /candidate\.graph\.nodes\[0\]\.inputs\[0\]/,
    ],
    ['no outcome', 'reportCandidate', { candidate: Candidate.fromPartial({ id: 'x', graph: GRAPH }) }, /^candidate: needs an outcome/],
    [
      'unknown architecture',
      'reportCandidate',
      { candidate: Candidate.fromPartial({ id: 'x', graph: GRAPH, fitness: { scores: [{ architecture: 'vgg', accuracy: 0.5 }] } }) },
      /^candidate\.fitness\.scores\[0\]\.architecture: "vgg" is not one of this search's architectures/,
    ],
    [
      'accuracy out of range',
      'reportCandidate',
      { candidate: Candidate.fromPartial({ id: 'x', graph: GRAPH, fitness: { scores: [{ architecture: 'resnet_v2', accuracy: 7 }] } }) },
      /^candidate\.fitness\.scores\[0\]\.accuracy: must be in \[0, 1\]/,
    ],
    [
      'rung score of another architecture',
      'reportCandidate',
      { candidate: Candidate.fromPartial({ id: 'x', graph: GRAPH, rejection: { reason: 10 }, rungScores: [{ architecture: 'vgg', accuracy: 0.5 }] }) },
      /^candidate\.rung_scores\[0\]\.architecture: "vgg" is not one of this search's architectures/,
    ],
    [
      'rung score out of range',
      'reportCandidate',
      { candidate: Candidate.fromPartial({ id: 'x', graph: GRAPH, rejection: { reason: 10 }, rungScores: [{ architecture: 'resnet_v2', accuracy: -0.1 }] }) },
      /^candidate\.rung_scores\[0\]\.accuracy: must be in \[0, 1\], got -0\.1/,
    ],
    [
      'seed accuracy out of range',
      'reportCandidate',
      { candidate: Candidate.fromPartial({ id: 'x', graph: GRAPH, fitness: { scores: [{ architecture: 'resnet_v2', accuracy: 0.5, seedAccuracies: [0.5, 1.5] }] } }) },
      /^candidate\.fitness\.scores\[0\]\.seed_accuracies\[1\]: must be in \[0, 1\]/,
    ],
    [
      'seeds not matching seed accuracies',
      'reportCandidate',
      { candidate: Candidate.fromPartial({ id: 'x', graph: GRAPH, fitness: { scores: [{ architecture: 'resnet_v2', accuracy: 0.5, seedAccuracies: [0.4, 0.6], seeds: [1n] }] } }) },
      /^candidate\.fitness\.scores\[0\]\.seeds: must name the seed of each/,
    ],
    [
      'accuracy not the mean of its seeds',
      'reportCandidate',
      { candidate: Candidate.fromPartial({ id: 'x', graph: GRAPH, fitness: { scores: [{ architecture: 'resnet_v2', accuracy: 0.9, seedAccuracies: [0.4, 0.6], seeds: [1n, 2n] }] } }) },
      /^candidate\.fitness\.scores\[0\]\.accuracy: must be the mean of seed_accuracies/,
    ],
    [
      'cost ratio not a number',
      'reportCandidate',
      { candidate: Candidate.fromPartial({ ...evaluated('x', [0.5, 0.5]), cost: { ratio: NaN, layerMs: 1, referenceMs: 1, executionProvider: 'cpu', shape: [8, 64, 32, 32], clock: 'cpu_time' } }) },
      /^candidate\.cost\.ratio: must be a finite non-negative number, got NaN/,
    ],
    [
      'cost ratio not its times’ ratio',
      'reportCandidate',
      { candidate: Candidate.fromPartial({ ...evaluated('x', [0.5, 0.5]), cost: { ratio: 3, layerMs: 1, referenceMs: 1, executionProvider: 'cpu', shape: [8, 64, 32, 32], clock: 'cpu_time' } }) },
      /^candidate\.cost\.ratio: must be layer_ms \/ reference_ms \(1\), got 3/,
    ],
    [
      'cost of an unknown provider',
      'reportCandidate',
      { candidate: Candidate.fromPartial({ ...evaluated('x', [0.5, 0.5]), cost: { ratio: 2, layerMs: 2, referenceMs: 1, executionProvider: 'tpu', shape: [8, 64, 32, 32], clock: 'wall' } }) },
      /^candidate\.cost\.execution_provider: must be cpu or cuda, got "tpu"/,
    ],
    ['bad functional hash', 'lookupFunctionalHash', { functionalHash: 'xyz' }, /^functional_hash: must be 16 lowercase hex/],
    ['oversized page', 'listHistory', { pageSize: 5000, pageToken: '', acceptedOnly: false }, /^page_size: at most 1000/],
    ['bad page token', 'listHistory', { pageSize: 10, pageToken: 'abc', acceptedOnly: false }, /^page_token: use the next_page_token/],
  ];
  for (const [name, method, request, says] of BAD) {
    it(`answers bad input with INVALID_ARGUMENT: ${name}`, async () => {
      const out = await call(method, request);
      assert.equal(out.code, status.INVALID_ARGUMENT, out.details);
      assert.match(out.details, says);
    });
  }

  it('survives 1,000 randomly mutated reports and keeps serving', async () => {
    const rng = Rng.fromSeed(11);
    const valid = Buffer.from(ReportCandidateRequest.encode({ candidate: evaluated('f1', [0.4, 0.4]) }).finish());
    for (let i = 0; i < 1000; i++) {
      const bytes = Buffer.from(valid);
      for (let k = 0; k < 1 + rng.int(3); k++) bytes[rng.int(bytes.length)] = rng.int(256);
      const out = await callRaw(service.address, '/evonorm.v1.SelectionService/ReportCandidate', rng.int(5) === 0 ? bytes.subarray(0, rng.int(bytes.length)) : bytes);
      assert.ok([status.OK, status.INVALID_ARGUMENT].includes(out.code), `payload ${i}: ${status[out.code]} ${out.details}`);
    }
    assert.equal((await call('getStatistics', {})).code, status.OK);
    assert.ok(!/"level":"error"/.test(service.stderr()), 'no internal errors logged');
  });
});

describe('selection service with a full-range seed', () => {
  it('takes --seed 2^64-1, reports it back whole, and draws tournaments from any uint64 seed', async () => {
    const service = await spawnService(MAIN, ['--population', '4', '--tournament-fraction', '0.5', '--architectures', 'resnet_v2,mobilenet_v2', '--seed', '18446744073709551615']);
    const client = new SelectionServiceClient(service.address, credentials.createInsecure());
    try {
      const search = await callUnary<unknown, { config: { seed: bigint } }>(client, 'getSearch', {});
      assert.equal(search.response!.config.seed, 2n ** 64n - 1n);
      for (let i = 0; i < 4; i++) await callUnary(client, 'reportCandidate', { candidate: evaluated(`s${i}`, [0.2 * i, 0.5]) });
      const draw = async (seed: bigint) => (await callUnary<unknown, { tournament: string[] }>(client, 'sampleParent', { seed })).response!.tournament.join(',');
      assert.equal(await draw(2n ** 64n - 1n), await draw(2n ** 64n - 1n), 'the same seed draws the same tournament');
      const draws = new Set(await Promise.all(Array.from({ length: 8 }, (_, i) => draw(2n ** 64n - 1n - BigInt(i)))));
      assert.ok(draws.size > 1, 'seeds that differ only in their low bits draw different tournaments');
    } finally {
      client.close();
      await service.stop('SIGKILL');
    }
  });

  it('refuses a --seed outside the uint64 range, naming the flag', async () => {
    await assert.rejects(spawnService(MAIN, ['--seed', '18446744073709551616']), /--seed must be an integer in \[0, 2\^64 - 1/);
  });
});

describe('selection service with a database', () => {
  it('keeps every acknowledged report across a SIGKILL and continues after a restart', async () => {
    const db = join(mkdtempSync(join(tmpdir(), 'selection-')), 'search.sqlite');
    const args = ['--population', '3', '--architectures', 'resnet_v2,mobilenet_v2', '--db', db];
    const first = await spawnService(MAIN, args);
    let client = new SelectionServiceClient(first.address, credentials.createInsecure());
    for (let i = 0; i < 5; i++) {
      const out = await callUnary<unknown, { sequence: bigint }>(client, 'reportCandidate', { candidate: evaluated(`p${i}`, [0.1 * i, 0.5]) });
      assert.equal(out.response!.sequence, BigInt(i + 1));
    }
    client.close();
    await first.stop('SIGKILL');
    const second = await spawnService(MAIN, args);
    client = new SelectionServiceClient(second.address, credentials.createInsecure());
    const population = await callUnary<unknown, { candidates: Candidate[] }>(client, 'listPopulation', { limit: 0 });
    assert.deepEqual(
      population.response!.candidates.map((c) => c.id),
      ['p2', 'p3', 'p4'],
    );
    const next = await callUnary<unknown, { sequence: bigint; evictedId: string }>(client, 'reportCandidate', { candidate: evaluated('p5', [0.9, 0.9]) });
    assert.deepEqual([next.response!.sequence, next.response!.evictedId], [6n, 'p2']);
    const again = await callUnary<unknown, { alreadyReported: boolean }>(client, 'reportCandidate', { candidate: evaluated('p1', [0.1, 0.5]) });
    assert.equal(again.response!.alreadyReported, true, 'reports before the crash are still known');
    client.close();
    await second.stop('SIGTERM');
  });
});
