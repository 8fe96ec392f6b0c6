import { describe, expect, it } from 'vitest';
import { KubeError } from '../../../src/kube/errors.ts';
import { adminClients, botGateway } from '../support/cluster.ts';
import { auditMark, botWrites } from '../support/audit.ts';
import { testNamespace } from '../support/namespace.ts';
import { REPO, createDeployment, generation, waitForRollout, webTemplate } from '../support/workloads.ts';

describe('the bot outside its RBAC', () => {
  it('gets a forbidden KubeError naming action, namespace and cluster in a namespace it has no rights to, and nothing changes', async () => {
    const ns = await testNamespace({ rbac: false });
    const admin = adminClients();
    const ref = await createDeployment(admin, ns.name, 'web', { replicas: 1 });
    await waitForRollout(admin, ref);
    const before = await generation(admin, ref);
    const gw = botGateway();
    const mark = auditMark();

    const err = await gw.setImage({ ...ref, image: `${REPO}:v2` }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeError);
    expect(err).toMatchObject({ kind: 'forbidden', retryable: false, status: 403 });
    expect((err as KubeError).message).toBe(`The bot may not get deployments in namespace ${ns.name} on cluster gz (forbidden)`);

    await expect(gw.scale({ ...ref, replicas: 5 })).rejects.toMatchObject({
      kind: 'forbidden',
      message: `The bot may not get deployments/scale in namespace ${ns.name} on cluster gz (forbidden)`,
    });
    await expect(gw.rollback(ref)).rejects.toMatchObject({ kind: 'forbidden' });
    await expect(gw.restart({ ...ref, token: 'r1' })).rejects.toMatchObject({ kind: 'forbidden' });

    expect(await generation(admin, ref)).toBe(before);
    expect(await webTemplate(admin, ref)).toMatchObject({ image: `${REPO}:v1` });
    expect(await botWrites(mark, { namespace: ns.name })).toEqual([]);
  });

  it('may read but not patch where only a read-only role is bound: the patch is refused and nothing changes', async () => {
    const ns = await testNamespace({ rbac: false });
    const admin = adminClients();
    await admin.rbac.createNamespacedRole({
      namespace: ns.name,
      body: { metadata: { name: 'read-only' }, rules: [{ apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'list'] }] },
    });
    await admin.rbac.createNamespacedRoleBinding({
      namespace: ns.name,
      body: {
        metadata: { name: 'read-only' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'read-only' },
        subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'chatops-bot' }],
      },
    });
    const ref = await createDeployment(admin, ns.name, 'web', { replicas: 1 });
    await waitForRollout(admin, ref);
    const before = await generation(admin, ref);
    const gw = botGateway();
    const mark = auditMark();

    await expect(gw.setImage({ ...ref, image: `${REPO}:v2` })).rejects.toMatchObject({
      kind: 'forbidden',
      message: `The bot may not patch deployments in namespace ${ns.name} on cluster gz (forbidden)`,
    });
    expect(await generation(admin, ref)).toBe(before);
    expect(await webTemplate(admin, ref)).toMatchObject({ image: `${REPO}:v1` });
    // The refused attempt is in the audit log, with 403, and is the only write attempted.
    const writes = await botWrites(mark, { namespace: ns.name });
    expect(writes.map((w) => [w.verb, w.resource, w.code])).toEqual([['patch', 'deployments', 403]]);
    expect(await botWrites(mark, { namespace: ns.name, successfulOnly: true })).toEqual([]);
  });
});
