/**
 * deploy/kubernetes, offline: every document the kustomizations apply (the suite, and the
 * optional cert-manager one) validates against the Kubernetes OpenAPI schemas and cert-manager's
 * CRDs (kubernetes-models); and the manifests say what the README promises: mutual TLS from the
 * Secrets cert-manager writes, NetworkPolicies that let only the search reach selection, mutation
 * and rejection and only the search and rejection reach training, non-root read-only pods.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { renderKustomization, validateManifest, type Manifest } from './kustomize.js';

const KUBERNETES = fileURLToPath(new URL('../../kubernetes/', import.meta.url));
const suite = renderKustomization(KUBERNETES);
const certManager = renderKustomization(`${KUBERNETES}cert-manager`);
const workloads = suite.filter((m) => ['Deployment', 'StatefulSet', 'Job'].includes(m.doc.kind));
const podOf = (m: Manifest) => m.doc.spec.template;
const appOf = (m: Manifest): string => podOf(m).metadata.labels.app;
const TLS_DIR = '/etc/evonorm/tls';
const SERVICES: Record<string, number> = { 'evonorm-selection': 50054, 'evonorm-mutation': 50051, 'evonorm-rejection': 50052, 'evonorm-training': 50053 };

describe('Kubernetes manifests', () => {
  it('render to the expected objects', () => {
    const kinds = suite.map((m) => `${m.doc.kind}/${m.doc.metadata.name}`);
    for (const expected of ['Namespace/evonorm', 'StatefulSet/selection', 'Deployment/mutation', 'Deployment/training', 'Deployment/rejection', 'Job/search', 'NetworkPolicy/default-deny']) {
      assert.ok(kinds.includes(expected), `${expected} in ${kinds.join(', ')}`);
    }
    assert.deepEqual(workloads.map(appOf).sort(), ['evonorm-mutation', 'evonorm-rejection', 'evonorm-search', 'evonorm-selection', 'evonorm-training']);
    assert.ok(suite.every((m) => m.doc.kind === 'Namespace' || m.doc.metadata.namespace === 'evonorm'));
  });

  it('validate against the Kubernetes and cert-manager schemas, every document', () => {
    for (const manifest of [...suite, ...certManager]) validateManifest(manifest);
  });

  it('fail validation when a document breaks its schema', () => {
    const broken = structuredClone(workloads[0]!);
    podOf(broken).spec.containers[0].securityContext.runAsUser = 'root';
    assert.throws(() => validateManifest(broken), /runAsUser must be integer/);
    const noPorts = structuredClone(certManager.find((m) => m.doc.kind === 'Certificate')!);
    noPorts.doc.spec.duration = 42;
    assert.throws(() => validateManifest(noPorts), /duration must be string/);
    assert.throws(() => validateManifest({ source: 'x.yaml', doc: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } } }), /no schema known for v1\/Pod/);
  });

  it('run every pod as a non-root user, without privileges, on a read-only root filesystem', () => {
    for (const m of workloads) {
      const pod = podOf(m).spec;
      assert.equal(pod.securityContext.runAsNonRoot, true, m.doc.metadata.name);
      assert.ok(Number.isInteger(pod.securityContext.runAsUser) && pod.securityContext.runAsUser >= 1000, m.doc.metadata.name);
      assert.equal(pod.securityContext.seccompProfile.type, 'RuntimeDefault');
      assert.equal(pod.automountServiceAccountToken, false);
      for (const c of pod.containers) {
        assert.equal(c.securityContext.allowPrivilegeEscalation, false, c.name);
        assert.equal(c.securityContext.readOnlyRootFilesystem, true, c.name);
        assert.deepEqual(c.securityContext.capabilities.drop, ['ALL'], c.name);
      }
    }
  });

  it('mount the Secrets the cert-manager Certificates write, and pass them through EVONORM_TLS_*', () => {
    const secrets = new Map(certManager.filter((m) => m.doc.kind === 'Certificate').map((m) => [m.doc.spec.secretName as string, m.doc.spec]));
    for (const m of workloads) {
      const pod = podOf(m).spec;
      const container = pod.containers[0];
      const mount = container.volumeMounts.find((v: { mountPath: string }) => v.mountPath === TLS_DIR);
      assert.ok(mount?.readOnly, `${m.doc.metadata.name} mounts its certificate read-only at ${TLS_DIR}`);
      const volume = pod.volumes.find((v: { name: string }) => v.name === mount.name);
      const certificate = secrets.get(volume.secret.secretName);
      assert.ok(certificate, `${volume.secret.secretName} is written by a Certificate in cert-manager/`);
      const env = Object.fromEntries(container.env.map((e: { name: string; value: string }) => [e.name, e.value]));
      const server = appOf(m) !== 'evonorm-search';
      const expected = server
        ? { EVONORM_TLS_CERT: `${TLS_DIR}/tls.crt`, EVONORM_TLS_KEY: `${TLS_DIR}/tls.key`, EVONORM_TLS_CLIENT_CA: `${TLS_DIR}/ca.crt` }
        : { EVONORM_TLS_CA: `${TLS_DIR}/ca.crt`, EVONORM_TLS_CERT: `${TLS_DIR}/tls.crt`, EVONORM_TLS_KEY: `${TLS_DIR}/tls.key` };
      assert.deepEqual(env, expected, m.doc.metadata.name);
      // Servers serve with it and the rejection service (and the health probe) call with it.
      assert.deepEqual(certificate.usages.filter((u: string) => u.endsWith('auth')).sort(), server ? ['client auth', 'server auth'] : ['client auth']);
      assert.deepEqual(certificate.issuerRef, { name: 'evonorm-ca', kind: 'Issuer', group: 'cert-manager.io' });
    }
  });

  it('name, in each server certificate, the address its clients dial', () => {
    const names = certManager.filter((m) => m.doc.kind === 'Certificate').flatMap((m) => (m.doc.spec.dnsNames as string[] | undefined) ?? []);
    const dialed = workloads.flatMap((m) => {
      const c = podOf(m).spec.containers[0];
      return [...(c.args ?? []), ...(c.command ?? [])].join(' ').match(/[a-z]+\.evonorm\.svc\.cluster\.local/g) ?? [];
    });
    assert.ok(dialed.length >= 4);
    for (const host of dialed) assert.ok(names.includes(host), `${host} is in a certificate's dnsNames`);
  });

  it('let only the search reach selection, mutation and rejection, and only the search and rejection reach training', () => {
    const policies = suite.filter((m) => m.doc.kind === 'NetworkPolicy').map((m) => m.doc.spec);
    const labelsOf = new Map(workloads.map((m) => [appOf(m), podOf(m).metadata.labels as Record<string, string>]));
    const selects = (selector: { matchLabels?: Record<string, string> } | undefined, labels: Record<string, string>) =>
      selector !== undefined && Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
    const portOk = (ports: Array<{ port: number }> | undefined, port: number) => !ports || ports.some((p) => p.port === port);
    // Kubernetes semantics: traffic is allowed when no policy of that direction selects the pod, or one of those that do allows it.
    const allowed = (direction: 'Ingress' | 'Egress', pod: Record<string, string>, peer: Record<string, string>, port: number): boolean => {
      const applying = policies.filter((p) => p.policyTypes.includes(direction) && selects(p.podSelector, pod));
      if (applying.length === 0) return true;
      const rules = applying.flatMap((p) => (direction === 'Ingress' ? (p.ingress ?? []) : (p.egress ?? [])));
      return rules.some((r: { from?: unknown[]; to?: unknown[]; ports?: Array<{ port: number }> }) => {
        const peers = (direction === 'Ingress' ? r.from : r.to) as Array<{ podSelector?: { matchLabels?: Record<string, string> }; namespaceSelector?: unknown }> | undefined;
        return portOk(r.ports, port) && (peers ?? []).some((x) => x.namespaceSelector === undefined && selects(x.podSelector, peer));
      });
    };
    const reachable: string[] = [];
    for (const [from, fromLabels] of labelsOf) {
      for (const [to, port] of Object.entries(SERVICES)) {
        const toLabels = labelsOf.get(to)!;
        if (from !== to && allowed('Egress', fromLabels, toLabels, port) && allowed('Ingress', toLabels, fromLabels, port)) reachable.push(`${from} -> ${to}`);
      }
    }
    assert.deepEqual(reachable.sort(), [
      'evonorm-rejection -> evonorm-training',
      'evonorm-search -> evonorm-mutation',
      'evonorm-search -> evonorm-rejection',
      'evonorm-search -> evonorm-selection',
      'evonorm-search -> evonorm-training',
    ]);
    // A pod of another namespace, or a new pod here, reaches nothing: the default denies both directions.
    const stranger = { app: 'something-else' };
    for (const [to, port] of Object.entries(SERVICES)) assert.equal(allowed('Ingress', labelsOf.get(to)!, stranger, port), false, to);
    assert.ok(policies.some((p) => Object.keys(p.podSelector).length === 0 && p.policyTypes.includes('Ingress') && !p.ingress));
    // DNS stays open to every pod.
    const dns = policies.find((p) => (p.egress ?? []).some((r: { ports?: Array<{ port: number }> }) => r.ports?.some((x) => x.port === 53)));
    assert.ok(dns && Object.keys(dns.podSelector).length === 0);
  });
});
