import type { Config } from '../config/schema.ts';
import { clientsFor } from '../kube/clients.ts';
import { KubeError } from '../kube/errors.ts';
import { ensureSampleWorkloads, sampleWorkloads } from '../kube/sample-apps.ts';

/**
 * `chatops samples`: creates the config's apps as sample workloads on the local clusters, with
 * each cluster's admin context (`{context}-admin` by default), so the bot has something to
 * deploy. For trying the bot locally; production clusters have their own workloads.
 */
export async function createSamples(config: Config, adminContext: string, log: (line: string) => void): Promise<boolean> {
  let ok = true;
  const all = sampleWorkloads(config);
  for (const [name, c] of Object.entries(config.clusters)) {
    if (c.inCluster === true) continue;
    const context = adminContext.replaceAll('{cluster}', name).replaceAll('{context}', c.context ?? name);
    try {
      const created = await ensureSampleWorkloads(clientsFor(`${name} (admin)`, c.region, { kubeconfig: c.kubeconfig, context }), all.filter((w) => w.cluster === name));
      log(`${name}: ${created.length} sample workload(s) created`);
    } catch (e) {
      ok = false;
      log(`${name}: ${e instanceof KubeError ? e.message : 'failed'}`);
      if (!(e instanceof KubeError)) console.error(e);
    }
  }
  return ok;
}
