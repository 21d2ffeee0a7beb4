/** `evonorm report <dir>`: one self-contained HTML file about a search (plots, front, funnel, top layers, lineage, plan). */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildReportData, planFlags } from '../report/build-data.js';
import { environmentOf, missingSections, readLiveServices } from '../report/environment.js';
import { FRONT_FROM_CODE, historyFront } from '../report/front.js';
import { pageHtml } from '../report/html.js';
import { readHistory } from '../search/history.js';
import { UsageError } from '../layers.js';

export const REPORT_USAGE = `usage: evonorm report <dir> [--out <dir>/report.html]
  one self-contained HTML file (scripts, styles and fonts inline; opens from disk with no network):
  progress and per-architecture plots, the Pareto front, the rejection funnel, the top layers with
  typeset formulas and graphs, the best layer's lineage, the plan and the environment`;

export async function reportCommand(argv: string[]): Promise<string> {
  let parsed: ReturnType<typeof parseArgs<{ args: string[]; allowPositionals: true; options: { out: { type: 'string' } } }>>;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { out: { type: 'string' } } });
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n${REPORT_USAGE}`);
  }
  const dir = parsed.positionals[0];
  if (!dir || parsed.positionals.length > 1) throw new UsageError(REPORT_USAGE);
  const out = parsed.values.out ?? join(dir, 'report.html');
  const { record, history } = await readHistory(dir);
  const title = `evonorm search ${dir}`;
  const data = buildReportData({
    title,
    plan: planFlags(record.plan),
    environment: environmentOf(record, readLiveServices(dir)),
    history,
    frontIds: historyFront(history),
    frontSource: FRONT_FROM_CODE,
    notes: missingSections(dir),
  });
  const html = pageHtml(title, data);
  writeFileSync(out, html);
  console.log(`wrote ${out} (${(html.length / 1024 / 1024).toFixed(2)} MB, ${history.length} candidates); open it in a browser, no network needed`);
  return out;
}
