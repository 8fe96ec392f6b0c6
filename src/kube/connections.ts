import type { KubeConfig, RequestContext } from '@kubernetes/client-node';

/**
 * Keeps connections to a cluster open between API calls. client-node (2.0) builds a new undici
 * Agent, and so a new TCP and TLS connection, for every request: its authentication step
 * creates the dispatcher each time. Measured on the local control plane, that handshake was
 * most of the 5–10 ms a single GET took, and a 1,000-workload rollout follows its workloads
 * with thousands of such calls. So each KubeConfig keeps the dispatcher of its first call and
 * hands that one to later calls; the per-call one, never used, has no connection to close.
 *
 * The TLS material (CA, client certificate) comes from the kubeconfig, which a cached client
 * never reloads, except client certificates read from files that may be rotated: the shared
 * dispatcher is therefore renewed every `maxAgeMs` (new connections pick the files up again,
 * the old agent closes once its requests are done). Tokens are headers, set per call as before.
 */
type Dispatcher = NonNullable<ReturnType<RequestContext['getDispatcher']>>;

export const DISPATCHER_MAX_AGE_MS = 10 * 60_000;

export function reuseConnections(kc: KubeConfig, maxAgeMs = DISPATCHER_MAX_AGE_MS, now: () => number = Date.now): KubeConfig {
  const authenticate = kc.applySecurityAuthentication.bind(kc);
  let shared: { dispatcher: Dispatcher; since: number } | undefined;
  kc.applySecurityAuthentication = async (context: RequestContext): Promise<void> => {
    await authenticate(context);
    const fresh = context.getDispatcher();
    if (fresh === undefined) return; // plain HTTP without TLS options: the default dispatcher, pooled already
    if (shared === undefined || now() - shared.since >= maxAgeMs) {
      const old = shared?.dispatcher;
      shared = { dispatcher: fresh, since: now() };
      if (old !== undefined) void old.close().catch(() => undefined);
      return;
    }
    context.setDispatcher(shared.dispatcher);
  };
  return kc;
}
