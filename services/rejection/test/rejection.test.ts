import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { credentials, status } from '@grpc/grpc-js';
import { Rng, zooLayer, type LayerGraph as IrGraph } from '@evonorm/graph';
import {
  Candidate,
  RejectionReason,
  RejectionServiceClient,
  ScreenRequest,
  SelectionServiceClient,
  TestQualityRequest,
  TestStabilityRequest,
  graphToProto,
  type ScreenResponse,
  type TestQualityResponse,
  type TestStabilityResponse,
} from '@evonorm/contracts';
import { callRaw, callUnary, reflectionServices, spawnService, type SpawnedService } from '@evonorm/rpc';

const MAIN = fileURLToPath(new URL('../src/main.js', import.meta.url));
const TRAINING = fileURLToPath(new URL('../../../training/dist/src/main.js', import.meta.url));
const g = (nodes: IrGraph['nodes']) => graphToProto({ nodes });
const S0 = graphToProto(zooLayer('evonorm-s0').graph);
const BN = graphToProto(zooLayer('bn-relu').graph);
const CONSTANT = g([
  { op: 'mean', inputs: [0], axes: 'whc' },
  { op: 'std', inputs: [4], axes: 'whc' },
]);
const EXP_EXP = g([
  { op: 'exp', inputs: [0] },
  { op: 'exp', inputs: [4] },
]);

