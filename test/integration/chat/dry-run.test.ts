import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { ConsoleEntry } from '../../../src/chat/console/store.ts';
import type { Message } from '../../../src/core/message.ts';
import { patchWorkload, readWorkload } from '../../../src/kube/workload.ts';
import { decideApproval, submit } from '../../../src/service/requests.ts';
import { approvalOfButton } from '../../../src/service/messages.ts';
import { botEntries, consoleClient, requestId, textOf } from '../console/support.ts';
import { auditMark, botWrites } from '../support/audit.ts';
import { adminClients } from '../support/cluster.ts';
import { testNamespace } from '../support/namespace.ts';
import { capAutoscalers, capReplicas } from '../support/policy.ts';
import { REPO, createDeployment, createStatefulSet, waitFor, waitForRollout, webTemplate } from '../support/workloads.ts';
import { chatConfig, startBot, type Bot } from './support.ts';

/**
 * Issue 16 through the console's HTTP API (the requests the page makes), on the real control
 * plane: every write is dry run (dryRun=All) before an approval opens, an apiserver refusal is
 * the answer, the approval shows the per-cluster diff, and what was approved is what runs.
 */
let ns: string;
/** Env qa: preflight blocks there. */
let qa: string;
/** Env sts: a StatefulSet released in pod batches. */
let sts: string;
let bot: Bot;
const CHANNEL = 'console:ops';
const web = () => ({ namespace: ns, kind: 'Deployment' as const, name: 'web' });

beforeAll(async () => {
  const n = await testNamespace({ clusters: ['gz'], prefix: 'dryrun', scope: 'file' });
  ns = n.name;
  qa = (await testNamespace({ clusters: ['gz'], prefix: 'dryrun-qa', scope: 'file' })).name;
  await waitForRollout(adminClients('gz'), await createDeployment(adminClients('gz'), ns, 'web', { replicas: 2, tag: 'v1' }));
  await createDeployment(adminClients('gz'), qa, 'web', { replicas: 2, tag: 'v1' });
  sts = (await testNamespace({ clusters: ['gz'], prefix: 'dryrun-sts', scope: 'file' })).name;
  await waitForRollout(adminClients('gz'), await createStatefulSet(adminClients('gz'), sts, 'db', { replicas: 2, tag: 'v1' }));
  bot = await startBot(
    chatConfig(ns, {
      mode: 'local',
      environments: {
        staging: { clusters: ['gz'], namespace: ns, registries: ['registry.example.com'] },
        qa: { clusters: ['gz'], namespace: qa, registries: ['registry.example.com'], preflight: 'block', preflightSkip: ['prestop', 'pdb'] },
        sts: { clusters: ['gz'], namespace: sts, registries: ['registry.example.com'] },
      },
      apps: { web: { image: REPO, container: 'web', maxReplicas: 100 }, db: { image: REPO, maxReplicas: 10, workload: { kind: 'StatefulSet', name: 'db' } } },
      access: [
        { name: 'devs', who: ['group:devs'], verbs: ['deploy', 'scale', 'autoscale'], envs: ['staging', 'qa', 'sts'], approval: { count: 1, from: ['group:sre'], expires: '30m' } },
        { name: 'sre', who: ['group:sre'], verbs: ['deploy', 'scale', 'rollback'], envs: ['staging'] },
      ],
    }),
  );
});

afterAll(async () => {
  await bot?.stop();
});

async function entries(): Promise<ConsoleEntry[]> {
  const r = await consoleClient(bot.api.url).get(`/console/api/messages?channel=${encodeURIComponent(CHANNEL)}`);
  return r.body['entries'] as ConsoleEntry[];
}

/** Types a line as `who`; resolves with the operation (if one was made) and the bot's first entry after the line. */
async function ask(who: string, text: string, id = requestId()): Promise<{ opId: string | null; entry: ConsoleEntry & { kind: 'bot' } }> {
  const since = Math.max(0, ...(await entries()).map((e) => e.seq));
  const r = await consoleClient(bot.api.url).post('/console/api/command', { as: who, channel: CHANNEL, text, id });
  expect(r.status).toBe(200);
  const opId = r.body['opId'] as string | null;
  const entry = await waitFor(`the answer to ${text}`, async () => botEntries(await entries()).find((e) => e.seq > since && (opId === null || textOf(e.message).includes(opId))), 15_000, 100);
  return { opId, entry };
}

