/**
 * `evonorm rerank <dir>`: the paper re-ranks its top layers by longer training. The top N of a
 * search are trained again on every architecture of its plan for more steps and scored on the
 * dataset's test split, which the search never saw (it scored on validation examples held out of
 * the training split). Results go to <dir>/rerank.json.
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { graphFromProto } from '@evonorm/contracts';
import { readCifar10, readFashionMnist, syntheticDataset, type Dataset } from '@evonorm/data';
import { architecture } from '@evonorm/nets';
import { PROVIDER_FLAGS, requireExecutionProvider, train } from '@evonorm/train';
import { readHistory } from '../search/history.js';
import { scaleFor, type SearchPlan } from '../search/plan.js';
import { topCandidates } from '../search/ranking.js';
import { CLIENT_TLS_FLAGS, FlagError, channelCredentials, clientTlsOf, defineFlags, flagUsage, parseFlags } from '@evonorm/rpc';

const RERANK_FLAGS = defineFlags({
  top: { type: 'int', min: 1, default: 10, env: false, description: 'layers re-ranked' },
  steps: { type: 'int', min: 1, default: 1000, env: false, description: 'training steps per architecture' },
  threads: { type: 'int', min: 1, default: availableParallelism(), description: 'CPU threads' },
  ...PROVIDER_FLAGS,
  'cifar10-dir': { type: 'string', placeholder: 'dir', description: 'CIFAR-10, for a search that ran on it' },
  json: { type: 'boolean', env: false, description: 'JSON lines' },
  ...CLIENT_TLS_FLAGS,
});

export const RERANK_USAGE = flagUsage(
  `usage: evonorm rerank <dir> [flags]
  trains the top layers longer on every architecture of the search and ranks them on the test split
  (--tls-*: for a search whose selection service is remote and requires TLS)`,
  RERANK_FLAGS,
);

function datasetOf(plan: SearchPlan, cifar10Dir: string | undefined): Dataset {
  if (plan.dataset === 'fashion_mnist') return readFashionMnist();
  if (plan.dataset === 'cifar10') {
    if (!cifar10Dir) throw new FlagError('this search ran on CIFAR-10: pass --cifar10-dir <folder>');
    return readCifar10(cifar10Dir);
  }
  return syntheticDataset({ seed: 0, shape: [1, 16, 16], train: 2000, test: 500 });
}

export async function rerankCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseFlags(argv, RERANK_FLAGS, { env: process.env, positionals: true });
  const dir = positionals[0];
  if (!dir || positionals.length > 1) throw new FlagError(`give one search folder\n${RERANK_USAGE}`);
  const { top, steps, threads, ep, device } = values;
  await requireExecutionProvider(ep, device, (message) => new FlagError(message));
  const { record, history } = await readHistory(dir, channelCredentials(clientTlsOf(values)));
  const plan = record.plan;
  const candidates = topCandidates(history, top);
  if (candidates.length === 0) throw new FlagError(`${dir} has no evaluated candidates yet`);
  const dataset = datasetOf(plan, values['cifar10-dir']);
  const rows = [];
  for (const c of candidates) {
    const parsed = graphFromProto(c.graph, {});
    if (!parsed.ok) throw new Error(`${c.id}: stored graph is invalid`);
    const scores: Record<string, number> = {};
    for (const name of plan.architectures) {
      const result = await train({
        network: architecture(name, { input: dataset.shape, classes: dataset.classes, width: scaleFor(plan.width, name), depth: scaleFor(plan.depth, name) }),
        layer: parsed.graph,
        dataset,
        steps,
        batchSize: plan.batchSize,
        learningRate: plan.learningRate,
        seed: plan.seed,
        engine: 'onnx',
        threads,
        ep,
        device,
        evaluateOn: 'test',
      });
      scores[name] = result.failure ? 0 : result.accuracy;
    }
    const mean = Object.values(scores).reduce((s, x) => s + x, 0) / plan.architectures.length;
    const row = { id: c.id, searchMeanAccuracy: c.fitness!.meanAccuracy, testMeanAccuracy: mean, testScores: scores, formula: c.formula?.text ?? '' };
    rows.push(row);
    if (values.json) console.log(JSON.stringify({ type: 'reranked', ...row }));
    else console.log(`${c.id}: test ${(100 * mean).toFixed(1)}% (search ${(100 * row.searchMeanAccuracy).toFixed(1)}%)  ${row.formula}`);
  }
  rows.sort((a, b) => b.testMeanAccuracy - a.testMeanAccuracy);
  writeFileSync(join(dir, 'rerank.json'), `${JSON.stringify({ steps, split: 'test', layers: rows }, null, 2)}\n`);
  if (!values.json) {
    console.log(`\nre-ranked by test accuracy after ${steps} steps (written to ${join(dir, 'rerank.json')}):`);
    rows.forEach((r, i) => console.log(`${String(i + 1).padStart(2)}  ${r.id}  ${(100 * r.testMeanAccuracy).toFixed(1)}%  ${r.formula}`));
  }
}
