/**
 * The mutation service on its own: `npx nx serve mutation` or `node services/mutation/dist/src/main.js
 * [--host 127.0.0.1] [--port 50051]` (`--help` lists every flag; each also reads EVONORM_<FLAG>).
 * Prints its address when ready.
 */
import { MutationServiceService } from '@evonorm/contracts';
import { exitOnFlagError, exitOnSignals, flagUsage, jsonLogger, parseFlags, serverConfig, serverFlags, startServer } from '@evonorm/rpc';
import { mutationService } from './service.js';

const FLAGS = serverFlags(50051);

await exitOnFlagError(
  'mutation',
  async () => {
    const { help, ...server } = parseFlags(process.argv.slice(2), FLAGS, { env: process.env }).values;
    if (help) return void console.log(flagUsage('usage: node services/mutation/dist/src/main.js [flags]', FLAGS));
    const config = serverConfig(server);
    const logger = jsonLogger('mutation', { level: config.logLevel });
    const running = await startServer(config, [{ name: 'evonorm.v1.MutationService', definition: MutationServiceService, implementation: mutationService(logger) }], logger);
    exitOnSignals(running, logger);
    console.log(`evonorm mutation service listening on ${running.address}`);
  },
  2,
);
