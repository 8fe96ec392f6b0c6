import type { V1PolicyRule, V1Role, V1RoleBinding, RbacV1Subject } from '@kubernetes/client-node';
import type { Config } from '../config/schema.ts';
import { appRunsIn, namespaceFor } from '../core/targets.ts';

/**
 * The bot's least-privilege RBAC, generated from the config (pure, no cluster call): on each
 * cluster, in each namespace some app of some environment on that cluster lives in, one Role
 * and one RoleBinding. Nothing cluster-wide, no secrets, no create or delete of workloads: the
 * bot changes workloads that already exist and reads what explains them. The one thing it
 * creates and deletes is an app's HorizontalPodAutoscaler (/autoscale).
 */
export const BOT_RBAC_NAME = 'chatops-bot';
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'chatops-bot';

export const BOT_RULES: readonly V1PolicyRule[] = [
  { apiGroups: ['apps'], resources: ['deployments', 'statefulsets'], verbs: ['get', 'list', 'watch', 'patch', 'update'] },
  { apiGroups: ['apps'], resources: ['deployments/scale', 'statefulsets/scale'], verbs: ['get', 'patch', 'update'] },
  { apiGroups: ['apps'], resources: ['replicasets', 'controllerrevisions'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: [''], resources: ['pods', 'events'], verbs: ['get', 'list', 'watch'] },
  // Preflight reads (issue 16): what guards drains and what the namespace may still use.
  { apiGroups: ['policy'], resources: ['poddisruptionbudgets'], verbs: ['list'] },
  { apiGroups: [''], resources: ['resourcequotas'], verbs: ['list'] },
  // /autoscale: the app's HorizontalPodAutoscaler is the one kind of object the bot creates and deletes.
  { apiGroups: ['autoscaling'], resources: ['horizontalpodautoscalers'], verbs: ['list', 'create', 'update', 'delete'] },
];

export type BotIdentity = Config['kubernetes']['identity'];

export interface ClusterRbac {
  readonly cluster: string;
  readonly namespaces: readonly string[];
  readonly roles: readonly V1Role[];
  readonly bindings: readonly V1RoleBinding[];
}

export function subjectOf(identity: BotIdentity): RbacV1Subject {
  return identity.kind === 'User'
    ? { kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: identity.name }
    : { kind: 'ServiceAccount', name: identity.name, namespace: identity.namespace };
}

/** Namespaces the bot acts in on each cluster: every env on it × every app running in that env. */
export function namespacesByCluster(config: Config): Map<string, string[]> {
  const out = new Map<string, Set<string>>();
  for (const cluster of Object.keys(config.clusters)) out.set(cluster, new Set());
  for (const [env, e] of Object.entries(config.environments)) {
    for (const cluster of e.clusters) {
      const set = out.get(cluster) ?? new Set<string>();
      out.set(cluster, set);
      for (const app of Object.keys(config.apps)) if (appRunsIn(config, app, env)) set.add(namespaceFor(config, env, app));
    }
  }
  return new Map([...out.entries()].sort((a, b) => a[0].localeCompare(b[0])).map(([c, s]) => [c, [...s].sort()]));
}

export function roleFor(namespace: string): V1Role {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name: BOT_RBAC_NAME, namespace, labels: { [MANAGED_BY_LABEL]: MANAGED_BY } },
    rules: BOT_RULES.map((r) => ({ apiGroups: [...(r.apiGroups ?? [])], resources: [...(r.resources ?? [])], verbs: [...r.verbs] })),
  };
}

/**
 * The RoleBinding's name. A User identity keeps the plain name; a ServiceAccount's binding is
 * named after the account (like its user name, system:serviceaccount:<ns>:<name>), so that both
 * can be bound in the same namespaces at once, each by its own binding to the one shared Role:
 * moving a bot from a user outside the cluster to a ServiceAccount inside it, or the local
 * clusters, where the bot's user and deploy/kubernetes' ServiceAccount are both bound.
 */
export function bindingNameFor(identity: BotIdentity): string {
  return identity.kind === 'User' ? BOT_RBAC_NAME : `${BOT_RBAC_NAME}:serviceaccount:${identity.namespace}:${identity.name}`;
}

export function roleBindingFor(namespace: string, identity: BotIdentity): V1RoleBinding {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: bindingNameFor(identity), namespace, labels: { [MANAGED_BY_LABEL]: MANAGED_BY } },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: BOT_RBAC_NAME },
    subjects: [subjectOf(identity)],
  };
}

export function rbacForNamespaces(cluster: string, namespaces: readonly string[], identity: BotIdentity): ClusterRbac {
  return {
    cluster,
    namespaces: [...namespaces],
    roles: namespaces.map(roleFor),
    bindings: namespaces.map((ns) => roleBindingFor(ns, identity)),
  };
}

/** One entry per configured cluster, sorted by name. */
export function botRbac(config: Config): ClusterRbac[] {
  return [...namespacesByCluster(config)].map(([cluster, namespaces]) => rbacForNamespaces(cluster, namespaces, config.kubernetes.identity));
}

/** The objects as a flat list of manifests (Roles before RoleBindings), e.g. to write YAML. */
export function rbacManifests(plan: ClusterRbac): (V1Role | V1RoleBinding)[] {
  return [...plan.roles, ...plan.bindings];
}