async function clickApprove(who: string, m: Message): Promise<Message> {
  const value = m.buttons.find((b) => b.action === 'approve')?.value ?? '';
  expect(value).toMatch(/^apr-/);
  const r = await consoleClient(bot.api.url).post('/console/api/click', { as: who, channel: CHANNEL, action: 'approve', value });
  expect(r.status).toBe(200);
  return r.body['reply'] as Message;
}

/** Withdraws a request's approval as the requester would (its operation leaves the queue). */
async function withdraw(m: Message, who = 'alice'): Promise<void> {
  await decideApproval(bot.api.s, approvalOfButton(m.buttons.find((b) => b.action === 'approve')?.value ?? '').id, 'cancel', who);
}

async function opStatus(opId: string): Promise<string> {
  const done = await waitFor(`operation ${opId} to end`, async () => {
    const op = await bot.api.s.ops.get(opId);
    return op !== undefined && ['succeeded', 'failed', 'blocked'].includes(op.status) ? op : undefined;
  }, 90_000, 200);
  return `${done.status}: ${done.result?.targets.map((t) => t.message).join('; ') ?? done.summary}`;
}

function sectionLines(m: Message): string[] {
  return (m.sections ?? []).flatMap((s) => [s.heading ?? '', ...s.lines]);
}

