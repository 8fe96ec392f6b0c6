import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { V2HorizontalPodAutoscaler } from '@kubernetes/client-node';
import type { Message } from '../../../src/core/message.ts';
import { adminClients } from '../support/cluster.ts';
import { testNamespace } from '../support/namespace.ts';
import { waitFor, waitForRollout } from '../support/workloads.ts';
import { answerIn, createWeb, person, scalingConfig, setPodUsage, specReplicas, startBot, waitOp } from './support.ts';
import type { Bot } from '../chat/support.ts';

/**
 * `/autoscale` through the web console on both local clusters: the HPA is created through the
 * approval a dev needs, then the controller-manager's own HPA controller scales the Deployment
 * from metrics-server's numbers (kwok's simulated usage): up when the pods' CPU use rises, down
 * after the 30 s scale-down window when it falls. /status shows it; `off` removes it.
 */
const CLUSTERS = ['gz', 'nj'] as const;
let ns: string;
let bot: Bot;

beforeAll(async () => {
  ns = (await testNamespace({ clusters: CLUSTERS, prefix: 'autoscale', scope: 'file' })).name;
  await Promise.all(CLUSTERS.map(async (c) => waitForRollout(adminClients(c), await createWeb(adminClients(c), ns, 2))));
  bot = await startBot(scalingConfig(ns));
});

afterAll(async () => {
  await bot?.stop();
});

async function hpa(c: string): Promise<V2HorizontalPodAutoscaler | undefined> {
  const list = await adminClients(c).autoscaling.listNamespacedHorizontalPodAutoscaler({ namespace: ns });
  return list.items.find((h) => h.spec?.scaleTargetRef.name === 'web');
}

/** Waits until the Deployment on every cluster has `n` replicas (the HPA controller's doing). */
async function replicasOnBoth(n: number, timeoutMs: number): Promise<void> {
  await waitFor(`${n} replicas on gz and nj`, async () => ((await Promise.all(CLUSTERS.map((c) => specReplicas(adminClients(c), ns)))).every((r) => r === n) ? true : undefined), timeoutMs, 1000);
}

