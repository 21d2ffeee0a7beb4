#!/usr/bin/env node
/** The evonorm command line. */
import { ExecutionProviderError } from '@evonorm/onnx';
import { BENCH_USAGE, benchCommand } from './commands/bench.js';
import { EXPORT_USAGE, exportCommand } from './commands/export.js';
import { RERANK_USAGE, rerankCommand } from './commands/rerank.js';
import { COMPARE_USAGE, compareCommand } from './commands/compare.js';
import { SEARCH_USAGE, searchCommand } from './commands/search.js';
import { TOP_USAGE, topCommand } from './commands/top.js';
import { REPORT_USAGE, reportCommand } from './commands/report.js';
import { DASHBOARD_USAGE, dashboardCommand } from './commands/dashboard.js';
import { FlagError } from '@evonorm/rpc';
import { HistoryMismatchError } from './search/loop.js';
import { RunFolderError } from './search/run-folder.js';
import { DatasetError } from '@evonorm/data';

const USAGE = `evonorm: evolutionary search for normalization-activation layers

commands:
  search   run or resume a search (regularized evolution or random search)
  top      the best layers of a search, with formulas and per-architecture scores
  rerank   train a search's top layers and baselines longer on several seeds, rank them on the test split (± 95% CI)
  compare  evolution vs random search: equal-budget searches over seeds, best-so-far curves, rerank of their bests
  report   one self-contained HTML file about a search: plots, Pareto front, funnel, top layers, lineage
  dashboard  a live page and JSON API of a running search (reads the selection service)
  export   write a layer (zoo name or JSON graph) as an ONNX model
  bench    time layers and networks with ONNX Runtime (CPU or CUDA)

${SEARCH_USAGE}

${TOP_USAGE}

${REPORT_USAGE}

${DASHBOARD_USAGE}

${RERANK_USAGE}

${COMPARE_USAGE}

${EXPORT_USAGE}

${BENCH_USAGE}`;

/** Usage of the commands without a --help flag of their own (search and compare print every flag themselves). */
const COMMAND_USAGE: Readonly<Record<string, string>> = { top: TOP_USAGE, report: REPORT_USAGE, dashboard: DASHBOARD_USAGE, rerank: RERANK_USAGE, export: EXPORT_USAGE, bench: BENCH_USAGE };

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const usage = command !== undefined && Object.hasOwn(COMMAND_USAGE, command) ? COMMAND_USAGE[command] : undefined;
  if (usage !== undefined && rest.includes('--help')) {
    console.log(usage);
    return 0;
  }
  switch (command) {
    case 'search':
      return searchCommand(rest);
    case 'top':
      await topCommand(rest);
      return 0;
    case 'report':
      await reportCommand(rest);
      return 0;
    case 'dashboard':
      return dashboardCommand(rest);
    case 'rerank':
      await rerankCommand(rest);
      return 0;
    case 'compare':
      return compareCommand(rest);
    case 'export':
      await exportCommand(rest);
      return 0;
    case 'bench':
      await benchCommand(rest);
      return 0;
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return command === undefined ? 2 : 0;
    default:
      console.error(`unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
      return 2;
  }
}

/**
 * Exits once stdout and stderr have flushed: writes to a pipe are asynchronous in Node, and
 * process.exit at once would cut whatever is longer than the pipe's buffer (64 KiB: `top --json`
 * of a long search piped to jq).
 */
function exitAfterFlush(code: number): void {
  process.exitCode = code;
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}

main(process.argv.slice(2)).then(
  (code) => exitAfterFlush(code),
  (error: unknown) => {
    if (
      error instanceof FlagError ||
      error instanceof ExecutionProviderError ||
      error instanceof RunFolderError ||
      error instanceof HistoryMismatchError ||
      error instanceof DatasetError ||
      (error instanceof TypeError && 'code' in error)
    ) {
      console.error(`evonorm: ${(error as Error).message}`);
      return exitAfterFlush(2);
    }
    console.error(error);
    exitAfterFlush(1);
  },
);
