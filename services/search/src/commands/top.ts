/** `evonorm top <dir>`: the best layers of a search, with formulas and per-architecture scores. */
import { parseArgs } from 'node:util';
import { readHistory } from '../search/history.js';
import { meanAccuracy, reasonName } from '../search/loop.js';
import { candidateTable, paretoFront, topCandidates } from '../search/ranking.js';
import { UsageError } from '../layers.js';

export const TOP_USAGE = `usage: evonorm top <dir> [-n 10] [--pareto] [--json]
  the best evaluated layers (by mean accuracy over the architectures), or the Pareto front, and the run's statistics`;

export async function topCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { n: { type: 'string', short: 'n', default: '10' }, pareto: { type: 'boolean', default: false }, json: { type: 'boolean', default: false } } });
  const dir = positionals[0];
  if (!dir || positionals.length > 1) throw new UsageError(TOP_USAGE);
  const n = Number(values.n);
  if (!Number.isInteger(n) || n < 1) throw new UsageError('-n must be a positive integer');
  const { record, history } = await readHistory(dir);
  const shown = values.pareto ? paretoFront(history).sort((a, b) => meanAccuracy(b) - meanAccuracy(a)).slice(0, n) : topCandidates(history, n);
  const rejections: Record<string, number> = {};
  for (const c of history) if (c.rejection && !c.duplicateOf) rejections[reasonName(c.rejection.reason)] = (rejections[reasonName(c.rejection.reason)] ?? 0) + 1;
  const stats = { candidates: history.length, evaluated: history.filter((c) => c.fitness).length, duplicates: history.filter((c) => c.duplicateOf).length, rejections };
  if (values.json) {
    console.log(JSON.stringify({ dir, plan: record.plan, ...stats, layers: shown.map((c) => ({ id: c.id, parentId: c.parentId, meanAccuracy: meanAccuracy(c), scores: c.fitness!.scores, formula: c.formula?.text ?? '', latex: c.formula?.latex ?? '', graph: c.graph })) }));
    return;
  }
  console.log(`${dir}: ${record.plan.strategy} search, seed ${record.plan.seed}, ${stats.candidates} candidates, ${stats.evaluated} evaluated, ${stats.duplicates} duplicates reused`);
  console.log(`rejections: ${Object.entries(rejections).map(([r, k]) => `${r} ${k}`).join(' · ') || '—'}\n`);
  console.log(values.pareto ? 'Pareto front:' : `top ${n}:`);
  console.log(candidateTable(shown));
}
