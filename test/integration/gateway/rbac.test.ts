import { describe, expect, it } from 'vitest';
import { applyRbac } from '../../../src/kube/rbac-apply.ts';
import { BOT_RULES, botRbac } from '../../../src/kube/rbac.ts';
import { adminClients, botClients, botGateway } from '../support/cluster.ts';
import { auditMark, writesSince } from '../support/audit.ts';
import { testNamespace } from '../support/namespace.ts';
import { createDeployment } from '../support/workloads.ts';
import { kubeCall } from '../../../src/kube/errors.ts';
import { Watch } from '@kubernetes/client-node';

describe('the generated RBAC, applied with the admin context', () => {
  it('is idempotent: a second apply writes nothing; a drifted Role is put back', async () => {
    const ns = await testNamespace();
    expect(ns.rbac?.[0]).toEqual({
      cluster: 'gz',
      created: [`Namespace ${ns.name}`, `Role ${ns.name}/chatops-bot`, `RoleBinding ${ns.name}/chatops-bot`],
      updated: [],
      unchanged: [],
    });
    const admin = adminClients();
    const [plan] = botRbac(ns.config);
    if (plan === undefined) throw new Error('no RBAC plan for gz');

    const mark = auditMark();
    const again = await applyRbac(admin, plan, { createNamespaces: true });
    expect(again.created).toEqual([]);
    expect(again.updated).toEqual([]);
    expect(again.unchanged).toHaveLength(3);
    await new Promise((r) => setTimeout(r, 400));
    expect(writesSince(mark, { user: 'admin', namespace: ns.name })).toEqual([]);

    await admin.rbac.patchNamespacedRole({ name: 'chatops-bot', namespace: ns.name, body: [{ op: 'remove', path: '/rules/0' }] });
    const repaired = await applyRbac(admin, plan);
    expect(repaired.updated).toEqual([`Role ${ns.name}/chatops-bot`]);
    const role = await admin.rbac.readNamespacedRole({ name: 'chatops-bot', namespace: ns.name });
    expect(role.rules?.map((r) => [r.apiGroups, r.resources, r.verbs])).toEqual(BOT_RULES.map((r) => [r.apiGroups, r.resources, r.verbs]));
  });

  it('lets the bot do only what it needs: no secrets, no create or delete, nothing cluster-wide', async () => {
    const ns = await testNamespace();
    const admin = adminClients();
    await createDeployment(admin, ns.name, 'web', { replicas: 1 });
    const bot = botClients();
    const call = <T>(verb: string, resource: string, fn: () => Promise<T>) => kubeCall({ cluster: 'gz', verb, resource, namespace: ns.name }, fn);

    await expect(call('list', 'deployments', () => bot.apps.listNamespacedDeployment({ namespace: ns.name }))).resolves.toMatchObject({ items: [expect.anything()] });
    await expect(call('list', 'pods', () => bot.core.listNamespacedPod({ namespace: ns.name }))).resolves.toBeDefined();
    await expect(call('list', 'secrets', () => bot.core.listNamespacedSecret({ namespace: ns.name }))).rejects.toMatchObject({ kind: 'forbidden' });
    await expect(call('delete', 'deployments', () => bot.apps.deleteNamespacedDeployment({ name: 'web', namespace: ns.name }))).rejects.toMatchObject({ kind: 'forbidden' });
    await expect(
      call('create', 'deployments', () =>
        bot.apps.createNamespacedDeployment({
          namespace: ns.name,
          body: { metadata: { name: 'x' }, spec: { selector: { matchLabels: { a: 'x' } }, template: { metadata: { labels: { a: 'x' } }, spec: { containers: [{ name: 'x', image: 'x' }] } } } },
        }),
      ),
    ).rejects.toMatchObject({ kind: 'forbidden' });
    await expect(kubeCall({ cluster: 'gz', verb: 'list', resource: 'namespaces' }, () => bot.core.listNamespace())).rejects.toMatchObject({
      kind: 'forbidden',
      message: 'The bot may not list namespaces on cluster gz (forbidden)',
    });
    await expect(call('list', 'deployments', () => bot.apps.listDeploymentForAllNamespaces())).rejects.toMatchObject({ kind: 'forbidden' });
  });

  it('lets the bot watch the workloads it follows in its namespaces, and nowhere else', async () => {
    const ns = await testNamespace();
    const bot = botClients();
    // One watch request each, ended by the server after a second: a 200 and a clean end, or the refusal.
    const watch = (path: string) =>
      new Promise<string>((resolve) => {
        void new Watch(bot.kubeConfig).watch(path, { timeoutSeconds: 1, allowWatchBookmarks: true }, () => undefined, (err: unknown) => {
          const code = (err as { statusCode?: unknown } | null)?.statusCode;
          resolve(err === null || err === undefined ? 'ended' : typeof code === 'number' ? String(code) : err instanceof Error ? err.message : 'error');
        });
      });
    expect(await watch(`/apis/apps/v1/namespaces/${ns.name}/deployments`)).toBe('ended');
    expect(await watch(`/apis/apps/v1/namespaces/${ns.name}/statefulsets`)).toBe('ended');
    expect(await watch('/apis/apps/v1/deployments')).toBe('403');
    expect(await watch('/apis/apps/v1/namespaces/kube-system/deployments')).toBe('403');
  });

  it("creates, changes and removes an app's HPA (/autoscale) in its namespaces, and nowhere else", async () => {
    const ns = await testNamespace();
    const other = await testNamespace({ rbac: false });
    const admin = adminClients();
    await createDeployment(admin, ns.name, 'web', { replicas: 1 });
    await createDeployment(admin, other.name, 'web', { replicas: 1 });
    const gw = botGateway();
    const ref = { namespace: ns.name, kind: 'Deployment' as const, name: 'web' };
    const settings = { min: 1, max: 3, metrics: [{ kind: 'utilization' as const, resource: 'cpu' as const, percent: 60 }] };
    expect(await gw.applyHpa({ ...ref, settings, expected: null })).toMatchObject({ created: true, changed: true, name: 'web' });
    expect(await gw.applyHpa({ ...ref, settings: { ...settings, max: 4 }, expected: settings })).toMatchObject({ created: false, changed: true, from: settings });
    expect((await gw.hpa(ref))?.settings).toEqual({ ...settings, max: 4 });
    expect(await gw.removeHpa({ ...ref, expected: { ...settings, max: 4 } })).toMatchObject({ removed: true, name: 'web', replicas: 1 });
    expect(await gw.hpa(ref)).toBeUndefined();
    await expect(gw.applyHpa({ namespace: other.name, kind: 'Deployment', name: 'web', settings, expected: null })).rejects.toMatchObject({
      kind: 'forbidden',
      message: `The bot may not list horizontalpodautoscalers in namespace ${other.name} on cluster gz (forbidden)`,
    });
  });
});
