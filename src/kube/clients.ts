import { AppsV1Api, AutoscalingV2Api, CoreV1Api, KubeConfig, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import type { ClusterConfig, Config } from '../config/schema.ts';
import { tracedConfiguration } from './api-spans.ts';
import { reuseConnections } from './connections.ts';
import { KubeError } from './errors.ts';

/**
 * One KubeConfig (and its typed API clients) per configured cluster: a kubeconfig file and
 * context, the default kubeconfig (KUBECONFIG or ~/.kube/config, read by client-node), or the
 * pod's service account when the bot runs in the cluster. Built once and cached.
 */
export interface KubeClients {
  /** The cluster's name in the bot's config (used in every message). */
  readonly cluster: string;
  readonly region: string;
  readonly kubeConfig: KubeConfig;
  readonly apps: AppsV1Api;
  readonly core: CoreV1Api;
  readonly rbac: RbacAuthorizationV1Api;
  readonly autoscaling: AutoscalingV2Api;
}

/** How to reach a cluster, independent of the rest of the config (tests build these directly). */
export type ClusterAccess =
  | { readonly inCluster: true }
  | { readonly inCluster?: false; readonly kubeconfig?: string | undefined; readonly context?: string | undefined };

const cache = new Map<string, KubeClients>();

export function accessOf(cluster: ClusterConfig): ClusterAccess {
  if (cluster.inCluster === true) return { inCluster: true };
  return { kubeconfig: cluster.kubeconfig, context: cluster.context };
}

export function loadKubeConfig(name: string, access: ClusterAccess): KubeConfig {
  const kc = new KubeConfig();
  try {
    if (access.inCluster === true) kc.loadFromCluster();
    else if (access.kubeconfig !== undefined) kc.loadFromFile(access.kubeconfig);
    else kc.loadFromDefault();
  } catch (e) {
    const from = access.inCluster === true ? 'the in-cluster service account' : (access.kubeconfig ?? 'the default kubeconfig');
    throw new KubeError('invalid', `The kubeconfig for cluster ${name} could not be loaded from ${from}`, { cause: e });
  }
  if (access.inCluster !== true && access.context !== undefined) {
    if (kc.getContextObject(access.context) === null) {
      throw new KubeError('invalid', `The kubeconfig for cluster ${name} has no context named ${access.context}`);
    }
    kc.setCurrentContext(access.context);
  }
  if (kc.getCurrentCluster() === null) throw new KubeError('invalid', `The kubeconfig for cluster ${name} names no cluster in its current context`);
  return kc;
}

/** Clients for one cluster, cached by (name, how it is reached). */
export function clientsFor(name: string, region: string, access: ClusterAccess): KubeClients {
  const key = JSON.stringify([name, region, access]);
  let c = cache.get(key);
  if (c === undefined) {
    const kubeConfig = reuseConnections(loadKubeConfig(name, access));
    // makeApiClient's configuration with every call made a span of the active trace.
    const configuration = tracedConfiguration(kubeConfig, name);
    c = {
      cluster: name,
      region,
      kubeConfig,
      apps: new AppsV1Api(configuration),
      core: new CoreV1Api(configuration),
      rbac: new RbacAuthorizationV1Api(configuration),
      autoscaling: new AutoscalingV2Api(configuration),
    };
    cache.set(key, c);
  }
  return c;
}

export function clientsForConfig(config: Config, cluster: string): KubeClients {
  const c = config.clusters[cluster];
  if (c === undefined) throw new KubeError('invalid', `Cluster ${cluster} is not in the bot's configuration`);
  return clientsFor(cluster, c.region, accessOf(c));
}

/** Forgets every cached client (for tests that rewrite kubeconfig files). */
export function clearClientCache(): void {
  cache.clear();
}
