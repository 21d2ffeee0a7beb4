/**
 * Our contracts outside TypeScript: a Python client (Debian's python3-grpcio, stubs generated from
 * proto/ at test time by Debian's protoc and grpc_python_plugin into a temp dir) calls the mutation,
 * selection and rejection services, each a separate process on a loopback ephemeral port, with
 * full-range uint64 seeds (2^64-1, as Python's random.getrandbits(64) may give), and the test
 * checks what it saw, against our own generated TypeScript client where both can ask.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { status } from '@grpc/grpc-js';
import { zooLayer } from '@evonorm/graph';
import { LayerGraph, RandomGraphRequest, RandomGraphResponse, graphToProto } from '@evonorm/contracts';
import { callRaw, spawnService, type SpawnedService } from '@evonorm/rpc';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const PYTHON = process.env.EVONORM_PYTHON ?? '/usr/bin/python3';
const MAX = 2n ** 64n - 1n;
const main = (service: string): string => join(ROOT, 'services', service, 'dist', 'src', 'main.js');

interface Seen {
  readonly grpcVersion: string;
  readonly randomGraph: Record<'max' | 'maxAgain' | 'maxMinus1' | 'drawn', { seed: string; hash: string; graph: string }>;
  readonly mutate: Record<'max' | 'maxAgain' | 'maxMinus1', { hash: string; mutatedIndex: number }>;
  readonly invalid: { tooManyNodes: { code: string; details: string }; missingParent: { code: string; details: string }; seedAboveRange: string };
  readonly selection: { configSeed: string; sequences: string[]; tournaments: Record<string, string[]>; statistics: { candidates: string; evaluated: string }; createdUnixMs: string[] };
  readonly stability: Record<'max' | 'maxAgain' | 'maxMinus1', { accepted: boolean; maxGradientNorm: number; steps: number }>;
  readonly health: Record<string, string[]>;
}

/** protoc with the gRPC Python plugin: message and service stubs for proto/ and grpc.health.v1. */
function generateStubs(out: string): void {
  const health = join(ROOT, 'node_modules', 'grpc-health-check', 'proto');
  const protos = readdirSync(join(ROOT, 'proto', 'evonorm', 'v1'))
    .filter((f) => f.endsWith('.proto'))
    .map((f) => join(ROOT, 'proto', 'evonorm', 'v1', f));
  const r = spawnSync(
    'protoc',
    [
      '-I',
      join(ROOT, 'proto'),
      '-I',
      health,
      `--python_out=${out}`,
      `--grpc_python_out=${out}`,
      '--plugin=protoc-gen-grpc_python=/usr/bin/grpc_python_plugin',
      ...protos,
      join(health, 'health', 'v1', 'health.proto'),
    ],
    { encoding: 'utf8' },
  );
  if (r.error || r.status !== 0) {
    throw new Error(`protoc failed (${r.error?.message ?? r.stderr}); install Debian's protobuf-compiler, protobuf-compiler-grpc and python3-grpcio (.ci/run does)`);
  }
}

