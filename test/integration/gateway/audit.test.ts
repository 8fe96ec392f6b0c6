import { describe, expect, it } from 'vitest';
import { adminClients, botGateway } from '../support/cluster.ts';
import { auditMark, botWrites, countBotWrites, writesSince } from '../support/audit.ts';
import { testNamespace } from '../support/namespace.ts';
import { REPO, createDeployment, rollTemplate, waitForRollout } from '../support/workloads.ts';

describe('the audit-log helper', () => {
  it("counts exactly the bot's writes in the test's namespace, not the admin's, not other namespaces', not reads", async () => {
    const ns = await testNamespace();
    const other = await testNamespace({ rbac: false });
    const admin = adminClients();
    const ref = await createDeployment(admin, ns.name, 'web', { replicas: 1 });
    await createDeployment(admin, other.name, 'web', { replicas: 1 });
    await waitForRollout(admin, ref);
    const gw = botGateway();
    const mark = auditMark();

    await gw.setImage({ ...ref, image: `${REPO}:v2` }); // patch
    await gw.scale({ ...ref, replicas: 2 }); // update deployments/scale
    await gw.restart({ ...ref, token: 't1' }); // patch
    await gw.restart({ ...ref, token: 't1' }); // replay: no write
    await gw.status(ref); // a read: never counted
    await gw.history(ref);
    await rollTemplate(admin, ref, 'v3'); // the admin's write: not the bot's
    await expect(gw.setImage({ ...ref, namespace: other.name, image: `${REPO}:v2` })).rejects.toMatchObject({ kind: 'forbidden' });

    const accepted = await botWrites(mark, { namespace: ns.name, successfulOnly: true });
    expect(accepted.map((w) => [w.verb, w.resource, w.subresource, w.name, w.code])).toEqual([
      ['patch', 'deployments', undefined, 'web', 200],
      ['update', 'deployments', 'scale', 'web', 200],
      ['patch', 'deployments', undefined, 'web', 200],
    ]);
    expect(await countBotWrites(mark, { namespace: ns.name, successfulOnly: true })).toBe(3);
    expect(await countBotWrites(mark, { namespace: ns.name, verbs: ['patch'], successfulOnly: true })).toBe(2);
    // Every attempt is logged, refused ones too: writing while the controller updates the
    // status can meet a 409, which the gateway retries. Those are the only refusals.
    const all = await botWrites(mark, { namespace: ns.name });
    expect(all.length).toBeGreaterThanOrEqual(3);
    expect(all.filter((w) => w.code !== 200).every((w) => w.code === 409)).toBe(true);
    // The same log holds the admin's write, which the user filter leaves out.
    expect(writesSince(mark, { user: 'admin', namespace: ns.name }).map((w) => w.verb)).toEqual(['patch']);
    // The other namespace saw no bot write at all (the forbidden get stopped before any write).
    expect(await countBotWrites(mark, { namespace: other.name })).toBe(0);
    // A mark taken now sees nothing yet.
    expect(await countBotWrites(auditMark(), { namespace: ns.name })).toBe(0);
  });
});
