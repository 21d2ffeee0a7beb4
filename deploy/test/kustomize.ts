/**
 * The documents a kustomization applies, without kubectl: its `resources` (YAML files, or folders
 * with their own kustomization.yaml) read in order. Any other kustomize feature (patches, name
 * prefixes, generators...) is refused rather than ignored, so what the tests check is exactly what
 * `kubectl apply -k` would send. And the schema check of each document by kubernetes-models.
 */
import { readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { Certificate, Issuer } from '@kubernetes-models/cert-manager/cert-manager.io/v1';
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { Job } from 'kubernetes-models/batch/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { Namespace, PersistentVolumeClaim, Service } from 'kubernetes-models/v1';

/** A rendered document: where it came from and its parsed object. */
export interface Manifest {
  readonly source: string;
  // Kubernetes objects are open-ended JSON; tests read them by path.
  readonly doc: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

const HANDLED = new Set(['apiVersion', 'kind', 'resources']);

export function renderKustomization(dir: string, root = dir): Manifest[] {
  const file = join(dir, 'kustomization.yaml');
  const kustomization = parseAllDocuments(readFileSync(file, 'utf8'))[0]?.toJS() as Record<string, unknown>;
  const unhandled = Object.keys(kustomization).filter((k) => !HANDLED.has(k));
  if (unhandled.length > 0) throw new Error(`${relative(root, file)}: ${unhandled.join(', ')} not rendered here; extend deploy/test/kustomize.ts`);
  const out: Manifest[] = [];
  for (const resource of (kustomization.resources as string[] | undefined) ?? []) {
    const path = join(dir, resource);
    if (statSync(path).isDirectory()) {
      out.push(...renderKustomization(path, root));
      continue;
    }
    for (const document of parseAllDocuments(readFileSync(path, 'utf8'))) {
      if (document.errors.length > 0) throw new Error(`${relative(root, path)}: ${document.errors.map((e) => e.message).join('; ')}`);
      const doc = document.toJS() as Record<string, unknown> | null;
      if (doc !== null) out.push({ source: relative(root, path), doc });
    }
  }
  return out;
}

type Model = new (data: never) => { validate(): void };

/** Schema classes by "apiVersion/kind": the Kubernetes OpenAPI schemas and cert-manager's CRDs. */
const MODELS: Record<string, Model> = {
  'v1/Namespace': Namespace,
  'v1/Service': Service,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'batch/v1/Job': Job,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'cert-manager.io/v1/Issuer': Issuer,
  'cert-manager.io/v1/Certificate': Certificate,
};

/** Validates one document against its schema; throws naming the document and the violation. */
export function validateManifest(manifest: Manifest): void {
  const key = `${manifest.doc.apiVersion}/${manifest.doc.kind}`;
  const Model = MODELS[key];
  const name = `${manifest.source}: ${key} ${manifest.doc.metadata?.name ?? '(no name)'}`;
  if (!Model) throw new Error(`${name}: no schema known for ${key}; add its kubernetes-models class to deploy/test/kustomize.ts`);
  try {
    new Model(structuredClone(manifest.doc) as never).validate();
  } catch (error) {
    throw new Error(`${name}: ${(error as Error).message}`, { cause: error });
  }
}