describe('rejection service (separate processes: rejection and training)', () => {
  let training: SpawnedService;
  let service: SpawnedService;
  let lonely: SpawnedService;
  let client: RejectionServiceClient;
  let lonelyClient: RejectionServiceClient;
  const screen = (graph: unknown, batchIndependent = false) => callUnary<unknown, ScreenResponse>(client, 'screen', ScreenRequest.fromPartial({ graph: graph as never, batchIndependent }));

  before(async () => {
    training = await spawnService(TRAINING);
    service = await spawnService(MAIN, ['--training-address', training.address, '--dataset', 'synthetic']);
    lonely = await spawnService(MAIN, ['--dataset', 'synthetic']);
    client = new RejectionServiceClient(service.address, credentials.createInsecure());
    lonelyClient = new RejectionServiceClient(lonely.address, credentials.createInsecure());
  });
  after(async () => {
    client.close();
    lonelyClient.close();
    for (const s of [service, lonely, training]) if (s.process.exitCode === null) await s.stop('SIGKILL');
  });

  it('screens: accepts S0 with both hashes; equal functions share a functional hash', async () => {
    const s0 = await screen(S0);
    assert.equal(s0.code, status.OK, s0.details);
    assert.equal(s0.response!.accepted, true);
    assert.match(s0.response!.hashes!.structural, /^[0-9a-f]{16}$/);
    assert.match(s0.response!.hashes!.functional, /^[0-9a-f]{16}$/);
    const square = await screen(g([{ op: 'square', inputs: [0] }]));
    const product = await screen(g([{ op: 'mul', inputs: [0, 0] }]));
    assert.equal(square.response!.hashes!.functional, product.response!.hashes!.functional);
    assert.notEqual(square.response!.hashes!.structural, product.response!.hashes!.structural);
  });

  const VERDICTS: Array<[string, unknown, boolean, RejectionReason]> = [
    [
      'independent of x',
      g([
        { op: 'tanh', inputs: [0] },
        { op: 'add', inputs: [2, 3] },
      ]),
      false,
      RejectionReason.REJECTION_REASON_INDEPENDENT_OF_INPUT,
    ],
    [
      'dead output',
      g([
        { op: 'mul', inputs: [0, 1] },
        { op: 'add', inputs: [4, 3] },
      ]),
      false,
      RejectionReason.REJECTION_REASON_DEAD_OUTPUT,
    ],
    ['batch aggregate in a batch-independent search', BN, true, RejectionReason.REJECTION_REASON_BATCH_DEPENDENT],
    [
      'NaN/Inf on the probe',
      g([
        { op: 'exp', inputs: [0] },
        { op: 'exp', inputs: [4] },
        { op: 'exp', inputs: [5] },
      ]),
      false,
      RejectionReason.REJECTION_REASON_NON_FINITE,
    ],
    ['constant output', CONSTANT, false, RejectionReason.REJECTION_REASON_CONSTANT_OUTPUT],
  ];
  for (const [name, graph, batchIndependent, reason] of VERDICTS) {
    it(`screens out: ${name}`, async () => {
      const out = await screen(graph, batchIndependent);
      assert.equal(out.code, status.OK, out.details);
      assert.equal(out.response!.accepted, false);
      assert.equal(out.response!.rejection!.reason, reason, RejectionReason[out.response!.rejection!.reason]);
      assert.ok(out.response!.rejection!.detail.length > 0);
    });
  }

  it('runs the stability test: rejects exp(exp(x)), passes BN-ReLU', async () => {
    const bad = await callUnary<unknown, TestStabilityResponse>(client, 'testStability', TestStabilityRequest.fromPartial({ graph: EXP_EXP, seed: 1, steps: 5 }));
    assert.equal(bad.code, status.OK, bad.details);
    assert.equal(bad.response!.accepted, false);
    assert.equal(bad.response!.rejection!.reason, RejectionReason.REJECTION_REASON_UNSTABLE);
    const good = await callUnary<unknown, TestStabilityResponse>(client, 'testStability', TestStabilityRequest.fromPartial({ graph: BN, seed: 1, steps: 5 }));
    assert.equal(good.response!.accepted, true, JSON.stringify(good.response));
    assert.equal(good.response!.steps, 5);
    // On a search's smaller proxy: a different network, so a different gradient norm.
    const small = await callUnary<unknown, TestStabilityResponse>(
      client,
      'testStability',
      TestStabilityRequest.fromPartial({ graph: BN, seed: 1, steps: 5, widthMultiplier: 0.25, depthMultiplier: 0.25 }),
    );
    assert.equal(small.response!.accepted, true, JSON.stringify(small.response));
    assert.notEqual(small.response!.maxGradientNorm, good.response!.maxGradientNorm);
  });

  it('runs the quality test through the training service', async () => {
    const request = (graph: unknown) => TestQualityRequest.fromPartial({ graph: graph as never, seed: 1, architectures: ['resnet_v2'], dataset: 'synthetic', steps: 40, minAccuracy: 0.3 });
    const good = await callUnary<unknown, TestQualityResponse>(client, 'testQuality', request(BN), 120_000);
    assert.equal(good.code, status.OK, good.details);
    assert.equal(good.response!.accepted, true, JSON.stringify(good.response));
    assert.equal(good.response!.scores[0]!.architecture, 'resnet_v2');
    const bad = await callUnary<unknown, TestQualityResponse>(client, 'testQuality', request(CONSTANT), 120_000);
    assert.equal(bad.response!.accepted, false);
    assert.equal(bad.response!.rejection!.reason, RejectionReason.REJECTION_REASON_LOW_QUALITY);
  });

  it('reports a functionally equal candidate the selection service has evaluated', async () => {
    const SELECTION = fileURLToPath(new URL('../../../selection/dist/src/main.js', import.meta.url));
    const selection = await spawnService(SELECTION, ['--architectures', 'resnet_v2']);
    const withLookup = await spawnService(MAIN, ['--selection-address', selection.address, '--dataset', 'synthetic']);
    const screenClient = new RejectionServiceClient(withLookup.address, credentials.createInsecure());
    const square = g([{ op: 'square', inputs: [0] }]);
    const first = await callUnary<unknown, ScreenResponse>(screenClient, 'screen', ScreenRequest.fromPartial({ graph: square }));
    assert.equal(first.response!.duplicateOf, '');
    const selectionClient = new SelectionServiceClient(selection.address, credentials.createInsecure());
    const reported = await callUnary(selectionClient, 'reportCandidate', {
      candidate: Candidate.fromPartial({ id: 'sq', graph: square, hashes: first.response!.hashes!, fitness: { scores: [{ architecture: 'resnet_v2', accuracy: 0.5 }] } }),
    });
    assert.equal(reported.code, status.OK, reported.details);
    const product = await callUnary<unknown, ScreenResponse>(screenClient, 'screen', ScreenRequest.fromPartial({ graph: g([{ op: 'mul', inputs: [0, 0] }]) }));
    assert.equal(product.response!.duplicateOf, 'sq', 'x·x computes the same function as x²');
    screenClient.close();
    selectionClient.close();
    await withLookup.stop('SIGKILL');
    await selection.stop('SIGKILL');
  });

  it('answers UNAVAILABLE when no training service is configured or it is down', async () => {
    const request = TestQualityRequest.fromPartial({ graph: BN, seed: 1, architectures: ['resnet_v2'], dataset: 'synthetic', steps: 5 });
    const none = await callUnary<unknown, TestQualityResponse>(lonelyClient, 'testQuality', request);
    assert.equal(none.code, status.UNAVAILABLE);
    assert.match(none.details, /--training-address/);
    const dead = await spawnService(MAIN, ['--training-address', '127.0.0.1:1', '--dataset', 'synthetic']);
    const deadClient = new RejectionServiceClient(dead.address, credentials.createInsecure());
    const start = performance.now();
    const down = await callUnary<unknown, TestQualityResponse>(deadClient, 'testQuality', request, 30_000);
    assert.equal(down.code, status.UNAVAILABLE, down.details);
    assert.ok(performance.now() - start < 10_000);
    deadClient.close();
    await dead.stop('SIGKILL');
  });

  const BAD: Array<[string, string, unknown, RegExp]> = [
    ['missing graph', 'screen', ScreenRequest.fromPartial({}), /^graph: a layer graph is required/],
    [
      'cycle',
      'screen',
      ScreenRequest.fromPartial({
        graph: g([
          { op: 'add', inputs: [0, 5] },
          { op: 'neg', inputs: [4] },
        ]),
      }),
      /graph\.nodes\[0\]\.inputs\[1\]: .*cycle/,
    ],
    ['unknown op', 'screen', ScreenRequest.fromPartial({ graph: { nodes: [{ op: 77, inputs: [0], indexSet: 0 }] } }), /graph\.nodes\[0\]\.op: .*unknown op/],
    ['absurd stability steps', 'testStability', TestStabilityRequest.fromPartial({ graph: BN, steps: 1_000_000 }), /^steps: must be in \[1, 1000\]/],
    ['negative gradient threshold', 'testStability', TestStabilityRequest.fromPartial({ graph: BN, maxGradientNorm: -5 }), /^max_gradient_norm: must be in/],
    ['unknown stability architecture', 'testStability', TestStabilityRequest.fromPartial({ graph: BN, architecture: 'vgg' }), /^architecture: unknown architecture "vgg"/],
    ['stability proxy too wide', 'testStability', TestStabilityRequest.fromPartial({ graph: BN, widthMultiplier: 9 }), /^width_multiplier: must be in \[0.05, 4\]/],
    ['unknown quality architecture', 'testQuality', TestQualityRequest.fromPartial({ graph: BN, architectures: ['resnet_v2', 'vgg'] }), /^architectures\[1\]: unknown architecture "vgg"/],
    ['accuracy threshold above 1', 'testQuality', TestQualityRequest.fromPartial({ graph: BN, minAccuracy: 2 }), /^min_accuracy: must be in/],
    ['absurd quality steps', 'testQuality', TestQualityRequest.fromPartial({ graph: BN, steps: 50_000_000 }), /^steps: must be in \[1, 10000\]/],
  ];
  for (const [name, method, request, says] of BAD) {
    it(`answers bad input with INVALID_ARGUMENT: ${name}`, async () => {
      const out = await callUnary(client, method, request);
      assert.equal(out.code, status.INVALID_ARGUMENT, out.details);
      assert.match(out.details, says);
    });
  }

  it('survives 1,000 randomly mutated Screen payloads and keeps serving', async () => {
    const rng = Rng.fromSeed(7);
    const valid = [S0, BN, CONSTANT].map((graph) => Buffer.from(ScreenRequest.encode(ScreenRequest.fromPartial({ graph })).finish()));
    for (let i = 0; i < 1000; i++) {
      const bytes = Buffer.from(valid[i % valid.length]!);
      for (let k = 0; k < 1 + rng.int(3); k++) bytes[rng.int(bytes.length)] = rng.int(256);
      const out = await callRaw(service.address, '/evonorm.v1.RejectionService/Screen', rng.int(5) === 0 ? bytes.subarray(0, rng.int(bytes.length)) : bytes);
      assert.ok([status.OK, status.INVALID_ARGUMENT].includes(out.code), `payload ${i}: ${status[out.code]} ${out.details}`);
    }
    assert.equal((await screen(S0)).code, status.OK);
    assert.deepEqual(await reflectionServices(service.address), ['evonorm.v1.RejectionService', 'grpc.health.v1.Health']);
    assert.ok(!/"level":"error"/.test(service.stderr()), 'no internal errors logged');
  });
});
