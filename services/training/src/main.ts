/**
 * A training worker on its own: `npx nx serve training` or `node services/training/dist/src/main.js
 * [--port 50053] [--max-concurrent 1] [--max-queued 16] [--threads N] [--engine auto|onnx|tfjs] [--ep cpu|cuda] [--device 0] [--fashion-mnist-dir D] [--cifar10-dir D]`
 * (`--help` lists every flag; each also reads EVONORM_<FLAG>). Run one replica per core or GPU,
 * on different ports. Prints its address when ready.
 */
import { TrainingServiceService } from '@evonorm/contracts';
import { FlagError, TRAINING_MAX_MESSAGE_BYTES, defineFlags, exitOnFlagError, exitOnSignals, flagUsage, jsonLogger, parseFlags, serverConfig, serverFlags, startServer } from '@evonorm/rpc';
import { PROVIDER_FLAGS, requireExecutionProvider } from '@evonorm/train';
import { DatasetCatalog } from './datasets.js';
import { trainingService } from './service.js';

const FLAGS = defineFlags({
  ...serverFlags(50053, TRAINING_MAX_MESSAGE_BYTES),
  'max-concurrent': { type: 'int', min: 1, default: 1, description: 'trainings run at once' },
  'max-queued': { type: 'int', min: 0, default: 16, description: 'trainings waiting beyond those (more: RESOURCE_EXHAUSTED)' },
  threads: { type: 'int', min: 0, default: 0, note: '0: ONNX Runtime decides', description: 'CPU threads per training' },
  engine: { type: 'enum', values: ['auto', 'onnx', 'tfjs'], default: 'auto', description: 'engine of requests that leave it unset' },
  ...PROVIDER_FLAGS,
  'fashion-mnist-dir': { type: 'string', placeholder: 'dir', description: 'Fashion-MNIST IDX files' },
  'cifar10-dir': { type: 'string', placeholder: 'dir', description: 'CIFAR-10 binary batches' },
});

await exitOnFlagError(
  'training',
  async () => {
    const {
      help,
      'max-concurrent': maxConcurrent,
      'max-queued': maxQueued,
      threads,
      engine,
      ep,
      device,
      'fashion-mnist-dir': fashionMnist,
      'cifar10-dir': cifar10,
      ...server
    } = parseFlags(process.argv.slice(2), FLAGS, {
      env: process.env,
    }).values;
    if (help) return void console.log(flagUsage('usage: node services/training/dist/src/main.js [flags]', FLAGS));
    // A replica asked for CUDA that cannot load it exits now, saying what is missing.
    await requireExecutionProvider(ep, device, (message) => new FlagError(message));
    const config = serverConfig(server);
    const logger = jsonLogger('training', { level: config.logLevel });
    const catalog = new DatasetCatalog({ ...(fashionMnist ? { fashionMnist } : {}), ...(cifar10 ? { cifar10 } : {}) });
    const service = trainingService(catalog, { maxConcurrent, maxQueued, threads, engine, ep, device }, logger);
    const running = await startServer(config, [{ name: 'evonorm.v1.TrainingService', definition: TrainingServiceService, implementation: service }], logger);
    exitOnSignals(running, logger);
    console.log(`evonorm training service listening on ${running.address}`);
  },
  2,
);
