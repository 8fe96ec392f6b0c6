import { chmodSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KubeConfig, KubernetesObjectApi, PatchStrategy, type KubernetesObject, type V1NonResourceRule, type V1ResourceRule } from '@kubernetes/client-node';
import { parseAllDocuments, stringify } from 'yaml';
import type { KubeClients } from '../../../src/kube/clients.ts';

/**
 * Helpers for the deploy/kubernetes test: the manifests as files, applied the way
 * `kubectl apply --server-side` does, a kubeconfig for a bearer token, and RBAC rules flattened
 * into single permissions so that two rule lists can be compared as sets.
 */
export const DEPLOY_DIR = new URL('../../../deploy/kubernetes/', import.meta.url).pathname;
export const FIELD_MANAGER = 'chatops-deploy-test';

export interface Manifest extends KubernetesObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
}

/** The YAML files directly in `dir` (not its subfolders: what `kubectl apply -f dir` reads), in name order. */
export function manifestsIn(dir: string): Manifest[] {
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .flatMap((f) => manifestsOf(join(dir, f)));
}

export function manifestsOf(file: string): Manifest[] {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((d) => d.toJS() as unknown)
    .filter((d): d is Manifest => typeof d === 'object' && d !== null && typeof (d as { kind?: unknown }).kind === 'string');
}

export function label(m: Pick<Manifest, 'kind' | 'metadata'>): string {
  return `${m.kind} ${m.metadata.namespace === undefined ? '' : `${m.metadata.namespace}/`}${m.metadata.name}`;
}

export function objectApi(c: KubeClients): KubernetesObjectApi {
  return KubernetesObjectApi.makeApiClient(c.kubeConfig);
}

/**
 * Server-side apply, as `kubectl apply --server-side --field-manager=…` (no force: a conflict
 * fails). Returns each object's version: its generation, or its resourceVersion when it has none.
 */
export async function apply(api: KubernetesObjectApi, objects: readonly Manifest[]): Promise<Map<string, string>> {
  const versions = new Map<string, string>();
  for (const o of objects) {
    const applied = await api.patch<KubernetesObject>(o, undefined, undefined, FIELD_MANAGER, false, PatchStrategy.ServerSideApply);
    versions.set(label(o), versionOf(applied));
  }
  return versions;
}

/**
 * What changes when someone writes an object: its generation, which moves only when the spec
 * changes (controllers writing the status of a Deployment move its resourceVersion anyway), or
 * its resourceVersion for objects without one.
 */
function versionOf(o: KubernetesObject): string {
  const generation = o.metadata?.generation;
  return generation === undefined ? `resourceVersion ${o.metadata?.resourceVersion ?? ''}` : `generation ${generation}`;
}

/** The objects' versions as they are now. */
export async function versions(api: KubernetesObjectApi, objects: readonly Manifest[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const o of objects) out.set(label(o), versionOf(await api.read(header(o))));
  return out;
}

function header(o: Manifest): Manifest {
  return { apiVersion: o.apiVersion, kind: o.kind, metadata: { name: o.metadata.name, ...(o.metadata.namespace === undefined ? {} : { namespace: o.metadata.namespace }) } };
}

// (kube-apiserver labels a legacy token Secret with when it was last used.)
const CONTROLLERS = new Set(['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok-controller']);

/** The field managers of an object other than the cluster's controllers, or undefined when it does not exist. */
export async function managersOf(api: KubernetesObjectApi, o: Manifest): Promise<string[] | undefined> {
  try {
    const live = await api.read(header(o));
    // Controllers (writing status, or a token into its Secret) don't make an object shared.
    return (live.metadata?.managedFields ?? []).filter((f) => (f.subresource ?? '') === '' && !CONTROLLERS.has(f.manager ?? '')).map((f) => f.manager ?? '');
  } catch (e) {
    if ((e as { code?: unknown }).code === 404) return undefined;
    throw e;
  }
}

/**
 * Undoes an apply: an object someone else also manages (the Roles that scripts/cluster/up.sh
 * made for the bot's user are the same Roles) only loses this test's ownership, by applying an
 * empty intent; anything else is deleted.
 */
export async function unapply(api: KubernetesObjectApi, o: Manifest): Promise<'released' | 'deleted' | 'absent'> {
  const managers = await managersOf(api, o);
  if (managers === undefined) return 'absent';
  if (managers.some((m) => m !== FIELD_MANAGER && m !== '')) {
    await api.patch(header(o), undefined, undefined, FIELD_MANAGER, false, PatchStrategy.ServerSideApply);
    return 'released';
  }
  try {
    await api.delete(header(o), undefined, undefined, undefined, undefined, 'Background');
  } catch (e) {
    if ((e as { code?: unknown }).code !== 404) throw e;
  }
  return 'deleted';
}

/** A kubeconfig whose users are bearer tokens, one context per cluster (named like the cluster). */
export function tokenKubeconfig(file: string, entries: readonly { cluster: string; server: string; caData: string; user: string; token: string }[]): string {
  writeFileSync(
    file,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: entries.map((e) => ({ name: e.cluster, cluster: { server: e.server, 'certificate-authority-data': e.caData } })),
      users: entries.map((e) => ({ name: `${e.user}@${e.cluster}`, user: { token: e.token } })),
      contexts: entries.map((e) => ({ name: e.cluster, context: { cluster: e.cluster, user: `${e.user}@${e.cluster}` } })),
      'current-context': entries[0]?.cluster ?? '',
    }),
    { mode: 0o600 },
  );
  chmodSync(file, 0o600);
  return file;
}

/** The server and CA of a cluster as the admin's kubeconfig knows them. */
export function serverOf(admin: KubeClients): { server: string; caData: string } {
  const c = admin.kubeConfig.getCurrentCluster();
  if (c === null || c.caData === undefined) throw new Error(`no cluster with inline CA data in the admin kubeconfig of ${admin.cluster}`);
  return { server: c.server, caData: c.caData };
}

export function kubeConfigFor(file: string, context: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(file);
  kc.setCurrentContext(context);
  return kc;
}

/**
 * Rules flattened to one permission each ("apps|deployments|patch|*"), so that what an account
 * may do can be compared as a set, whatever way the rules were split up.
 */
export function permissions(rules: readonly Pick<V1ResourceRule, 'apiGroups' | 'resources' | 'verbs' | 'resourceNames'>[]): Set<string> {
  const out = new Set<string>();
  for (const r of rules) {
    const names = r.resourceNames === undefined || r.resourceNames.length === 0 ? ['*'] : r.resourceNames;
    for (const g of r.apiGroups ?? ['']) for (const res of r.resources ?? []) for (const v of r.verbs) for (const n of names) out.add(`${g}|${res}|${v}|${n}`);
  }
  return out;
}

export function nonResourcePermissions(rules: readonly V1NonResourceRule[]): Set<string> {
  const out = new Set<string>();
  for (const r of rules) for (const u of r.nonResourceURLs ?? []) for (const v of r.verbs) out.add(`${u}|${v}`);
  return out;
}

export function minus(a: ReadonlySet<string>, b: ReadonlySet<string>): string[] {
  return [...a].filter((x) => !b.has(x)).sort();
}
