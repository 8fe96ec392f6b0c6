import { describe, expect, it } from 'vitest';
import type { KubeClients } from '../../../src/kube/clients.ts';
import { adminClients, botGateway } from '../support/cluster.ts';
import { testNamespace } from '../support/namespace.ts';
import { REPO, createStatefulSet, pods, waitForRollout } from '../support/workloads.ts';

/** ordinal → [web image, controller-revision-hash] of the live pods. */
async function podsByOrdinal(admin: KubeClients, namespace: string): Promise<Record<string, [string | undefined, string | undefined]>> {
  const out: Record<string, [string | undefined, string | undefined]> = {};
  for (const p of await pods(admin, namespace, 'db')) {
    const ordinal = /-(\d+)$/.exec(p.metadata?.name ?? '')?.[1] ?? '?';
    out[ordinal] = [p.spec?.containers.find((c) => c.name === 'web')?.image, p.metadata?.labels?.['controller-revision-hash']];
  }
  return out;
}

describe('StatefulSet batches through the rolling-update partition, as the bot', () => {
  it('moves only the ordinals at or above the partition, then the rest as the partition is lowered', async () => {
    const ns = await testNamespace();
    const admin = adminClients();
    const ref = await createStatefulSet(admin, ns.name, 'db', { replicas: 3 });
    await waitForRollout(admin, ref);
    const gw = botGateway();
    const v1 = `${REPO}:v1`;
    const v2 = `${REPO}:v2`;

    const first = await gw.setImageWithPartition({ namespace: ns.name, name: 'db', image: v2, partition: 2, expectedFrom: v1 });
    expect(first.changed).toBe(true);
    expect(first.partition).toEqual({ from: 0, to: 2 });
    expect(first.containers).toEqual([{ container: 'web', from: v1, to: v2 }]);
    const batch1 = await gw.followRollout(ref, { timeoutMs: 60_000, minGeneration: first.generation });
    expect(batch1.outcome).toBe('complete');
    const s1 = await gw.status(ref);
    expect(s1.currentRevision).not.toBe(s1.updateRevision);
    expect(s1.partition).toBe(2);
    expect(await podsByOrdinal(admin, ns.name)).toEqual({
      '0': [v1, s1.currentRevision],
      '1': [v1, s1.currentRevision],
      '2': [v2, s1.updateRevision],
    });

    // A stale "lower the partition" (the caller thought it was 3) is refused and changes nothing.
    await expect(gw.setPartition({ namespace: ns.name, name: 'db', partition: 0, expectedFrom: 3 })).rejects.toMatchObject({ kind: 'conflict' });
    expect((await gw.status(ref)).partition).toBe(2);

    const second = await gw.setPartition({ namespace: ns.name, name: 'db', partition: 1, expectedFrom: 2 });
    expect([second.changed, second.from, second.to]).toEqual([true, 2, 1]);
    expect((await gw.followRollout(ref, { timeoutMs: 60_000, minGeneration: second.generation })).outcome).toBe('complete');
    expect(await podsByOrdinal(admin, ns.name)).toEqual({
      '0': [v1, s1.currentRevision],
      '1': [v2, s1.updateRevision],
      '2': [v2, s1.updateRevision],
    });

    const last = await gw.setPartition({ namespace: ns.name, name: 'db', partition: 0 });
    expect((await gw.followRollout(ref, { timeoutMs: 60_000, minGeneration: last.generation })).outcome).toBe('complete');
    const s3 = await gw.status(ref);
    expect(s3.currentRevision).toBe(s1.updateRevision);
    expect(s3.updateRevision).toBe(s1.updateRevision);
    expect(await podsByOrdinal(admin, ns.name)).toEqual({
      '0': [v2, s1.updateRevision],
      '1': [v2, s1.updateRevision],
      '2': [v2, s1.updateRevision],
    });
  });

  it('restores a StatefulSet created without a rollingUpdate block by removing the block, conditional on the partition it finds', async () => {
    const ns = await testNamespace();
    const admin = adminClients();
    const ref = await createStatefulSet(admin, ns.name, 'db', { replicas: 2 });
    await waitForRollout(admin, ref);
    const gw = botGateway();
    const read = async () => (await admin.apps.readNamespacedStatefulSet({ namespace: ns.name, name: 'db' })).spec?.updateStrategy;
    expect(await read()).toEqual({ type: 'RollingUpdate' });
    await gw.setImageWithPartition({ namespace: ns.name, name: 'db', image: `${REPO}:v2`, partition: 2, expectedFrom: `${REPO}:v1`, expectedPartition: 0 });
    expect((await read())?.rollingUpdate?.partition).toBe(2);
    // A stale restore (the caller thought it was at 0) changes nothing.
    await expect(gw.setPartition({ namespace: ns.name, name: 'db', partition: undefined, expectedFrom: 0 })).rejects.toMatchObject({ kind: 'conflict' });
    const back = await gw.setPartition({ namespace: ns.name, name: 'db', partition: undefined, expectedFrom: 2 });
    expect([back.changed, back.from, back.to]).toEqual([true, 2, 0]);
    expect(await read()).toEqual({ type: 'RollingUpdate' });
    // Again: already as it was, no write.
    expect((await gw.setPartition({ namespace: ns.name, name: 'db', partition: undefined, expectedFrom: 2 })).changed).toBe(false);
  });
});
