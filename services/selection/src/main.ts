/**
 * The selection service on its own: `npx nx serve selection` or `node services/selection/dist/src/main.js
 * [--port 50054] [--population 100] [--tournament-fraction 0.05] [--criterion average|pareto]
 * [--architectures resnet_v2,mobilenet_v2,efficientnet_b0] [--dataset fashion_mnist] [--batch-independent true]
 * [--db search.sqlite]`: with --db the population and history persist (SQLite) and a restarted
 * service continues; without it they live in memory. Prints its address when ready.
 */
import { SelectionServiceService } from '@evonorm/contracts';
import { ARCHITECTURES, isArchitecture } from '@evonorm/nets';
import { ConfigError, exitOnSignals, jsonLogger, serverConfig, startServer } from '@evonorm/rpc';
import { SearchStore } from '@evonorm/store';
import { criterionFrom, selectionService } from './service.js';

try {
  const config = serverConfig(process.argv.slice(2), process.env, { port: 50054 }, ['population', 'tournament-fraction', 'criterion', 'architectures', 'dataset', 'batch-independent', 'seed', 'db']);
  const x = config.extra;
  const populationSize = Number(x.population ?? 100);
  if (!Number.isInteger(populationSize) || populationSize < 1 || populationSize > 1_000_000) throw new ConfigError('--population must be an integer in 1..1000000');
  const fraction = Number(x['tournament-fraction'] ?? 0.05);
  if (!(fraction > 0 && fraction <= 1)) throw new ConfigError('--tournament-fraction must be in (0, 1]');
  let criterion;
  try {
    criterion = criterionFrom(x.criterion ?? 'average');
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
  const architectures = (x.architectures ?? ARCHITECTURES.join(',')).split(',');
  for (const a of architectures) if (!isArchitecture(a)) throw new ConfigError(`--architectures: unknown architecture ${a}`);
  const logger = jsonLogger('selection', { level: config.logLevel });
  const search = {
    populationSize,
    tournamentFraction: fraction,
    criterion,
    batchIndependent: (x['batch-independent'] ?? 'false') === 'true',
    architectures,
    dataset: x.dataset ?? 'fashion_mnist',
    seed: Number(x.seed ?? 0),
  };
  const store = SearchStore.open(x.db ?? ':memory:');
  store.setMeta('config', JSON.stringify(search));
  const running = await startServer(config, [{ name: 'evonorm.v1.SelectionService', definition: SelectionServiceService, implementation: selectionService(search, store, logger) }], logger);
  exitOnSignals(running, logger);
  console.log(`evonorm selection service listening on ${running.address}`);
} catch (error) {
  console.error(`selection: ${error instanceof ConfigError ? error.message : (error as Error).stack}`);
  process.exit(2);
}
