import type { V1PolicyRule, V1Role, V1RoleBinding, RbacV1Subject } from '@kubernetes/client-node';
import type { KubeClients } from './clients.ts';
import { KubeError, kubeCall } from './errors.ts';
import type { ClusterRbac } from './rbac.ts';

/**
 * Creates or replaces the bot's Roles and RoleBindings on one cluster, with an admin identity
 * (the bot cannot grant itself rights). Idempotent: objects that already match are not written,
 * so a second run changes nothing. Namespaces are created only when asked (test setup); in
 * production they belong to whoever deploys the apps.
 */
export interface ApplyRbacOptions {
  readonly createNamespaces?: boolean | undefined;
  readonly fieldManager?: string | undefined;
}

export interface ApplyRbacResult {
  readonly cluster: string;
  /** "Namespace web-prod", "Role web-prod/chatops-bot", … */
  readonly created: readonly string[];
  readonly updated: readonly string[];
  readonly unchanged: readonly string[];
}

const FIELD_MANAGER = 'chatops-rbac';

function isNotFound(e: unknown): boolean {
  return e instanceof KubeError && e.kind === 'not_found';
}

/** Replaces carry the resourceVersion read, so a concurrent change is a conflict, not lost. */
function rvOf(rv: string | undefined): { resourceVersion?: string } {
  return rv === undefined ? {} : { resourceVersion: rv };
}

function normRules(rules: readonly V1PolicyRule[] | undefined): string {
  return JSON.stringify(
    (rules ?? []).map((r) => ({
      apiGroups: r.apiGroups ?? [],
      resources: r.resources ?? [],
      verbs: r.verbs,
      resourceNames: r.resourceNames ?? [],
      nonResourceURLs: r.nonResourceURLs ?? [],
    })),
  );
}

function normSubjects(subjects: readonly RbacV1Subject[] | undefined): string {
  return JSON.stringify((subjects ?? []).map((s) => ({ kind: s.kind, apiGroup: s.apiGroup ?? '', name: s.name, namespace: s.namespace ?? '' })));
}

/** Whether every wanted label is on the object with the same value (extra labels are left alone). */
function hasLabels(have: Record<string, string> | undefined, want: Record<string, string> | undefined): boolean {
  return Object.entries(want ?? {}).every(([k, v]) => have?.[k] === v);
}

export async function applyRbac(admin: KubeClients, plan: ClusterRbac, options: ApplyRbacOptions = {}): Promise<ApplyRbacResult> {
  const created: string[] = [];
  const updated: string[] = [];
  const unchanged: string[] = [];
  const fieldManager = options.fieldManager ?? FIELD_MANAGER;
  const cluster = admin.cluster;

  if (options.createNamespaces === true) {
    for (const ns of plan.namespaces) {
      const ctx = { cluster, verb: 'get', resource: 'namespaces', name: ns };
      try {
        await kubeCall(ctx, () => admin.core.readNamespace({ name: ns }));
        unchanged.push(`Namespace ${ns}`);
      } catch (e) {
        if (!isNotFound(e)) throw e;
        await kubeCall({ ...ctx, verb: 'create' }, () => admin.core.createNamespace({ body: { metadata: { name: ns } }, fieldManager }));
        created.push(`Namespace ${ns}`);
      }
    }
  }

  for (const role of plan.roles) {
    const ns = role.metadata?.namespace ?? '';
    const name = role.metadata?.name ?? '';
    const label = `Role ${ns}/${name}`;
    const ctx = { cluster, verb: 'get', resource: 'roles', namespace: ns, name };
    let existing: V1Role | undefined;
    try {
      existing = await kubeCall(ctx, () => admin.rbac.readNamespacedRole({ name, namespace: ns }));
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    if (existing === undefined) {
      await kubeCall({ ...ctx, verb: 'create' }, () => admin.rbac.createNamespacedRole({ namespace: ns, body: role, fieldManager }));
      created.push(label);
    } else if (normRules(existing.rules) !== normRules(role.rules) || !hasLabels(existing.metadata?.labels, role.metadata?.labels)) {
      const body: V1Role = {
        ...role,
        metadata: { ...role.metadata, labels: { ...existing.metadata?.labels, ...role.metadata?.labels }, ...rvOf(existing.metadata?.resourceVersion) },
      };
      await kubeCall({ ...ctx, verb: 'update' }, () => admin.rbac.replaceNamespacedRole({ name, namespace: ns, body, fieldManager }));
      updated.push(label);
    } else {
      unchanged.push(label);
    }
  }

  for (const binding of plan.bindings) {
    const ns = binding.metadata?.namespace ?? '';
    const name = binding.metadata?.name ?? '';
    const label = `RoleBinding ${ns}/${name}`;
    const ctx = { cluster, verb: 'get', resource: 'rolebindings', namespace: ns, name };
    let existing: V1RoleBinding | undefined;
    try {
      existing = await kubeCall(ctx, () => admin.rbac.readNamespacedRoleBinding({ name, namespace: ns }));
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    const recreate = existing !== undefined && JSON.stringify(existing.roleRef) !== JSON.stringify(binding.roleRef);
    if (recreate) {
      // roleRef is immutable: the binding has to be recreated.
      await kubeCall({ ...ctx, verb: 'delete' }, () => admin.rbac.deleteNamespacedRoleBinding({ name, namespace: ns }));
      existing = undefined;
    }
    if (existing === undefined) {
      await kubeCall({ ...ctx, verb: 'create' }, () => admin.rbac.createNamespacedRoleBinding({ namespace: ns, body: binding, fieldManager }));
      (recreate ? updated : created).push(label);
    } else if (normSubjects(existing.subjects) !== normSubjects(binding.subjects) || !hasLabels(existing.metadata?.labels, binding.metadata?.labels)) {
      const body: V1RoleBinding = {
        ...binding,
        metadata: { ...binding.metadata, labels: { ...existing.metadata?.labels, ...binding.metadata?.labels }, ...rvOf(existing.metadata?.resourceVersion) },
      };
      await kubeCall({ ...ctx, verb: 'update' }, () => admin.rbac.replaceNamespacedRoleBinding({ name, namespace: ns, body, fieldManager }));
      updated.push(label);
    } else {
      unchanged.push(label);
    }
  }
  return { cluster, created, updated, unchanged };
}
