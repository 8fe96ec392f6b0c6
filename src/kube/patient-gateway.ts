import type { ClusterGateway } from './gateway.ts';
import { retryTransientRead } from './retry.ts';

/**
 * The same gateway with its reads tried again through a short spell of transient errors
 * (retryTransientRead); its writes are untouched. What binding a request uses: a request is
 * refused only when a cluster keeps failing, not on the first 429 of a busy apiserver.
 */
export function patientReads(gw: ClusterGateway): ClusterGateway {
  return {
    ...gw,
    status: (ref) => retryTransientRead(() => gw.status(ref)),
    history: (ref, seen) => retryTransientRead(() => gw.history(ref, seen)),
    revisions: (ref) => retryTransientRead(() => gw.revisions(ref)),
    pods: (ref) => retryTransientRead(() => gw.pods(ref)),
    hpa: (ref) => retryTransientRead(() => gw.hpa(ref)),
    scalingPods: (ref) => retryTransientRead(() => gw.scalingPods(ref)),
  };
}
