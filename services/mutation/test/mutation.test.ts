import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { credentials, status } from '@grpc/grpc-js';
import { Rng, zooLayer } from '@evonorm/graph';
import { IndexSet, MutateRequest, MutationServiceClient, Op, RandomGraphRequest, RandomGraphResponse, SearchSpace, graphFromProto, graphToProto, type LayerGraph } from '@evonorm/contracts';
import { callRaw, callUnary, healthStatus, reflectionServices, spawnService, type SpawnedService } from '@evonorm/rpc';

const MAIN = fileURLToPath(new URL('../src/main.js', import.meta.url));
const S0 = graphToProto(zooLayer('evonorm-s0').graph);
const BN = graphToProto(zooLayer('bn-relu').graph);
const space = (s: Partial<SearchSpace>): SearchSpace => SearchSpace.fromPartial(s);
const node = (op: Op, inputs: number[], indexSet = IndexSet.INDEX_SET_UNSPECIFIED) => ({ op, inputs, indexSet });

describe('mutation service (separate process, generated client)', () => {
  let service: SpawnedService;
  let client: MutationServiceClient;
  const call = <T>(method: string, request: unknown) => callUnary<unknown, T>(client, method, request);

  before(async () => {
    service = await spawnService(MAIN);
    client = new MutationServiceClient(service.address, credentials.createInsecure());
  });
  after(async () => {
    client.close();
    if (service.process.exitCode === null) await service.stop('SIGKILL');
  });

  it('answers every RPC', async () => {
    const random = await call<{ graph: LayerGraph; structuralHash: string }>('randomGraph', { seed: 7n, space: { batchIndependent: true, minNodes: 3, maxNodes: 6 } });
    assert.equal(random.code, status.OK, random.details);
    const parsed = graphFromProto(random.response!.graph, { batchIndependent: true });
    assert.ok(parsed.ok && parsed.graph.nodes.length >= 3 && parsed.graph.nodes.length <= 6);
    const again = await call<{ graph: LayerGraph }>('randomGraph', { seed: 7n, space: { batchIndependent: true, minNodes: 3, maxNodes: 6 } });
    assert.deepEqual(again.response!.graph, random.response!.graph, 'the same seed gives the same graph');

    const mutated = await call<{ child: LayerGraph; mutatedIndex: number }>('mutate', { parent: S0, seed: 3n });
    assert.equal(mutated.code, status.OK, mutated.details);
    assert.ok(graphFromProto(mutated.response!.child).ok);
    assert.notDeepEqual(mutated.response!.child, S0);

    const canonical = await call<{ canonical: LayerGraph; structuralHash: string; idMap: number[] }>('canonicalize', { graph: S0 });
    assert.equal(canonical.code, status.OK);
    assert.match(canonical.response!.structuralHash, /^[0-9a-f]{16}$/);
    assert.equal(canonical.response!.idMap.length, 9);

    const formula = await call<{ formula: { text: string; latex: string } }>('renderFormula', { graph: S0 });
    assert.equal(formula.response!.formula.text, 'x·σ(v1·x) / √(s²_{w,h,c/g}(x)+ε)');
    assert.match(formula.response!.formula.latex, /\\frac/);
  });

  it('reports health and lists every service through reflection', async () => {
    assert.equal(await healthStatus(service.address, 'evonorm.v1.MutationService'), 'SERVING');
    assert.equal(await healthStatus(service.address, ''), 'SERVING');
    const names = await reflectionServices(service.address);
    assert.deepEqual(names, ['evonorm.v1.MutationService', 'grpc.health.v1.Health'].sort());
  });

  const BAD: Array<{ name: string; method: string; request: unknown; code: status; says: RegExp }> = [
    { name: 'missing parent', method: 'mutate', request: { seed: 1n }, code: status.INVALID_ARGUMENT, says: /^parent: a layer graph is required/ },
    { name: 'empty graph', method: 'mutate', request: { parent: { nodes: [] }, seed: 1n }, code: status.INVALID_ARGUMENT, says: /parent: .*no intermediate nodes/ },
    {
      name: 'cycle',
      method: 'mutate',
      request: { parent: { nodes: [node(Op.OP_ADD, [0, 5]), node(Op.OP_NEG, [4])] }, seed: 1n },
      code: status.INVALID_ARGUMENT,
      says: /parent\.nodes\[0\]\.inputs\[1\]: node 4 .*cycle/,
    },
    { name: 'unknown op', method: 'canonicalize', request: { graph: { nodes: [node(99 as Op, [0])] } }, code: status.INVALID_ARGUMENT, says: /graph\.nodes\[0\]\.op: .*unknown op "UNRECOGNIZED"/ },
    {
      name: 'out-of-range input',
      method: 'renderFormula',
      request: { graph: { nodes: [node(Op.OP_NEG, [50])] } },
      code: status.INVALID_ARGUMENT,
      says: /graph\.nodes\[0\]\.inputs\[0\]: .*input 0 is 50/,
    },
    {
      name: 'aggregate without index set',
      method: 'canonicalize',
      request: { graph: { nodes: [node(Op.OP_STD, [0])] } },
      code: status.INVALID_ARGUMENT,
      says: /graph\.nodes\[0\]\.axes: .*without an index set/,
    },
    {
      name: 'batch aggregate in a batch-independent search',
      method: 'mutate',
      request: { parent: BN, seed: 1n, space: space({ batchIndependent: true }) },
      code: status.INVALID_ARGUMENT,
      says: /parent\.nodes\[0\]\.axes: .*aggregates over the batch/,
    },
    { name: 'too many nodes', method: 'randomGraph', request: { seed: 1n, space: space({ maxNodes: 11 }) }, code: status.INVALID_ARGUMENT, says: /^space\.max_nodes: at most 10/ },
    {
      name: 'min above max',
      method: 'randomGraph',
      request: { seed: 1n, space: space({ minNodes: 5, maxNodes: 3 }) },
      code: status.INVALID_ARGUMENT,
      says: /^space\.min_nodes: must not exceed max_nodes/,
    },
  ];
  for (const bad of BAD) {
    it(`answers bad input with ${status[bad.code]}: ${bad.name}`, async () => {
      const out = await call(bad.method, bad.request);
      assert.equal(out.code, bad.code, out.details);
      assert.match(out.details, bad.says);
    });
  }

  it('answers undecodable bytes, wrong wire types and oversized messages, and keeps serving', async () => {
    const path = '/evonorm.v1.MutationService/Mutate';
    const garbage = await callRaw(service.address, path, Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]));
    assert.equal(garbage.code, status.INVALID_ARGUMENT, garbage.details);
    assert.match(garbage.details, /^request: not a valid MutateRequest message/);
    // Field 1 (parent) sent as a varint instead of a message.
    const wrongType = await callRaw(service.address, path, Buffer.from([0x08, 0x05]));
    assert.equal(wrongType.code, status.INVALID_ARGUMENT, wrongType.details);
    // Every uint64 is a seed, beyond 2^53 too: distinct large seeds give distinct, repeatable graphs.
    const graphFor = async (seed: bigint) => {
      const bytes = RandomGraphRequest.encode({ seed, space: space({}) }).finish();
      const out = await callRaw(service.address, '/evonorm.v1.MutationService/RandomGraph', Buffer.from(bytes));
      assert.equal(out.code, status.OK, out.details);
      return RandomGraphResponse.decode(out.response!).structuralHash;
    };
    const largest = await graphFor(2n ** 64n - 1n);
    assert.equal(await graphFor(2n ** 64n - 1n), largest);
    const others = await Promise.all([2n ** 64n - 2n, 2n ** 63n, 2n ** 60n].map(graphFor));
    assert.equal(new Set([largest, ...others]).size, 4);
    const huge = await callRaw(service.address, path, Buffer.alloc(5 * 1024 * 1024, 1));
    assert.equal(huge.code, status.RESOURCE_EXHAUSTED, huge.details);
    const ok = await call('canonicalize', { graph: S0 });
    assert.equal(ok.code, status.OK);
  });

  it('survives 1,000 randomly mutated request payloads, answering each with a clear status', async () => {
    const rng = Rng.fromSeed(42);
    const seeds = [
      ['/evonorm.v1.MutationService/Mutate', Buffer.from(MutateRequest.encode({ parent: S0, seed: 1n, space: undefined }).finish())],
      ['/evonorm.v1.MutationService/Canonicalize', Buffer.from(MutateRequest.encode({ parent: BN, seed: 2n, space: undefined }).finish())],
      ['/evonorm.v1.MutationService/RandomGraph', Buffer.from(RandomGraphRequest.encode({ seed: 9n, space: { batchIndependent: false, minNodes: 2, maxNodes: 8 } }).finish())],
    ] as const;
    const codes = new Map<string, number>();
    for (let i = 0; i < 1000; i++) {
      const [path, valid] = seeds[i % seeds.length]!;
      const bytes = Buffer.from(valid);
      for (let k = 0; k < 1 + rng.int(4); k++) {
        const at = rng.int(bytes.length);
        const kind = rng.int(3);
        if (kind === 0) bytes[at] = rng.int(256);
        else if (kind === 1) bytes[at] = bytes[at]! ^ (1 << rng.int(8));
        else bytes[at] = 0xff;
      }
      const cut = rng.int(4) === 0 ? bytes.subarray(0, rng.int(bytes.length)) : bytes;
      const out = await callRaw(service.address, path, Buffer.from(cut));
      codes.set(status[out.code], (codes.get(status[out.code]) ?? 0) + 1);
      assert.ok([status.OK, status.INVALID_ARGUMENT].includes(out.code), `payload ${i}: ${status[out.code]} ${out.details}`);
    }
    assert.ok((codes.get('INVALID_ARGUMENT') ?? 0) > 100, JSON.stringify([...codes]));
    assert.equal((await call('renderFormula', { graph: S0 })).code, status.OK, 'still serving');
    assert.ok(!/"level":"error"/.test(service.stderr()), 'no internal errors logged');
  });

  it('shuts down on SIGTERM with exit code 0', async () => {
    assert.equal(await service.stop('SIGTERM'), 0);
  });
});

describe('mutation service over TLS', () => {
  it('serves TLS clients with the given certificate and refuses plaintext ones', async () => {
    const fixtures = fileURLToPath(new URL('../../test/fixtures/', import.meta.url));
    const tls = await spawnService(MAIN, ['--tls-cert', `${fixtures}test-cert.pem`, '--tls-key', `${fixtures}test-key.pem`]);
    const ca = readFileSync(`${fixtures}test-cert.pem`);
    const secure = new MutationServiceClient(tls.address, credentials.createSsl(ca));
    const ok = await callUnary<unknown, { formula: { text: string } }>(secure, 'renderFormula', { graph: S0 });
    assert.equal(ok.code, status.OK, ok.details);
    const plain = new MutationServiceClient(tls.address, credentials.createInsecure());
    const refused = await callUnary(plain, 'renderFormula', { graph: S0 }, 3000);
    assert.notEqual(refused.code, status.OK);
    secure.close();
    plain.close();
    assert.equal(await tls.stop('SIGTERM'), 0);
  });
});