describe('/autoscale', () => {
  it('creates the HPA on both clusters (approved by bob); it scales up when CPU use rises and down when it falls; /status shows it; off removes it', async () => {
    const channel = 'console:autoscale';
    const alice = person(bot, 'alice', channel);
    const bob = person(bot, 'bob', channel);

    const asked = await alice.say('/autoscale web in staging min=2 max=10 cpu=50% scaledown=30s');
    const opId = asked.opId ?? '';
    const op = await bot.api.s.ops.get(opId);
    expect(op).toMatchObject({ kind: 'autoscale', status: 'awaiting_approval' });
    for (const c of CLUSTERS) expect(await hpa(c)).toBeUndefined();
    await bob.click('approve', op?.approvalId ?? '');
    expect(await waitOp(bot, opId)).toBe('succeeded');
    for (const c of CLUSTERS) {
      const h = await hpa(c);
      expect(h?.metadata?.name).toBe('web');
      expect(h?.metadata?.labels?.['app.kubernetes.io/managed-by']).toBe('chatops-bot');
      expect(h?.spec).toMatchObject({
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
        minReplicas: 2,
        maxReplicas: 10,
        metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }],
        behavior: { scaleDown: { stabilizationWindowSeconds: 30 } },
      });
    }

    // Rising: both pods at 400m of 500m (80 %) → ceil(2 × 80 / 50) = 4.
    for (const c of CLUSTERS) await setPodUsage(adminClients(c), ns, '400m');
    await replicasOnBoth(4, 180_000);

    const status = await bob.say('/status web in staging');
    expect(status.live).toBe(false);
    const shown = await answerIn(bot, channel, (m: Message) => m.title === 'Status in staging');
    for (const c of CLUSTERS) {
      const lines = shown.sections?.[0]?.lines.filter((l) => l.startsWith(`web@${c}`)) ?? [];
      expect(lines.find((l) => l.includes('HPA web:'))).toMatch(new RegExp(`^web@${c} HPA web: \\d+ now, \\d+ desired \\(min 2, max 10, scale-down window 30s\\); cpu \\d+% \\(target 50%\\)$`));
      expect(lines.some((l) => /last scaling event .*: SuccessfulRescale: New size: 4; reason: cpu resource utilization \(percentage of request\) above target/.test(l))).toBe(true);
    }

    // Falling: every pod back to 1m → ceil(4 × 0.2 / 50) = 1, kept at min 2 after the 30 s window.
    for (const c of CLUSTERS) await setPodUsage(adminClients(c), ns, '1m');
    await replicasOnBoth(2, 240_000);

    // /scale on an HPA-owned workload explains and offers the bounds instead.
    await alice.say('/scale web 5 in staging');
    const refused = await answerIn(bot, channel, (m: Message) => m.title === "I couldn't prepare that");
    expect(refused.text).toMatch(/^HPA web owns the replicas of web on (gz|nj) \(2 to 10, now 2\) and would undo a count set by hand\. Change its bounds instead: \/autoscale web in staging min=2 max=10 cpu=50% scaledown=30s, or hand the replicas back with \/autoscale web in staging off\.$/);

    const off = await bob.say('/autoscale web in staging off');
    expect(await waitOp(bot, off.opId ?? '')).toBe('succeeded');
    for (const c of CLUSTERS) expect(await hpa(c)).toBeUndefined();
    // The operation's message in the channel says which replica count stays.
    const told = await answerIn(bot, channel, (m: Message) => m.title === 'Autoscale web in staging: succeeded' && m.context.includes(`operation ${off.opId ?? ''}`));
    expect([...(told.sections?.[0]?.lines ?? [])].sort()).toEqual(CLUSTERS.map((c) => `${c} ${ns}/web: done: removed HPA web; 2 replicas stay`));
    for (const c of CLUSTERS) expect(await specReplicas(adminClients(c), ns)).toBe(2);
    // The HPA controller works on its own clock (15 s syncs, 15 s metrics, the 30 s window).
  }, 480_000);

  it('--dry-run shows the autoscaler and creates nothing; an HPA changed after the request blocks the job instead of overwriting it', async () => {
    const channel = 'console:autoscale-stale';
    const alice = person(bot, 'alice', channel);
    const bob = person(bot, 'bob', channel);

    const dry = await alice.say('/autoscale web in staging min=2 max=6 memory=80% --dry-run');
    expect(dry.opId).toBeNull();
    const plan = await answerIn(bot, channel, (m: Message) => m.context.includes('dry run: nothing was queued'));
    expect(plan.fields).toContainEqual({ label: 'Autoscaler', value: 'min 2, max 6, memory 80%' });
    // The plan carries the server-side dry run's diff, per cluster.
    for (const c of CLUSTERS) expect(plan.sections?.find((x) => x.heading?.startsWith(`What changes on ${c}: HorizontalPodAutoscaler`))?.lines, JSON.stringify(plan.sections)).toContain('spec.maxReplicas: (none) → 6');
    for (const c of CLUSTERS) expect(await hpa(c)).toBeUndefined();

    const asked = await alice.say('/autoscale web in staging min=2 max=6 memory=80%');
    const op = await bot.api.s.ops.get(asked.opId ?? '');
    // Meanwhile someone creates an HPA on nj by hand.
    await adminClients('nj').autoscaling.createNamespacedHorizontalPodAutoscaler({
      namespace: ns,
      body: { metadata: { name: 'web' }, spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, minReplicas: 1, maxReplicas: 3 } },
    });
    await bob.click('approve', op?.approvalId ?? '');
    expect(await waitOp(bot, asked.opId ?? '')).toBe('blocked');
    expect((await hpa('gz'))?.spec).toMatchObject({ minReplicas: 2, maxReplicas: 6, metrics: [{ resource: { name: 'memory', target: { type: 'Utilization', averageUtilization: 80 } } }] });
    expect((await hpa('nj'))?.spec).toMatchObject({ minReplicas: 1, maxReplicas: 3 });
    const told = await answerIn(bot, channel, (m: Message) => m.title === 'Autoscale web in staging: blocked');
    expect(told.sections?.[0]?.lines.find((l) => l.startsWith('nj '))).toMatch(/blocked: the autoscaler of Deployment web in namespace \S+ on cluster nj changed since the request was made \(someone else edited it\); nothing was changed \(conflict\)$/);
  });
});