describe('dry run, diff and approval (issue 16)', () => {
  it('/scale web 50 in staging over a ValidatingAdmissionPolicy cap of 20 is answered with the policy message; no approval opens', async () => {
    const message = await capReplicas('gz', ns, 20);
    const opsBefore = (await bot.api.s.ops.list(1000)).length;
    const mark = auditMark('gz');
    const id = requestId();

    for (const who of ['alice', 'bob']) {
      const { opId, entry } = await ask(who, '/scale web 50 in staging', who === 'alice' ? id : requestId());
      expect(opId).toBeNull();
      expect(entry.message.title).toBe('The cluster refused that');
      expect(entry.message.text).toContain(message);
      expect(entry.message.buttons).toEqual([]);
    }
    // Nothing was created: no operation, no approval; the same delivery is answered again (not "already received").
    expect((await bot.api.s.ops.list(1000)).length).toBe(opsBefore);
    // (the console shows an answer once per delivery, so the repeat is asked of the request path directly)
    const again = await submit(bot.api.s, { text: '/scale web 50 in staging', actor: 'alice', deliveryId: `console:alice:${id}` });
    expect(again.repeat).toBeUndefined();
    expect(again.message.title).toBe('The cluster refused that');
    expect((await readWorkload(adminClients('gz'), web())).object.spec?.replicas).toBe(2);
    // What reached the apiserver: three dry runs of the scale, each refused (422), and no write.
    const dry = await botWrites(mark, { namespace: ns, dryRun: 'only' });
    expect(dry.map((w) => [w.verb, w.subresource, w.code])).toEqual([['update', 'scale', 422], ['update', 'scale', 422], ['update', 'scale', 422]]);
    expect(await botWrites(mark, { namespace: ns })).toEqual([]);

    // Under the cap the same request gets its approval, showing the change.
    const ok = await ask('alice', '/scale web 15 in staging');
    expect(ok.opId).toMatch(/^op-/);
    expect(ok.entry.message.status).toBe('needs_approval');
    expect(sectionLines(ok.entry.message)).toEqual(expect.arrayContaining([`What changes on gz: Deployment ${ns}/web`, 'replicas: 2 → 15']));
    await withdraw(ok.entry.message);
  });

  it('/autoscale is dry run too: an HPA over a policy cap is refused with its message; under it the approval shows the HPA it would create; nothing is stored', async () => {
    const message = await capAutoscalers('gz', ns, 20);
    const mark = auditMark('gz');
    const refused = await ask('alice', '/autoscale web in staging min=2 max=50 cpu=60%');
    expect(refused.opId).toBeNull();
    expect(refused.entry.message.title).toBe('The cluster refused that');
    expect(refused.entry.message.text).toContain(message);

    const ok = await ask('alice', '/autoscale web in staging min=2 max=8 cpu=60%');
    // Withdrawn however the test ends: a pending request holds web's queue for the tests after.
    onTestFinished(() => withdraw(ok.entry.message));
    expect(ok.opId).toMatch(/^op-/);
    expect(ok.entry.message.status).toBe('needs_approval');
    expect(sectionLines(ok.entry.message)).toEqual(
      expect.arrayContaining([`What changes on gz: HorizontalPodAutoscaler ${ns}/web (scales Deployment web)`, 'spec.minReplicas: (none) → 2', 'spec.maxReplicas: (none) → 8']),
    );
    // What reached the apiserver: two dry runs of the HPA's create, the first refused; nothing stored.
    const dry = await botWrites(mark, { namespace: ns, dryRun: 'only' });
    expect(dry.map((w) => [w.verb, w.resource, w.code])).toEqual([
      ['create', 'horizontalpodautoscalers', 422],
      ['create', 'horizontalpodautoscalers', 201],
    ]);
    expect(await botWrites(mark, { namespace: ns })).toEqual([]);
    expect((await adminClients('gz').autoscaling.listNamespacedHorizontalPodAutoscaler({ namespace: ns })).items).toEqual([]);
  });

  it('a deploy shows its diff; replicas changed through the scale subresource between approval and run do not block it; an image changed by hand does, naming the manager', async () => {
    const admin = adminClients('gz');
    const asked = await ask('alice', '/deploy web v2 to staging');
    expect(sectionLines(asked.entry.message)).toEqual(expect.arrayContaining([`What changes on gz: Deployment ${ns}/web`, `container web image: ${REPO}:v1 → ${REPO}:v2`]));

    // Approved while no job may start; then the replica count moves as an HPA moves it.
    await bot.worker.pause(true);
    expect(textOf(await clickApprove('bob', asked.entry.message))).toContain('Approved by bob');
    await admin.apps.replaceNamespacedDeploymentScale({ name: 'web', namespace: ns, fieldManager: 'horizontal-pod-autoscaler', body: { metadata: { name: 'web', namespace: ns }, spec: { replicas: 3 } } });
    await bot.worker.resume();
    expect(await opStatus(asked.opId ?? '')).toMatch(/^succeeded/);
    expect(await webTemplate(admin, web())).toMatchObject({ image: `${REPO}:v2` });
    // A late click on the done request is answered as before, not as a stale diff (the diff was carried out).
    expect(textOf(await clickApprove('carol', asked.entry.message))).toContain('already approved by bob');

    const second = await ask('alice', '/deploy web v3 to staging');
    expect(sectionLines(second.entry.message)).toContain(`container web image: ${REPO}:v2 → ${REPO}:v3`);
    await bot.worker.pause(true);
    expect(textOf(await clickApprove('bob', second.entry.message))).toContain('Approved by bob');
    await patchWorkload(admin, web(), 'strategic', { spec: { template: { spec: { containers: [{ name: 'web', image: `${REPO}:hand` }] } } } }, { fieldManager: 'kubectl-edit' });
    await bot.worker.resume();
    const blocked = await opStatus(second.opId ?? '');
    expect(blocked).toMatch(/^blocked/);
    expect(blocked).toMatch(new RegExp(`container web image is ${REPO}:hand now, not ${REPO}:v2 \\(changed by kubectl-edit at \\d\\d:\\d\\d UTC\\)`));
    expect(await webTemplate(admin, web())).toMatchObject({ image: `${REPO}:hand` });
  });

  it('an Approve click on a diff that moved since the request is refused and says what moved', async () => {
    const admin = adminClients('gz');
    const asked = await ask('alice', '/deploy web v4 to staging');
    expect(sectionLines(asked.entry.message)).toContain(`container web image: ${REPO}:hand → ${REPO}:v4`);
    await patchWorkload(admin, web(), 'strategic', { spec: { template: { spec: { containers: [{ name: 'web', image: `${REPO}:hand2` }] } } } }, { fieldManager: 'kubectl-edit' });
    const reply = await clickApprove('bob', asked.entry.message);
    expect(reply.title).toBe('Not approved: the change shown is stale');
    expect(reply.text).toContain(`container web image is ${REPO}:hand2 now, not ${REPO}:hand (changed by kubectl-edit`);
    expect((await bot.api.s.approvals.get(approvalOfButton(asked.entry.message.buttons.find((b) => b.action === 'approve')?.value ?? '').id))?.status).toBe('pending');
    expect(await webTemplate(admin, web())).toMatchObject({ image: `${REPO}:hand2` });
    await withdraw(asked.entry.message);
  });

  it('preflight: no readinessProbe is a warning with the approval in staging (warn) and refuses the request in qa (block); a ResourceQuota the new replicas exceed is warned about', async () => {
    const admin = adminClients('gz');
    const warned = await ask('alice', '/deploy web v5 to staging');
    expect(warned.entry.message.status).toBe('needs_approval');
    const lines = sectionLines(warned.entry.message);
    expect(lines).toContain('Preflight: 3 warnings');
    expect(lines).toContain(`gz Deployment ${ns}/web: container web has no readinessProbe. Why: without it, new pods get traffic as soon as they start, before they can serve it`);
    expect(lines.some((l) => l.includes('container web has no preStop hook'))).toBe(true);
    expect(lines.some((l) => l.includes('no PodDisruptionBudget covers its 3 pods. Why: a node drain may then evict every pod at once; a PodDisruptionBudget guards drains and other evictions, not rollouts'))).toBe(true);
    await withdraw(warned.entry.message);

    const opsBefore = (await bot.api.s.ops.list(1000)).length;
    const refused = await ask('alice', '/deploy web v2 to qa');
    expect(refused.opId).toBeNull();
    expect(refused.entry.message.title).toBe('Preflight refused that');
    expect(sectionLines(refused.entry.message)).toContain(`gz Deployment ${qa}/web: container web has no readinessProbe. Why: without it, new pods get traffic as soon as they start, before they can serve it`);
    expect(refused.entry.message.buttons).toEqual([]);
    expect((await bot.api.s.ops.list(1000)).length).toBe(opsBefore);
    expect(await webTemplate(admin, { namespace: qa, kind: 'Deployment', name: 'web' })).toMatchObject({ image: `${REPO}:v1` });

    // Quota is charged when pods are created: the dry run of the scale passes, preflight says it will stall.
    const replicas = (await readWorkload(admin, web())).object.spec?.replicas ?? 0;
    await admin.core.createNamespacedResourceQuota({ namespace: ns, body: { metadata: { name: 'pods' }, spec: { hard: { pods: String(replicas + 1) } } } });
    await waitFor('the quota to count the pods', async () => ((await admin.core.readNamespacedResourceQuota({ namespace: ns, name: 'pods' })).status?.used?.['pods'] === undefined ? undefined : true));
    const scaled = await ask('alice', `/scale web ${replicas + 5} in staging`);
    expect(scaled.entry.message.status).toBe('needs_approval');
    expect(sectionLines(scaled.entry.message).find((l) => l.includes('ResourceQuota pods: pods would be'))).toMatch(/quota is charged when pods are created/);
    await withdraw(scaled.entry.message);
  });

  it("a pod-batch release (pods=) shows the diff of the write its job sends first: the image and the first batch's partition together; nothing is written", async () => {
    const admin = adminClients('gz');
    const db = { namespace: sts, kind: 'StatefulSet' as const, name: 'db' };
    const asked = await ask('alice', '/deploy db v2 to sts pods=1,100%');
    expect(asked.entry.message.status).toBe('needs_approval');
    expect(sectionLines(asked.entry.message)).toEqual(
      expect.arrayContaining([`What changes on gz: StatefulSet ${sts}/db`, `container web image: ${REPO}:v1 → ${REPO}:v2`, 'spec.updateStrategy.rollingUpdate: (none) → {"partition":1}']),
    );
    await withdraw(asked.entry.message);
    const live = await readWorkload(admin, db);
    expect(live.kind === 'StatefulSet' ? live.object.spec?.updateStrategy : 'not a StatefulSet').toEqual({ type: 'RollingUpdate' });
    expect(await webTemplate(admin, db)).toMatchObject({ image: `${REPO}:v1` });
  });
});
