/**
 * The rejection service on its own: `npx nx serve rejection` or `node services/rejection/dist/src/main.js
 * [--port 50052] [--training-address host:port[,host:port...] | dns:///name:port] [--training-slots 0] [--selection-address host:port] [--dataset fashion_mnist|synthetic]`.
 * TestQuality needs a training service; Screen reports duplicates when it knows the selection
 * service; the stability test runs here. Prints its address when ready.
 */
import { existsSync } from 'node:fs';
import { RejectionServiceService } from '@evonorm/contracts';
import { FASHION_MNIST_DIR, readFashionMnist, syntheticDataset, type Dataset } from '@evonorm/data';
import { ConfigError, exitOnSignals, jsonLogger, serverConfig, startServer } from '@evonorm/rpc';
import { selectionLookup, trainingClient } from './quality.js';
import { rejectionService } from './service.js';

try {
  const config = serverConfig(process.argv.slice(2), process.env, { port: 50052 }, ['training-address', 'training-slots', 'selection-address', 'dataset', 'threads']);
  const datasetName = config.extra.dataset ?? (existsSync(FASHION_MNIST_DIR) ? 'fashion_mnist' : 'synthetic');
  if (!['fashion_mnist', 'synthetic'].includes(datasetName)) throw new ConfigError('--dataset must be fashion_mnist or synthetic');
  let dataset: Dataset | undefined;
  const stabilityData = (): Dataset =>
    (dataset ??= datasetName === 'fashion_mnist' ? readFashionMnist() : syntheticDataset({ seed: 0, shape: [1, 16, 16], train: 400, test: 100 }));
  const logger = jsonLogger('rejection', { level: config.logLevel });
  const trainingAddress = config.extra['training-address'];
  const trainingSlots = Number(config.extra['training-slots'] ?? 0);
  if (!Number.isInteger(trainingSlots) || trainingSlots < 0) throw new ConfigError('--training-slots must be a whole number (0: no limit)');
  const selectionAddress = config.extra['selection-address'];
  const service = rejectionService(
    {
      stabilityData,
      ...(trainingAddress ? { training: trainingClient(trainingAddress, trainingSlots) } : {}),
      ...(selectionAddress ? { lookup: selectionLookup(selectionAddress) } : {}),
      threads: Number(config.extra.threads ?? 0),
    },
    logger,
  );
  const running = await startServer(config, [{ name: 'evonorm.v1.RejectionService', definition: RejectionServiceService, implementation: service }], logger);
  exitOnSignals(running, logger);
  console.log(`evonorm rejection service listening on ${running.address}`);
} catch (error) {
  console.error(`rejection: ${error instanceof ConfigError ? error.message : (error as Error).stack}`);
  process.exit(2);
}
