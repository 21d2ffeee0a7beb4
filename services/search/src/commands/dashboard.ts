/** `evonorm dashboard`: a live page (and JSON API) of a running or finished search. */
import { DashboardState } from '../dashboard/state.js';
import { API_ROUTES, startDashboard } from '../dashboard/server.js';
import { CLIENT_TLS_FLAGS, FlagError, channelCredentials, clientTlsOf, defineFlags, flagUsage, parseFlags } from '@evonorm/rpc';

const DASHBOARD_FLAGS = defineFlags({
  selection: { type: 'string', placeholder: 'host:port', description: 'a selection service to show (instead of <dir>)' },
  training: { type: 'string', placeholder: 'host:port,...', description: 'training replicas whose load to show, with --selection' },
  port: { type: 'int', min: 0, max: 65535, default: 8080, env: false, description: 'HTTP port (0: any free port)' },
  host: { type: 'string', default: '127.0.0.1', env: false, description: 'HTTP address' },
  'interval-ms': { type: 'int', min: 100, max: 600_000, default: 1000, env: false, description: 'polling interval' },
  ...CLIENT_TLS_FLAGS,
});

export const DASHBOARD_USAGE = flagUsage(
  `usage: evonorm dashboard <dir> | --selection host:port [--training host:port,...] [flags]
  a page that updates while the search runs (server-sent events), with the report's views and each
  training replica's load, plus a JSON API under /api/; reads the selection service's gRPC API
  (a <dir>'s running services, or its SQLite history once the search stopped); --tls-* for
  remote services that require TLS`,
  DASHBOARD_FLAGS,
);

export async function dashboardCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, DASHBOARD_FLAGS, { env: process.env, positionals: true });
  const dir = positionals[0];
  if (positionals.length > 1 || (dir === undefined) === (values.selection === undefined)) throw new FlagError(`give a run folder or --selection host:port (one of them)\n${DASHBOARD_USAGE}`);
  if (values.training && !values.selection) throw new FlagError('--training goes with --selection (a run folder names its replicas itself)');
  const { port, 'interval-ms': intervalMs } = values;
  const channel = channelCredentials(clientTlsOf(values));
  const state = new DashboardState({ ...(dir ? { dir } : {}), ...(values.selection ? { selection: values.selection } : {}), ...(values.training ? { training: values.training } : {}), channel });
  const dashboard = await startDashboard(state, { host: values.host, port, intervalMs, onError: (e) => console.error(`evonorm dashboard: ${e.message}`) });
  console.log(`dashboard: ${dashboard.url}  (JSON: ${Object.keys(API_ROUTES).join(' ')}; Ctrl-C stops)`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await dashboard.close();
  return 0;
}
