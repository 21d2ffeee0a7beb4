/**
 * A training worker on its own: `npx nx serve training` or `node services/training/dist/src/main.js
 * [--port 50053] [--max-concurrent 1] [--max-queued 16] [--threads N] [--engine auto|onnx|tfjs] [--fashion-mnist-dir D] [--cifar10-dir D]`.
 * Run one replica per core or GPU, on different ports. Prints its address when ready.
 */
import { TrainingServiceService } from '@evonorm/contracts';
import { ConfigError, exitOnSignals, jsonLogger, serverConfig, startServer } from '@evonorm/rpc';
import { DatasetCatalog } from './datasets.js';
import { trainingService } from './service.js';

try {
  const config = serverConfig(process.argv.slice(2), process.env, { port: 50053 }, ['max-concurrent', 'max-queued', 'threads', 'engine', 'fashion-mnist-dir', 'cifar10-dir']);
  const maxConcurrent = Number(config.extra['max-concurrent'] ?? 1);
  if (!Number.isInteger(maxConcurrent) || maxConcurrent < 1) throw new ConfigError('--max-concurrent must be a positive integer');
  const maxQueued = Number(config.extra['max-queued'] ?? 16);
  if (!Number.isInteger(maxQueued) || maxQueued < 0) throw new ConfigError('--max-queued must be a non-negative integer');
  const engine = config.extra.engine ?? 'auto';
  if (engine !== 'auto' && engine !== 'onnx' && engine !== 'tfjs') throw new ConfigError('--engine must be auto, onnx or tfjs');
  const threads = Number(config.extra.threads ?? 0);
  if (!Number.isInteger(threads) || threads < 0) throw new ConfigError('--threads must be a non-negative integer');
  const logger = jsonLogger('training', { level: config.logLevel });
  const catalog = new DatasetCatalog({
    ...(config.extra['fashion-mnist-dir'] ? { fashionMnist: config.extra['fashion-mnist-dir'] } : {}),
    ...(config.extra['cifar10-dir'] ? { cifar10: config.extra['cifar10-dir'] } : {}),
  });
  const service = trainingService(catalog, { maxConcurrent, maxQueued, threads, engine }, logger);
  const running = await startServer(config, [{ name: 'evonorm.v1.TrainingService', definition: TrainingServiceService, implementation: service }], logger);
  exitOnSignals(running, logger);
  console.log(`evonorm training service listening on ${running.address}`);
} catch (error) {
  console.error(`training: ${error instanceof ConfigError ? error.message : (error as Error).stack}`);
  process.exit(2);
}
