import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Rng, evaluateLayer, randomTensor, zooLayer, zooLayers, type LayerGraph } from '@evonorm/graph';
import { ARCHITECTURES, architecture, inferShapes, initWeights, type NetworkSpec } from '@evonorm/nets';
import { FUNCTION_DOMAIN, createSession, exportNetwork, onnx, runFloat, type SlotWeights } from '../src/index.js';

const BN_RELU = zooLayer('bn-relu').graph;

/** Float32 logits (ORT's CPU provider has no double Conv). */
async function logits(spec: NetworkSpec, options: Parameters<typeof exportNetwork>[2], images: Float64Array, batch: number): Promise<Float64Array> {
  const session = await createSession(exportNetwork(spec, BN_RELU, options));
  const data = Float32Array.from(images);
  return Float64Array.from(await runFloat(session, { name: 'images', data, dims: [batch, ...spec.input] }, 'logits'));
}

/**
 * Trained-looking slot weights: random affine parameters and moving averages from one training
 * step of the float64 interpreter on random data of the slot's width.
 */
function trainedLookingSlots(spec: NetworkSpec, layer: LayerGraph, rng: Rng): Map<string, SlotWeights> {
  const slots = new Map<string, SlotWeights>();
  const shapes = inferShapes(spec);
  for (const node of spec.nodes) {
    if (node.op !== 'normAct') continue;
    const c = shapes.get(node.input)![0]!;
    const params = {
      v0: Float64Array.from({ length: c }, () => 0.3 * rng.normal()),
      v1: Float64Array.from({ length: c }, () => 1 + 0.3 * rng.normal()),
      gamma: Float64Array.from({ length: c }, () => 1 + 0.2 * rng.normal()),
      beta: Float64Array.from({ length: c }, () => 0.2 * rng.normal()),
    };
    const state = evaluateLayer(layer, randomTensor([4, c, 2, 2], rng, 2, 1), { mode: 'train', params }).state;
    slots.set(node.name, { params, state });
  }
  return slots;
}

describe('network export', () => {
  for (const name of ARCHITECTURES) {
    it(`${name}: the exported BN-ReLU layer in every slot equals stock BatchNormalization + Relu (float32, 1e-4 of the logits' scale)`, async () => {
      const spec = architecture(name, { input: [3, 16, 16], width: 0.25, depth: 0.25 });
      const rng = Rng.fromSeed(7);
      const weights = initWeights(spec, rng);
      const slots = trainedLookingSlots(spec, BN_RELU, rng);
      const batch = 3;
      const images = randomTensor([batch, ...spec.input], rng).data;
      const layer = await logits(spec, { weights, slots }, images, batch);
      const stock = await logits(spec, { weights, slots, slotImpl: 'stock-bn-relu' }, images, batch);
      const optimized = await logits(spec, { weights, slots, optimize: true }, images, batch);
      const scale = Math.max(...stock.map(Math.abs));
      assert.ok(scale > 0);
      for (let i = 0; i < stock.length; i++) {
        assert.ok(Math.abs(layer[i]! - stock[i]!) <= 1e-4 * scale, `naive logit ${i}: ${layer[i]} vs ${stock[i]}`);
        assert.ok(Math.abs(optimized[i]! - stock[i]!) <= 1e-4 * scale, `optimized logit ${i}: ${optimized[i]} vs ${stock[i]}`);
      }
    });
  }

  it('exports every zoo layer into a proxy and runs it in float32 and with a fixed batch', async () => {
    const spec = architecture('efficientnet_b0', { input: [1, 28, 28], width: 0.25, depth: 0.25 });
    const images = Float32Array.from(randomTensor([2, 1, 28, 28], Rng.fromSeed(1)).data);
    for (const name of ['evonorm-b0', 'evonorm-s0', 'gn-relu']) {
      for (const batch of [undefined, 2]) {
        const model = exportNetwork(spec, zooLayer(name).graph, batch ? { batch } : {});
        const out = await runFloat(await createSession(model), { name: 'images', data: images, dims: [2, 1, 28, 28] }, 'logits');
        assert.equal(out.length, 20);
        assert.ok(out.every(Number.isFinite), name);
      }
    }
  });

  it('writes each slot as one call of a model-local function, with the same logits (every zoo layer, naive and optimized, with trained-looking weights)', async () => {
    const spec = architecture('mobilenet_v2', { input: [3, 16, 16], width: 0.25, depth: 0.25 });
    const rng = Rng.fromSeed(11);
    const slotCount = spec.nodes.filter((n) => n.op === 'normAct').length;
    const images = Float32Array.from(randomTensor([2, 3, 16, 16], rng).data);
    for (const { name, graph } of zooLayers()) {
      const slots = trainedLookingSlots(spec, graph, rng);
      for (const optimize of [false, true]) {
        const label = `${name}${optimize ? ' (optimized)' : ''}`;
        const plain = exportNetwork(spec, graph, { slots, optimize });
        const withFunctions = exportNetwork(spec, graph, { slots, optimize, functions: true });
        const model = onnx.ModelProto.decode(withFunctions);
        assert.equal(model.graph!.node!.filter((n) => n.domain === FUNCTION_DOMAIN).length, slotCount, `${label}: one node per slot`);
        assert.ok(model.functions!.length >= 1, `${label}: the layer's functions`);
        assert.ok(!model.graph!.node!.some((n) => ['ReduceMean', 'Sqrt', 'Div'].includes(n.opType!)), `${label}: no layer op left in the main graph`);
        const run = async (bytes: Uint8Array): Promise<Float32Array> => runFloat(await createSession(bytes), { name: 'images', data: images, dims: [2, 3, 16, 16] }, 'logits') as Promise<Float32Array>;
        const [a, b] = [await run(plain), await run(withFunctions)];
        const scale = Math.max(...a.map(Math.abs));
        a.forEach((v, i) => assert.ok(Math.abs(v - b[i]!) <= 1e-6 * scale, `${label}: logit ${i} ${v} vs ${b[i]}`));
      }
    }
  });

  it('loads the full-size 224×224 networks', async () => {
    for (const name of ARCHITECTURES) {
      const spec = architecture(name, { full: true });
      const session = await createSession(exportNetwork(spec, zooLayer('evonorm-s0').graph, { optimize: true }));
      assert.deepEqual(session.outputNames, ['logits']);
    }
  });
});
