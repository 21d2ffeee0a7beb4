/** `evonorm dashboard`: a live page (and JSON API) of a running or finished search. */
import { parseArgs } from 'node:util';
import { DashboardState } from '../dashboard/state.js';
import { API_ROUTES, startDashboard } from '../dashboard/server.js';
import { UsageError } from '../layers.js';

export const DASHBOARD_USAGE = `usage: evonorm dashboard <dir> | --selection host:port [--training host:port,...] [--port 8080] [--host 127.0.0.1]
  a page that updates while the search runs (server-sent events), with the report's views and each
  training replica's load, plus a JSON API under /api/; reads the selection service's gRPC API
  (a <dir>'s running services, or its SQLite history once the search stopped)`;

export async function dashboardCommand(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        selection: { type: 'string' },
        training: { type: 'string' },
        port: { type: 'string', default: '8080' },
        host: { type: 'string', default: '127.0.0.1' },
        'interval-ms': { type: 'string', default: '1000' },
      },
    });
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n${DASHBOARD_USAGE}`);
  }
  const { values, positionals } = parsed;
  const dir = positionals[0];
  if (positionals.length > 1 || (dir === undefined) === (values.selection === undefined)) throw new UsageError(`give a run folder or --selection host:port (one of them)\n${DASHBOARD_USAGE}`);
  if (values.training && !values.selection) throw new UsageError('--training goes with --selection (a run folder names its replicas itself)');
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be an integer in 0..65535 (0: any free port), got ${JSON.stringify(values.port)}`);
  const intervalMs = Number(values['interval-ms']);
  if (!Number.isInteger(intervalMs) || intervalMs < 100 || intervalMs > 600_000) throw new UsageError('--interval-ms must be an integer in 100..600000');
  const state = new DashboardState({ ...(dir ? { dir } : {}), ...(values.selection ? { selection: values.selection } : {}), ...(values.training ? { training: values.training } : {}) });
  const dashboard = await startDashboard(state, { host: values.host!, port, intervalMs, onError: (e) => console.error(`evonorm dashboard: ${e.message}`) });
  console.log(`dashboard: ${dashboard.url}  (JSON: ${Object.keys(API_ROUTES).join(' ')}; Ctrl-C stops)`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await dashboard.close();
  return 0;
}