describe('a Python gRPC client (stubs generated from proto/ at test time)', () => {
  const services: SpawnedService[] = [];
  let stubs: string;
  let seen: Seen;

  before(async () => {
    stubs = mkdtempSync(join(tmpdir(), 'evonorm-py-'));
    generateStubs(stubs);
    const [mutation, selection, rejection] = await Promise.all([
      spawnService(main('mutation')),
      spawnService(main('selection'), ['--seed', String(MAX), '--population', '4', '--tournament-fraction', '0.5', '--architectures', 'resnet_v2']),
      spawnService(main('rejection'), ['--dataset', 'synthetic', '--threads', '1']),
    ]);
    services.push(mutation!, selection!, rejection!);
    const graph = Buffer.from(LayerGraph.encode(graphToProto(zooLayer('evonorm-s0').graph)).finish()).toString('hex');
    const args = JSON.stringify({ mutation: mutation!.address, selection: selection!.address, rejection: rejection!.address, graph });
    const r = spawnSync(PYTHON, [join(ROOT, 'test', 'interop', 'client.py'), args], { encoding: 'utf8', timeout: 180_000, env: { ...process.env, PYTHONPATH: stubs, PYTHONDONTWRITEBYTECODE: '1' } });
    if (r.error || r.status !== 0) throw new Error(`the Python client failed (${r.error?.message ?? `exit ${r.status}`}):\n${r.stderr}`);
    seen = JSON.parse(r.stdout) as Seen;
  });
  after(async () => {
    await Promise.all(services.map((s) => s.stop('SIGKILL')));
    if (stubs) rmSync(stubs, { recursive: true, force: true });
  });

  it('generates its stubs into a temp dir, from proto/ only', () => {
    for (const file of ['mutation_service_pb2.py', 'mutation_service_pb2_grpc.py', 'selection_service_pb2_grpc.py', 'rejection_service_pb2_grpc.py']) {
      assert.ok(existsSync(join(stubs, 'evonorm', 'v1', file)), file);
    }
    assert.match(seen.grpcVersion, /^\d+\.\d+/);
  });

  it('draws random graphs from seeds 2^64-1 and 2^64-2: accepted, repeatable, different', async () => {
    const g = seen.randomGraph;
    assert.equal(g.max.seed, String(MAX));
    assert.match(g.max.hash, /^[0-9a-f]{16}$/);
    assert.equal(g.maxAgain.graph, g.max.graph, 'the same seed gives the same graph');
    assert.notEqual(g.maxMinus1.hash, g.max.hash, '2^64-1 and 2^64-2 give different graphs');
    assert.match(g.drawn.hash, /^[0-9a-f]{16}$/, `random.getrandbits(64) = ${g.drawn.seed} is a seed`);
    // Our TypeScript client gets the very bytes the Python client got for the same seed.
    const bytes = RandomGraphRequest.encode({ seed: MAX, space: { batchIndependent: false, minNodes: 0, maxNodes: 0 } }).finish();
    const ours = await callRaw(services[0]!.address, '/evonorm.v1.MutationService/RandomGraph', Buffer.from(bytes));
    assert.equal(ours.code, status.OK, ours.details);
    const response = RandomGraphResponse.decode(ours.response!);
    assert.equal(Buffer.from(LayerGraph.encode(response.graph!).finish()).toString('hex'), g.max.graph);
    assert.equal(response.structuralHash, g.max.hash);
  });

  it('mutates with full-range seeds, repeatably', () => {
    assert.deepEqual(seen.mutate.maxAgain, seen.mutate.max);
    assert.match(seen.mutate.maxMinus1.hash, /^[0-9a-f]{16}$/);
  });

  it('reads uint64 fields back whole: the selection seed, sequences, counts, and int64 times', () => {
    const s = seen.selection;
    assert.equal(s.configSeed, '18446744073709551615');
    assert.deepEqual(s.sequences, ['1', '2', '3', '4']);
    assert.deepEqual(s.statistics, { candidates: '4', evaluated: '4' });
    assert.deepEqual(s.createdUnixMs, Array(4).fill('-9223372036854775808'));
    assert.deepEqual(s.tournaments.maxAgain, s.tournaments.max, 'the same seed draws the same tournament');
    assert.ok(Object.values(s.tournaments).every((t) => t.length === 2));
    assert.ok(new Set(Object.values(s.tournaments).map((t) => t.join(','))).size > 1, 'seeds near 2^64 draw different tournaments');
  });

  it('runs the stability test from full-range seeds: same seed, same verdict; another seed, another run', () => {
    const st = seen.stability;
    assert.equal(st.max.steps, 2);
    assert.ok(Number.isFinite(st.max.maxGradientNorm) && st.max.maxGradientNorm > 0);
    assert.deepEqual(st.maxAgain, st.max);
    assert.notEqual(st.maxMinus1.maxGradientNorm, st.max.maxGradientNorm);
  });

  it('asks health and gets SERVING from every service', () => {
    for (const [service, answers] of Object.entries(seen.health)) assert.deepEqual(answers, ['SERVING', 'SERVING'], service);
  });

  it('gets INVALID_ARGUMENT naming the field for bad requests, and cannot even build a seed of 2^64', () => {
    assert.equal(seen.invalid.tooManyNodes.code, 'INVALID_ARGUMENT');
    assert.match(seen.invalid.tooManyNodes.details, /^space\.max_nodes: at most 10/);
    assert.equal(seen.invalid.missingParent.code, 'INVALID_ARGUMENT');
    assert.match(seen.invalid.missingParent.details, /^parent: a layer graph is required/);
    assert.match(seen.invalid.seedAboveRange, /^ValueError/);
  });
});
