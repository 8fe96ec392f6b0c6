import { describe, expect, it } from 'vitest';
import type { KubeClients } from '../../../src/kube/clients.ts';
import { KubeError } from '../../../src/kube/errors.ts';
import { setImage } from '../../../src/kube/set-image.ts';
import { StaleRequest } from '../../../src/kube/retry.ts';
import { patchWorkload } from '../../../src/kube/workload.ts';
import { adminClients, botClients, botGateway } from '../support/cluster.ts';
import { auditMark, botWrites } from '../support/audit.ts';
import { testNamespace } from '../support/namespace.ts';
import { REPO, createDeployment, generation, resourceVersion, rollTemplate, waitForRollout, webTemplate } from '../support/workloads.ts';

/**
 * The bot's clients, except that before each of its first `times` Deployment patches another
 * writer changes the Deployment: the bot's patch then carries a stale resourceVersion.
 */
function withRacingWriter(bot: KubeClients, times: number, write: (n: number) => Promise<void>): { clients: KubeClients; raced: () => number } {
  let n = 0;
  const apps = Object.create(bot.apps) as KubeClients['apps'];
  apps.patchNamespacedDeployment = async (param, options) => {
    if (n < times) await write(++n);
    return bot.apps.patchNamespacedDeployment(param, options);
  };
  return { clients: { ...bot, apps }, raced: () => n };
}

