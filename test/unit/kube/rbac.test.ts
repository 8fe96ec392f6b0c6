import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../src/config/load.ts';
import type { Config } from '../../../src/config/schema.ts';
import { BOT_RULES, botRbac, namespacesByCluster, rbacManifests, subjectOf } from '../../../src/kube/rbac.ts';

function config(identity?: unknown): Config {
  const r = validateConfig(
    {
      people: {},
      clusters: {
        'gz-prod': { region: 'gz' },
        'nj-prod': { region: 'nj' },
        'gz-staging': { region: 'gz' },
        spare: { region: 'nj' },
      },
      environments: {
        prod: { clusters: ['gz-prod', 'nj-prod'], registries: ['registry.example.com'] },
        staging: { clusters: ['gz-staging'], namespace: 'staging', registries: ['registry.example.com'] },
        canary: { clusters: ['gz-prod'], namespace: '{app}-canary', registries: ['registry.example.com'] },
      },
      apps: {
        web: { image: 'registry.example.com/web' },
        api: { image: 'registry.example.com/api', envs: ['prod', 'canary'] },
        db: { image: 'registry.example.com/db', workload: { kind: 'StatefulSet' }, envs: ['staging'] },
      },
      ...(identity === undefined ? {} : { kubernetes: { identity } }),
    },
    {},
  );
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return r.value;
}

describe('namespacesByCluster', () => {
  it('is every env on the cluster × every app running in that env, through the namespace pattern', () => {
    expect(Object.fromEntries(namespacesByCluster(config()))).toEqual({
      'gz-prod': ['api-canary', 'api-prod', 'web-canary', 'web-prod'],
      'gz-staging': ['staging'],
      'nj-prod': ['api-prod', 'web-prod'],
      spare: [],
    });
  });
});

describe('botRbac', () => {
  const plans = botRbac(config());

  it('has one Role and one RoleBinding per namespace, and nothing else (nothing cluster-wide)', () => {
    expect(plans.map((p) => p.cluster)).toEqual(['gz-prod', 'gz-staging', 'nj-prod', 'spare']);
    for (const p of plans) {
      const kinds = rbacManifests(p).map((m) => `${m.kind} ${m.metadata?.namespace}/${m.metadata?.name}`);
      expect(kinds).toEqual([...p.namespaces.map((ns) => `Role ${ns}/chatops-bot`), ...p.namespaces.map((ns) => `RoleBinding ${ns}/chatops-bot:serviceaccount:chatops:chatops-bot`)]);
    }
    const all = plans.flatMap(rbacManifests);
    expect(all.every((m) => m.kind === 'Role' || m.kind === 'RoleBinding')).toBe(true);
    expect(all.every((m) => typeof m.metadata?.namespace === 'string' && m.metadata.namespace !== '')).toBe(true);
  });

  it('grants exactly the verbs the gateway uses', () => {
    const rules = plans[0]?.roles[0]?.rules;
    expect(rules).toEqual([
      { apiGroups: ['apps'], resources: ['deployments', 'statefulsets'], verbs: ['get', 'list', 'watch', 'patch', 'update'] },
      { apiGroups: ['apps'], resources: ['deployments/scale', 'statefulsets/scale'], verbs: ['get', 'patch', 'update'] },
      { apiGroups: ['apps'], resources: ['replicasets', 'controllerrevisions'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: [''], resources: ['pods', 'events'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: ['policy'], resources: ['poddisruptionbudgets'], verbs: ['list'] },
      { apiGroups: [''], resources: ['resourcequotas'], verbs: ['list'] },
      { apiGroups: ['autoscaling'], resources: ['horizontalpodautoscalers'], verbs: ['list', 'create', 'update', 'delete'] },
    ]);
    expect(rules).toEqual(BOT_RULES);
  });

  it.each(['secrets', 'configmaps', '*', 'pods/exec', 'pods/log', 'roles', 'rolebindings'])('never grants %s', (resource) => {
    for (const r of BOT_RULES) expect(r.resources).not.toContain(resource);
  });

  it.each(['deletecollection', 'escalate', 'bind', 'impersonate', '*'])('never grants the verb %s', (verb) => {
    for (const r of BOT_RULES) expect(r.verbs).not.toContain(verb);
  });

  // The one kind of object the bot creates and deletes is an app's HPA (/autoscale).
  it.each(['create', 'delete'])('grants the verb %s on horizontalpodautoscalers only', (verb) => {
    expect(BOT_RULES.filter((r) => r.verbs.includes(verb)).map((r) => [r.apiGroups, r.resources])).toEqual([[['autoscaling'], ['horizontalpodautoscalers']]]);
  });

  it('binds the Role of the same namespace', () => {
    for (const p of plans) {
      for (const b of p.bindings) expect(b.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'chatops-bot' });
    }
  });
});

describe('the subject', () => {
  it.each([
    [undefined, { kind: 'ServiceAccount', name: 'chatops-bot', namespace: 'chatops' }, 'chatops-bot:serviceaccount:chatops:chatops-bot'],
    [{ kind: 'ServiceAccount', namespace: 'ops', name: 'bot' }, { kind: 'ServiceAccount', name: 'bot', namespace: 'ops' }, 'chatops-bot:serviceaccount:ops:bot'],
    [{ kind: 'User', name: 'chatops-bot' }, { kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'chatops-bot' }, 'chatops-bot'],
  ])('identity %j → %j, bound by %s', (identity, subject, bindingName) => {
    const c = config(identity);
    expect(subjectOf(c.kubernetes.identity)).toEqual(subject);
    const binding = botRbac(c)[0]?.bindings[0];
    expect(binding?.subjects).toEqual([subject]);
    // A user and a ServiceAccount get bindings of different names, so both can be bound at once.
    expect(binding?.metadata?.name).toBe(bindingName);
    expect(binding?.roleRef.name).toBe('chatops-bot');
  });
});
