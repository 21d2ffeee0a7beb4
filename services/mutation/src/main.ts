/**
 * The mutation service on its own: `npx nx serve mutation` or `node services/mutation/dist/src/main.js
 * [--host 127.0.0.1] [--port 50051]`. Prints its address when ready.
 */
import { MutationServiceService } from '@evonorm/contracts';
import { ConfigError, exitOnSignals, jsonLogger, serverConfig, startServer } from '@evonorm/rpc';
import { mutationService } from './service.js';

try {
  const config = serverConfig(process.argv.slice(2), process.env, { port: 50051 });
  const logger = jsonLogger('mutation', { level: config.logLevel });
  const running = await startServer(config, [{ name: 'evonorm.v1.MutationService', definition: MutationServiceService, implementation: mutationService(logger) }], logger);
  exitOnSignals(running, logger);
  console.log(`evonorm mutation service listening on ${running.address}`);
} catch (error) {
  console.error(`mutation: ${error instanceof ConfigError ? error.message : (error as Error).stack}`);
  process.exit(2);
}
