/**
 * The rejection service on its own: `npx nx serve rejection` or `node services/rejection/dist/src/main.js
 * [--port 50052] [--training-address host:port[,host:port...] | dns:///name:port] [--training-slots 0] [--selection-address host:port] [--dataset fashion_mnist|synthetic] [--ep cpu|cuda] [--device 0]`
 * (`--help` lists every flag; each also reads EVONORM_<FLAG>). TestQuality needs a training
 * service; Screen reports duplicates when it knows the selection service; the stability test runs
 * here. Prints its address when ready.
 *
 * TLS: this service is a server (--tls-cert, --tls-key, --tls-client-ca) and a client of training
 * and selection (--client-tls-ca, --client-tls-cert, --client-tls-key). With no --client-tls-*
 * and a --tls-client-ca (mutual TLS), its calls reuse the server's certificate and trust that CA.
 */
import { existsSync } from 'node:fs';
import { RejectionServiceService } from '@evonorm/contracts';
import { FASHION_MNIST_DIR, readFashionMnist, syntheticDataset, type Dataset } from '@evonorm/data';
import {
  FlagError,
  channelCredentials,
  defineFlags,
  exitOnFlagError,
  exitOnSignals,
  flagUsage,
  jsonLogger,
  parseFlags,
  serverConfig,
  serverFlags,
  startServer,
  usesTls,
  type ClientTls,
} from '@evonorm/rpc';
import { PROVIDER_FLAGS, requireExecutionProvider } from '@evonorm/train';
import { selectionLookup, trainingClient } from './quality.js';
import { rejectionService } from './service.js';

const FLAGS = defineFlags({
  ...serverFlags(50052),
  'training-address': { type: 'string', placeholder: 'host:port[,host:port...]|dns:///name:port', description: 'training replicas for TestQuality' },
  'training-slots': { type: 'int', min: 0, default: 0, note: '0: no limit', description: 'trainings kept on one replica at a time' },
  'selection-address': { type: 'string', placeholder: 'host:port', description: 'selection service, so Screen reports duplicates' },
  dataset: { type: 'enum', values: ['fashion_mnist', 'synthetic'], description: 'data of the stability test (default fashion_mnist when installed)' },
  threads: { type: 'int', min: 0, default: 0, note: '0: ONNX Runtime decides', description: 'CPU threads of the stability test' },
  ...PROVIDER_FLAGS,
  'client-tls-ca': { type: 'string', placeholder: 'ca.pem', description: 'TLS to training and selection: trust servers this CA signed' },
  'client-tls-cert': { type: 'string', placeholder: 'cert.pem', description: 'client certificate for training and selection' },
  'client-tls-key': { type: 'string', placeholder: 'key.pem', description: 'private key of --client-tls-cert' },
});

await exitOnFlagError(
  'rejection',
  async () => {
    const {
      help,
      'training-address': trainingAddress,
      'training-slots': trainingSlots,
      'selection-address': selectionAddress,
      dataset: datasetFlag,
      threads,
      ep,
      device,
      'client-tls-ca': clientCa,
      'client-tls-cert': clientCert,
      'client-tls-key': clientKey,
      ...server
    } = parseFlags(process.argv.slice(2), FLAGS, { env: process.env }).values;
    if (help) return void console.log(flagUsage('usage: node services/rejection/dist/src/main.js [flags]', FLAGS));
    // The stability test trains here: a provider that cannot load ends the start, saying why.
    await requireExecutionProvider(ep, device, (message) => new FlagError(message));
    const config = serverConfig(server);
    const given: ClientTls = { ca: clientCa, cert: clientCert, key: clientKey };
    const outgoing = usesTls(given) ? given : config.tlsClientCa ? { ca: config.tlsClientCa, cert: config.tlsCert, key: config.tlsKey } : {};
    const channel = channelCredentials(outgoing, usesTls(given) ? '--client-tls' : '--tls');
    const datasetName = datasetFlag ?? (existsSync(FASHION_MNIST_DIR) ? 'fashion_mnist' : 'synthetic');
    let dataset: Dataset | undefined;
    const stabilityData = (): Dataset => (dataset ??= datasetName === 'fashion_mnist' ? readFashionMnist() : syntheticDataset({ seed: 0, shape: [1, 16, 16], train: 400, test: 100 }));
    const logger = jsonLogger('rejection', { level: config.logLevel });
    const service = rejectionService(
      {
        stabilityData,
        ...(trainingAddress ? { training: trainingClient(trainingAddress, trainingSlots, channel) } : {}),
        ...(selectionAddress ? { lookup: selectionLookup(selectionAddress, channel) } : {}),
        threads,
        ep,
        device,
      },
      logger,
    );
    const running = await startServer(config, [{ name: 'evonorm.v1.RejectionService', definition: RejectionServiceService, implementation: service }], logger);
    exitOnSignals(running, logger);
    console.log(`evonorm rejection service listening on ${running.address}`);
  },
  2,
);