describe('conditional writes and replays, as the bot', () => {
  it('refuses a set-image whose expected "from" is stale, and a replay of a done one writes nothing', async () => {
    const ns = await testNamespace();
    const admin = adminClients();
    const ref = await createDeployment(admin, ns.name, 'web', { replicas: 1 });
    await waitForRollout(admin, ref);
    const gw = botGateway();
    const mark = auditMark();

    const first = await gw.setImage({ ...ref, image: `${REPO}:v2`, expectedFrom: `${REPO}:v1` });
    expect(first.changed).toBe(true);
    // The same request again (a job retried after a crash): already done, no second write.
    const replay = await gw.setImage({ ...ref, image: `${REPO}:v2`, expectedFrom: `${REPO}:v1` });
    expect(replay).toMatchObject({ changed: false, generation: first.generation });

    // Someone moves on to v3; an old request "v1 → v2" must not flip it back.
    await rollTemplate(admin, ref, 'v3');
    const genBefore = await generation(admin, ref);
    const err = await gw.setImage({ ...ref, image: `${REPO}:v2`, expectedFrom: `${REPO}:v1` }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StaleRequest);
    expect(err).toMatchObject({ kind: 'conflict', retryable: false });
    expect((err as KubeError).message).toContain(`container web image is ${REPO}:v3 now, not ${REPO}:v1 (changed by `);
    expect(await generation(admin, ref)).toBe(genBefore);
    expect(await webTemplate(admin, ref)).toMatchObject({ image: `${REPO}:v3`, release: 'v3' });

    // One accepted write in all; anything refused was a 409 the gateway retried.
    const all = await botWrites(mark, { namespace: ns.name });
    expect(all.filter((w) => w.code !== 200).every((w) => w.code === 409)).toBe(true);
    expect(all.filter((w) => w.code === 200).map((w) => [w.verb, w.resource])).toEqual([['patch', 'deployments']]);
  });

  it('a write carrying a stale resourceVersion is a 409 conflict and changes nothing', async () => {
    const ns = await testNamespace();
    const admin = adminClients();
    const ref = await createDeployment(admin, ns.name, 'web', { replicas: 1 });
    const staleRv = await resourceVersion(admin, ref);
    await rollTemplate(admin, ref, 'v2');
    expect(await resourceVersion(admin, ref)).not.toBe(staleRv);
    const genBefore = await generation(admin, ref);

    const patch = { metadata: { resourceVersion: staleRv }, spec: { template: { spec: { containers: [{ name: 'web', image: `${REPO}:v9` }] } } } };
    const err = await patchWorkload(botClients(), ref, 'strategic', patch).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeError);
    expect(err).toMatchObject({ kind: 'conflict', status: 409, retryable: false });
    expect((err as KubeError).message).toBe(`Deployment web in namespace ${ns.name} on cluster gz was changed by someone else while the bot was updating it (conflict)`);
    expect(await generation(admin, ref)).toBe(genBefore);
    expect(await webTemplate(admin, ref)).toMatchObject({ image: `${REPO}:v2` });

    // A stale scale request ("from 1") after someone else scaled to 2 is refused too.
    await botGateway().scale({ ...ref, replicas: 2 });
    await expect(botGateway().scale({ ...ref, replicas: 5, expectedFrom: 1 })).rejects.toBeInstanceOf(StaleRequest);
    const scale = await admin.apps.readNamespacedDeploymentScale({ name: 'web', namespace: ns.name });
    expect(scale.spec?.replicas).toBe(2);
  });

  it('retries a write that met a concurrent change (409): re-reads, re-checks, re-applies, keeping the other change', async () => {
    const ns = await testNamespace();
    const admin = adminClients();
    const ref = await createDeployment(admin, ns.name, 'web', { replicas: 1 });
    await waitForRollout(admin, ref);
    // Another writer gets in between the bot's read and its write, once.
    const racing = withRacingWriter(botClients(), 1, async (n) => {
      await patchWorkload(admin, ref, 'merge', { metadata: { annotations: { [`someone-else/${n}`]: 'was here' } } });
    });
    const mark = auditMark();

    const r = await setImage(racing.clients, { ...ref, image: `${REPO}:v2`, expectedFrom: `${REPO}:v1` });
    expect(r.changed).toBe(true);
    expect(racing.raced()).toBe(1);
    const w = await admin.apps.readNamespacedDeployment({ name: 'web', namespace: ns.name });
    expect(w.spec?.template.spec?.containers.find((c) => c.name === 'web')?.image).toBe(`${REPO}:v2`);
    expect(w.metadata?.annotations?.['someone-else/1']).toBe('was here');
    const writes = await botWrites(mark, { namespace: ns.name });
    expect(writes.map((x) => [x.verb, x.code])).toEqual([
      ['patch', 409],
      ['patch', 200],
    ]);
  });

  it('gives up after a bounded number of attempts when every write meets a concurrent change, changing nothing', async () => {
    const ns = await testNamespace();
    const admin = adminClients();
    const ref = await createDeployment(admin, ns.name, 'web', { replicas: 1 });
    await waitForRollout(admin, ref);
    const racing = withRacingWriter(botClients(), Infinity, async (n) => {
      await patchWorkload(admin, ref, 'merge', { metadata: { annotations: { 'someone-else/n': String(n) } } });
    });
    const mark = auditMark();

    const err = await setImage(racing.clients, { ...ref, image: `${REPO}:v2` }, { maxAttempts: 3 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'conflict', status: 409 });
    expect(racing.raced()).toBe(3);
    expect(await webTemplate(admin, ref)).toMatchObject({ image: `${REPO}:v1` });
    expect((await botWrites(mark, { namespace: ns.name })).map((x) => x.code)).toEqual([409, 409, 409]);
  });

  it('a replayed restart token is a no-op; a new token restarts', async () => {
    const ns = await testNamespace();
    const admin = adminClients();
    const ref = await createDeployment(admin, ns.name, 'web', { replicas: 1 });
    await waitForRollout(admin, ref);
    const gw = botGateway();
    const mark = auditMark();

    const first = await gw.restart({ ...ref, token: '2026-11-25T10:00:00Z' });
    expect([first.changed, first.previous]).toEqual([true, undefined]);
    const replay = await gw.restart({ ...ref, token: '2026-11-25T10:00:00Z' });
    expect(replay).toMatchObject({ changed: false, previous: '2026-11-25T10:00:00Z', generation: first.generation });
    expect((await gw.followRollout(ref, { timeoutMs: 60_000, minGeneration: first.generation })).outcome).toBe('complete');

    const second = await gw.restart({ ...ref, token: '2026-11-25T11:00:00Z' });
    expect([second.changed, second.previous]).toEqual([true, '2026-11-25T10:00:00Z']);
    expect(second.generation).toBe(first.generation + 1);

    const writes = await botWrites(mark, { namespace: ns.name, successfulOnly: true });
    expect(writes.map((w) => [w.verb, w.resource, w.code])).toEqual([
      ['patch', 'deployments', 200],
      ['patch', 'deployments', 200],
    ]);
    expect(JSON.stringify(writes[0]?.requestObject)).toContain('2026-11-25T10:00:00Z');
    expect(JSON.stringify(writes[1]?.requestObject)).toContain('2026-11-25T11:00:00Z');
  });
});
