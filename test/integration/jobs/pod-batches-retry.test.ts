import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../src/config/load.ts';
import { submit } from '../../../src/service/requests.ts';
import { auditMark, type AuditMark } from '../support/audit.ts';
import { adminClients } from '../support/cluster.ts';
import { testNamespace } from '../support/namespace.ts';
import { REPO, createStatefulSet, waitForRollout } from '../support/workloads.ts';
import { CLUSTERS, delivery, ledgerOf, marks, partitionWrites, probeServer, upgradeConfigDoc, upgradeHarness, waitForStatus } from './upgrade-support.ts';

/**
 * Fix and continue for a pod-batch release (issue 15, item 4): the app's probe fails on nj after
 * batch 1 (one pod per cluster moved), so the release pauses on that batch. /retry while the
 * probe still fails pauses it again without writing anything; after the outside fix a second
 * /retry passes the batch, and with gate=auto the release goes on and ends. The apiservers'
 * audit logs show each partition written once, the first together with the image.
 */
const REPLICAS = 4;

/** The ordinals of db's pods that run `tag`, on cluster `c`. */
async function podsOn(c: string, namespace: string, tag: string): Promise<number[]> {
  const pods = await adminClients(c).core.listNamespacedPod({ namespace, labelSelector: 'app=db' });
  return pods.items
    .filter((p) => p.spec?.containers.some((x) => x.image === `${REPO}:${tag}`) === true)
    .map((p) => Number(p.metadata?.name?.split('-').at(-1)))
    .sort((a, b) => a - b);
}

describe('/retry of a failed pod batch', () => {
  it('a failing probe pauses batch 1; /retry while it fails pauses again, writing nothing; after the fix the release ends, each partition written once', { timeout: 300_000 }, async () => {
    const ns = await testNamespace({ clusters: [...CLUSTERS], prefix: 'podr' });
    await Promise.all(CLUSTERS.map(async (c) => waitForRollout(adminClients(c), await createStatefulSet(adminClients(c), ns.name, 'db', { replicas: REPLICAS, tag: 'v1' }), 120_000)));
    const probe = await probeServer();
    probe.set('nj', 503, 'maintenance');
    const doc = {
      ...upgradeConfigDoc(ns.name, []),
      apps: { db: { image: REPO, maxReplicas: 20, workload: { kind: 'StatefulSet', name: 'db' }, probe: { url: `${probe.base}/{region}/{app}/healthz`, expectStatus: 200, timeout: '2s' } } },
    };
    const config = validateConfig(doc, {});
    if (!config.ok) throw new Error(JSON.stringify(config.error));
    const t = upgradeHarness(config.value);
    const m = marks(auditMark);

    const req = await submit(t.s, { text: '/deploy db v2 to test pods=1,100% gate=auto', actor: 'bob', deliveryId: delivery() });
    const opId = req.opId as string;
    expect(opId, req.message.text).toBeDefined();
    let op = await waitForStatus(t.s, opId, ['paused', 'failed', 'succeeded'], 180_000);
    expect(op.status, op.summary).toBe('paused');
    expect(op.summary).toContain('batch 1 of 2 failed');
    expect(op.summary).toContain('answered 503, expected 200');
    expect(op.summary).toContain(`/retry ${opId}`);
    // Batch 1 moved the top ordinal on each cluster, and nothing more.
    for (const c of CLUSTERS) expect(await podsOn(c, ns.name, 'v2'), c).toEqual([REPLICAS - 1]);
    const hitsAtPause = probe.hits.get('nj') ?? 0;

    // Still failing: the batch is checked again (the probe is asked again) and pauses again.
    const again = await submit(t.s, { text: `/retry ${opId}`, actor: 'carol', deliveryId: delivery() });
    expect(again.message.text).toContain('Queued: retry the failed batch');
    await waitForStatus(t.s, opId, ['running', 'queued'], 10_000).catch(() => undefined);
    op = await waitForStatus(t.s, opId, ['paused', 'failed', 'succeeded'], 120_000);
    expect(op.status, op.summary).toBe('paused');
    expect(op.summary).toContain('batch 1 of 2 failed');
    expect(probe.hits.get('nj') ?? 0).toBeGreaterThan(hitsAtPause);
    let ledger = await ledgerOf(t.s, opId);
    expect(ledger.gate).toMatchObject({ state: 'paused_failed', batch: 1 });
    for (const c of CLUSTERS) expect(await partitionWrites(m[c] as AuditMark, ns.name), c).toEqual([`image+${REPLICAS - 1}`]);

    // The outside fix, then a retry: batch 1 passes, batch 2 runs by itself (gate=auto).
    probe.set('nj', 200, 'all good');
    await submit(t.s, { text: `/retry ${opId} --reason "nj is back"`, actor: 'carol', deliveryId: delivery() });
    op = await waitForStatus(t.s, opId, ['succeeded', 'failed', 'cancelled'], 180_000);
    expect(op.status, op.summary).toBe('succeeded');
    ledger = await ledgerOf(t.s, opId);
    expect(ledger.batches).toEqual(['healthy', 'healthy']);
    for (const c of CLUSTERS) {
      expect(await podsOn(c, ns.name, 'v2'), c).toEqual([0, 1, 2, 3]);
      // Partition 3 with the image, then 0, then the strategy as it was: each once, retries included.
      expect(await partitionWrites(m[c] as AuditMark, ns.name), c).toEqual([`image+${REPLICAS - 1}`, '0', 'restore']);
      const sts = await adminClients(c).apps.readNamespacedStatefulSet({ namespace: ns.name, name: 'db' });
      expect(sts.spec?.updateStrategy).toEqual({ type: 'RollingUpdate' });
    }
    const trail = await t.s.audit.query({ opId, limit: 200 });
    expect(trail.filter((e) => e.kind === 'resumed').map((e) => e.actor)).toEqual(['carol', 'carol']);
  });
});
