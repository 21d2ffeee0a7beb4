/**
 * The selection service on its own: `npx nx serve selection` or `node services/selection/dist/src/main.js
 * [--port 50054] [--population 100] [--tournament-fraction 0.05] [--criterion average|pareto] [--objectives accuracy,cost]
 * [--architectures resnet_v2,mobilenet_v2,efficientnet_b0] [--dataset fashion_mnist] [--batch-independent true]
 * [--db search.sqlite]`: with --db the population and history persist (SQLite) and a restarted
 * service continues; without it they live in memory. `--help` lists every flag; each also reads
 * EVONORM_<FLAG>. Prints its address when ready.
 */
import { SelectionServiceService } from '@evonorm/contracts';
import { ARCHITECTURES } from '@evonorm/nets';
import { FlagError, defineFlags, exitOnFlagError, exitOnSignals, flagUsage, jsonLogger, parseFlags, serverConfig, serverFlags, startServer } from '@evonorm/rpc';
import { SearchStore } from '@evonorm/store';
import { parseSeed } from '@evonorm/graph';
import { criterionFrom, objectivesFrom, selectionService } from './service.js';

const FLAGS = defineFlags({
  ...serverFlags(50054),
  population: { type: 'int', min: 1, max: 1_000_000, default: 100, description: 'population size' },
  'tournament-fraction': { type: 'number', min: 0, exclusiveMin: true, max: 1, default: 0.05, description: 'share of the population in a tournament' },
  criterion: { type: 'enum', values: ['average', 'pareto'], default: 'average', description: 'tournament winner: best mean accuracy, or random from the Pareto front' },
  objectives: { type: 'list', values: ['accuracy', 'cost'], default: ['accuracy'], description: 'what a tournament compares: accuracy, and with cost the inference cost ratio too' },
  architectures: { type: 'list', values: ARCHITECTURES, default: ARCHITECTURES, description: 'proxy architectures of the fitness vector' },
  dataset: { type: 'string', default: 'fashion_mnist', description: 'dataset the search trains on (recorded)' },
  'batch-independent': { type: 'enum', values: ['true', 'false'], default: 'false', description: 'S series: layers without batch statistics' },
  seed: { type: 'string', default: '0', placeholder: 'uint64', description: 'seed of the tournaments' },
  db: { type: 'string', placeholder: 'file.sqlite', description: 'persist population and history here (default in memory)' },
});

/** --seed: any uint64 (what other languages' clients draw), as a bigint. */
function seedFlag(text: string): bigint {
  try {
    return parseSeed(text);
  } catch (error) {
    throw new FlagError(`--seed ${(error as Error).message}`);
  }
}

await exitOnFlagError(
  'selection',
  async () => {
    const {
      help,
      population,
      'tournament-fraction': tournamentFraction,
      criterion,
      objectives,
      architectures,
      dataset,
      'batch-independent': batchIndependent,
      seed,
      db,
      ...server
    } = parseFlags(process.argv.slice(2), FLAGS, { env: process.env }).values;
    if (help) return void console.log(flagUsage('usage: node services/selection/dist/src/main.js [flags]', FLAGS));
    const config = serverConfig(server);
    if (architectures.length === 0) throw new FlagError('--architectures must name at least one architecture');
    const logger = jsonLogger('selection', { level: config.logLevel });
    const search = {
      populationSize: population,
      tournamentFraction,
      criterion: criterionFrom(criterion),
      objectives: objectivesFrom(objectives),
      batchIndependent: batchIndependent === 'true',
      architectures,
      dataset,
      seed: seedFlag(seed),
    };
    const store = SearchStore.open(db ?? ':memory:');
    store.saveConfig(search);
    const running = await startServer(config, [{ name: 'evonorm.v1.SelectionService', definition: SelectionServiceService, implementation: selectionService(search, store, logger) }], logger);
    exitOnSignals(running, logger);
    console.log(`evonorm selection service listening on ${running.address}`);
  },
  2,
);
