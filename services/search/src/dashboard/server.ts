/**
 * The dashboard's HTTP server (node:http): the live page at /, a JSON API under /api/ for scripts,
 * and /api/events, a server-sent-event stream with the full state each time it changes. Polls the
 * search once every `intervalMs`. Binds 127.0.0.1 unless told otherwise.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pageHtml } from '../report/html.js';
import type { ReportData } from '../report/model.js';
import type { DashboardState } from './state.js';

export interface DashboardOptions {
  readonly host: string;
  readonly port: number;
  readonly intervalMs: number;
  /** Told when a poll fails (the next one retries). */
  readonly onError?: (error: Error) => void;
}

export interface RunningDashboard {
  readonly url: string;
  close(): Promise<void>;
}

export const API_ROUTES: Record<string, string> = {
  '/api/state': 'everything the page shows (ReportData)',
  '/api/candidates': 'every candidate, oldest first',
  '/api/front': 'the Pareto front ids and where they came from',
  '/api/replicas': "each training replica's reported load",
  '/api/plan': 'the plan (flags) and the environment',
  '/api/events': 'server-sent events: the state each time it changes',
};

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

function apiView(path: string, data: ReportData): unknown {
  switch (path) {
    case '/api/state':
      return data;
    case '/api/candidates':
      return data.candidates;
    case '/api/front':
      return { ids: data.front, source: data.frontSource };
    case '/api/replicas':
      return data.replicas ?? [];
    case '/api/plan':
      return { plan: data.plan, environment: data.environment };
    default:
      return undefined;
  }
}

export async function startDashboard(state: DashboardState, options: DashboardOptions): Promise<RunningDashboard> {
  const streams = new Set<ServerResponse>();
  const send = (res: ServerResponse, data: ReportData): void => void res.write(`data: ${JSON.stringify(data)}\n\n`);
  const unsubscribe = state.onChange((data) => streams.forEach((res) => send(res, data)));
  await state.refresh().catch((error: Error) => options.onError?.(error));
  let polling = false;
  const timer = setInterval(() => {
    if (polling) return;
    polling = true;
    state
      .refresh()
      .catch((error: Error) => options.onError?.(error))
      .finally(() => (polling = false));
  }, options.intervalMs);

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (req.method !== 'GET') return json(res, 405, { error: 'only GET' });
    if (path === '/' || path === '/index.html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(pageHtml(state.title));
      return;
    }
    if (path === '/api' || path === '/api/') return json(res, 200, API_ROUTES);
    if (path === '/api/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
      res.write('retry: 1000\n\n');
      streams.add(res);
      if (state.data) send(res, state.data);
      req.on('close', () => streams.delete(res));
      return;
    }
    const data = state.data;
    if (!data) return json(res, 503, { error: 'the search has not been read yet; retry in a second' });
    const view = apiView(path, data);
    if (view === undefined) return json(res, 404, { error: `no route ${path}`, routes: API_ROUTES });
    json(res, 200, view);
  };
  const server: Server = createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}/`,
    close: async () => {
      clearInterval(timer);
      unsubscribe();
      for (const res of streams) res.end();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      state.close();
    },
  };
}
