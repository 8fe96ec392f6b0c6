import { stringify } from 'yaml';
import type { Config } from '../config/schema.ts';
import { clientsFor } from '../kube/clients.ts';
import { KubeError } from '../kube/errors.ts';
import { applyRbac } from '../kube/rbac-apply.ts';
import { botRbac, rbacManifests } from '../kube/rbac.ts';

/**
 * `chatops rbac`: the bot's least-privilege Roles and RoleBindings, generated from the config.
 * Printed as YAML for review or GitOps, or applied with an admin identity (the bot can't grant
 * itself rights): each cluster's admin context is found by a pattern, `{context}-admin` by
 * default, in the cluster's kubeconfig or in --admin-kubeconfig.
 */
export interface RbacOptions {
  readonly apply?: boolean;
  readonly adminKubeconfig?: string;
  readonly adminContext: string;
  readonly createNamespaces?: boolean;
  readonly cluster?: string;
}

export function rbacYaml(config: Config, only?: string): string {
  return botRbac(config)
    .filter((p) => only === undefined || p.cluster === only)
    .map((p) => `# cluster ${p.cluster}: ${p.namespaces.length} namespace(s)\n` + rbacManifests(p).map((m) => stringify(m)).join('---\n'))
    .join('---\n');
}

export async function applyBotRbac(config: Config, opts: RbacOptions, log: (line: string) => void): Promise<boolean> {
  let ok = true;
  for (const plan of botRbac(config)) {
    if (opts.cluster !== undefined && plan.cluster !== opts.cluster) continue;
    const c = config.clusters[plan.cluster];
    if (c === undefined) continue;
    const kubeconfig = opts.adminKubeconfig ?? (c.inCluster === true ? undefined : c.kubeconfig);
    const context = opts.adminContext.replaceAll('{cluster}', plan.cluster).replaceAll('{context}', c.inCluster === true ? plan.cluster : (c.context ?? plan.cluster));
    try {
      const admin = clientsFor(`${plan.cluster} (admin)`, c.region, { kubeconfig, context });
      const r = await applyRbac(admin, plan, { createNamespaces: opts.createNamespaces === true });
      log(`${plan.cluster}: ${r.created.length} created, ${r.updated.length} updated, ${r.unchanged.length} unchanged`);
      for (const x of r.created) log(`  + ${x}`);
      for (const x of r.updated) log(`  ~ ${x}`);
    } catch (e) {
      ok = false;
      log(`${plan.cluster}: ${e instanceof KubeError ? e.message : 'failed (see the log)'}`);
      if (!(e instanceof KubeError)) console.error(e);
    }
  }
  return ok;
}
