import type { Config } from '../config/schema.ts';
import type * as GatewayModuleNs from './gateway.ts';
import type { ClusterGateway } from './gateway.ts';
import type { WatchCount } from './watch-stats.ts';

/**
 * Gateways that load @kubernetes/client-node on first use. The client library costs about
 * 70 MB of memory once loaded, and an API process that only answers chat (or a worker that
 * has not run anything yet) does not need it; the first call that talks to a cluster pays for
 * the import once.
 */
type GatewayModule = typeof GatewayModuleNs;

let loading: Promise<GatewayModule> | undefined;

function load(): Promise<GatewayModule> {
  loading ??= import('./gateway.ts');
  return loading;
}

/**
 * The shared rollout watches' counts since the last drain, and a stop for the watches nobody
 * follows any more: both nothing at all when no cluster was ever called (the client was never loaded).
 */
export async function drainWatchStats(): Promise<WatchCount[]> {
  return loading === undefined ? [] : (await loading).processWatches().stats.drain();
}

export async function stopIdleWatches(): Promise<void> {
  if (loading !== undefined) (await loading).processWatches().stopIdle();
}

/** Starts loading the client in the background: a worker will need it for its first job. */
export function preloadGateway(): void {
  void load();
}

export function lazyGatewayFor(config: Config): (cluster: string) => ClusterGateway {
  const made = new Map<string, ClusterGateway>();
  return (cluster) => {
    let gw = made.get(cluster);
    if (gw !== undefined) return gw;
    const real = async () => (await load()).gatewayFor(config, cluster);
    gw = {
      cluster,
      region: config.clusters[cluster]?.region ?? cluster,
      setImage: async (...a) => (await real()).setImage(...a),
      followRollout: async (...a) => (await real()).followRollout(...a),
      scale: async (...a) => (await real()).scale(...a),
      rollback: async (...a) => (await real()).rollback(...a),
      restart: async (...a) => (await real()).restart(...a),
      setImageWithPartition: async (...a) => (await real()).setImageWithPartition(...a),
      setPartition: async (...a) => (await real()).setPartition(...a),
      status: async (...a) => (await real()).status(...a),
      diagnose: async (...a) => (await real()).diagnose(...a),
      history: async (...a) => (await real()).history(...a),
      drifts: async (...a) => (await real()).drifts(...a),
      read: async (...a) => (await real()).read(...a),
      preflightFacts: async (...a) => (await real()).preflightFacts(...a),
      revisions: async (...a) => (await real()).revisions(...a),
      pods: async (...a) => (await real()).pods(...a),
      hpa: async (...a) => (await real()).hpa(...a),
      applyHpa: async (...a) => (await real()).applyHpa(...a),
      removeHpa: async (...a) => (await real()).removeHpa(...a),
      scalingPods: async (...a) => (await real()).scalingPods(...a),
    };
    made.set(cluster, gw);
    return gw;
  };
}
