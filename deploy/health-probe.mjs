// Kubernetes exec probe: asks this pod's own server for its gRPC health (grpc.health.v1) over the
// same mutual TLS the server requires, since kubelet's built-in grpc probe speaks only plaintext.
// Usage (in the image): node deploy/health-probe.mjs <port> [service]. Exits 0 when SERVING.
// TLS files from the server's environment: EVONORM_TLS_CERT and EVONORM_TLS_KEY are the client
// identity too (the certificates carry "client auth"), EVONORM_TLS_CLIENT_CA verifies the server's
// chain. The host name is not checked: the probe dials 127.0.0.1, its own pod. No TLS variables:
// plaintext.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { credentials, loadPackageDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

const require = createRequire(import.meta.url);
const [port, service = ''] = process.argv.slice(2);
if (!/^\d+$/.test(port ?? '')) {
  console.error('usage: node deploy/health-probe.mjs <port> [service]');
  process.exit(2);
}
const { EVONORM_TLS_CERT: cert, EVONORM_TLS_KEY: key, EVONORM_TLS_CLIENT_CA: ca } = process.env;
const channel = cert && key ? credentials.createSsl(ca ? readFileSync(ca) : null, readFileSync(key), readFileSync(cert), { checkServerIdentity: () => undefined }) : credentials.createInsecure();
const { protoPath } = require('grpc-health-check');
const { grpc } = loadPackageDefinition(loadSync(protoPath, { enums: String }));
const client = new grpc.health.v1.Health(`127.0.0.1:${port}`, channel);
client.check({ service }, { deadline: new Date(Date.now() + 4000) }, (error, reply) => {
  client.close();
  if (error) {
    console.error(`health ${service || '(server)'}: ${error.details || error.message}`);
    process.exit(1);
  }
  if (reply.status !== 'SERVING') console.error(`health ${service || '(server)'}: ${reply.status}`);
  process.exit(reply.status === 'SERVING' ? 0 : 1);
});
