/** `evonorm top <dir>`: the best layers of a search, with formulas and per-architecture scores. */
import { CLIENT_TLS_FLAGS, FlagError, channelCredentials, clientTlsOf, defineFlags, flagUsage, parseFlags } from '@evonorm/rpc';
import { layerJsonFromProto } from '@evonorm/contracts';
import { readHistory } from '../search/history.js';
import { toJson } from '../search/json.js';
import { meanAccuracy, reasonName } from '../search/loop.js';
import { candidateTable, paretoFront, topCandidates } from '../search/ranking.js';
import { architectureIntervals, meanInterval } from '../search/outcomes.js';

const TOP_FLAGS = defineFlags({
  n: { type: 'int', short: 'n', min: 1, default: 10, env: false, description: 'layers shown' },
  pareto: { type: 'boolean', env: false, description: 'the Pareto front instead of the best mean accuracies' },
  json: { type: 'boolean', env: false, description: 'one JSON object' },
  ...CLIENT_TLS_FLAGS,
});

export const TOP_USAGE = flagUsage(
  `usage: evonorm top <dir> [flags]
  the best evaluated layers (by mean accuracy over the architectures), or the Pareto front, and the run's statistics
  (--tls-*: for a search whose selection service is remote and requires TLS)`,
  TOP_FLAGS,
);

export async function topCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseFlags(argv, TOP_FLAGS, { env: process.env, positionals: true });
  const dir = positionals[0];
  if (!dir || positionals.length > 1) throw new FlagError(`give one search folder\n${TOP_USAGE}`);
  const { n } = values;
  const { record, history } = await readHistory(dir, channelCredentials(clientTlsOf(values)));
  const shown = values.pareto
    ? paretoFront(history)
        .sort((a, b) => meanAccuracy(b) - meanAccuracy(a))
        .slice(0, n)
    : topCandidates(history, n);
  const rejections: Record<string, number> = {};
  for (const c of history) if (c.rejection && !c.duplicateOf) rejections[reasonName(c.rejection.reason)] = (rejections[reasonName(c.rejection.reason)] ?? 0) + 1;
  const stats = { candidates: history.length, evaluated: history.filter((c) => c.fitness).length, duplicates: history.filter((c) => c.duplicateOf).length, rejections };
  if (values.json) {
    // Graphs as layer JSON: what `--layer file.json` reads back.
    console.log(
      toJson({
        dir,
        plan: record.plan,
        ...stats,
        layers: shown.map((c) => ({
          id: c.id,
          parentId: c.parentId,
          meanAccuracy: meanAccuracy(c),
          interval: meanInterval(c),
          scores: c.fitness!.scores,
          intervals: architectureIntervals(c),
          // Inference time over BN-ReLU's with how it was timed, or null where not measured.
          cost: c.cost ?? null,
          formula: c.formula?.text ?? '',
          latex: c.formula?.latex ?? '',
          graph: layerJsonFromProto(c.graph),
        })),
      }),
    );
    return;
  }
  console.log(`${dir}: ${record.plan.strategy} search, seed ${record.plan.seed}, ${stats.candidates} candidates, ${stats.evaluated} evaluated, ${stats.duplicates} duplicates reused`);
  console.log(
    `rejections: ${
      Object.entries(rejections)
        .map(([r, k]) => `${r} ${k}`)
        .join(' · ') || '—'
    }\n`,
  );
  console.log(values.pareto ? 'Pareto front:' : `top ${n}:`);
  console.log(candidateTable(shown));
}
