/**
 * `evonorm report <dir>`: one self-contained HTML file about a search (plots, front, funnel, top
 * layers, lineage, plan, and its rerank.json when present), or about a comparison folder (its
 * compare.json: best-so-far curves per strategy and the rerank of each search's best).
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildReportData, planFlags } from '../report/build-data.js';
import { environmentOf, readLiveServices, runResults } from '../report/environment.js';
import { FRONT_FROM_CODE, historyFront } from '../report/front.js';
import { pageHtml } from '../report/html.js';
import { readHistory } from '../search/history.js';
import { recordPath } from '../search/run-folder.js';
import { CLIENT_TLS_FLAGS, FlagError, channelCredentials, clientTlsOf, defineFlags, flagUsage, parseFlags } from '@evonorm/rpc';

const REPORT_FLAGS = defineFlags({
  out: { type: 'string', env: false, placeholder: 'file.html', description: 'where to write it (default <dir>/report.html)' },
  ...CLIENT_TLS_FLAGS,
});

export const REPORT_USAGE = flagUsage(
  `usage: evonorm report <dir> [--out <dir>/report.html]
  one self-contained HTML file (scripts, styles and fonts inline; opens from disk with no network):
  progress and per-architecture plots, the Pareto front, the rejection funnel, the top layers with
  typeset formulas and graphs, the best layer's lineage, the rerank (rerank.json), the plan and the
  environment; for an evonorm compare folder, its curves per strategy and rerank (compare.json)`,
  REPORT_FLAGS,
);

export async function reportCommand(argv: string[]): Promise<string> {
  const parsed = parseFlags(argv, REPORT_FLAGS, { env: process.env, positionals: true });
  const dir = parsed.positionals[0];
  if (!dir || parsed.positionals.length > 1) throw new FlagError(`give one search folder\n${REPORT_USAGE}`);
  const out = parsed.values.out ?? join(dir, 'report.html');
  const results = runResults(dir);
  if (!existsSync(recordPath(dir)) && results.compare) {
    // A comparison folder: its searches are sub-folders (each its own report); the page shows compare.json.
    const { compare } = results;
    const title = `evonorm compare ${dir}`;
    const data = buildReportData({
      title,
      plan: {
        candidates: String(compare.candidates),
        strategies: compare.strategies.join(','),
        ...(compare.vary ? { vary: compare.vary } : {}),
        seeds: compare.seeds.join(','),
        'search flags': compare.searchFlags.join(' '),
      },
      environment: {},
      history: [],
      frontIds: [],
      frontSource: FRONT_FROM_CODE,
      notes: [`Each search is a run folder of its own (${compare.searches.map((s) => join(dir, s.name)).join(', ')}): evonorm report <folder> draws it.`],
      compare,
    });
    const html = pageHtml(title, data);
    writeFileSync(out, html);
    console.log(`wrote ${out} (${(html.length / 1024 / 1024).toFixed(2)} MB, ${compare.searches.length} searches); open it in a browser, no network needed`);
    return out;
  }
  const { record, history } = await readHistory(dir, channelCredentials(clientTlsOf(parsed.values)));
  const title = `evonorm search ${dir}`;
  const data = buildReportData({
    title,
    plan: planFlags(record.plan),
    environment: environmentOf(record, readLiveServices(dir)),
    history,
    frontIds: historyFront(history, record.plan.objectives.includes('cost')),
    frontSource: FRONT_FROM_CODE,
    notes: results.notes,
    ...(results.rerank ? { rerank: results.rerank } : {}),
    ...(results.compare ? { compare: results.compare } : {}),
  });
  const html = pageHtml(title, data);
  writeFileSync(out, html);
  console.log(`wrote ${out} (${(html.length / 1024 / 1024).toFixed(2)} MB, ${history.length} candidates); open it in a browser, no network needed`);
  return out;
}
