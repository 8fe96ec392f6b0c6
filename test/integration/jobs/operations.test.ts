import { describe, expect, it } from 'vitest';
import { decideApproval, submit } from '../../../src/service/requests.ts';
import { auditMark, botWrites, type AuditMark } from '../support/audit.ts';
import { adminClients } from '../support/cluster.ts';
import { testNamespace } from '../support/namespace.ts';
import { REPO, createDeployment, ref, rollTemplate, waitForRollout, webTemplate } from '../support/workloads.ts';
import { delivery, harness, jobsConfig, waitForOp } from './support.ts';

/**
 * Requests through the same code chat and the CLI use, a real BullMQ worker on the real Redis,
 * and the real control planes: approvals, idempotency, conditional writes, freezes.
 */
const CLUSTERS = ['gz', 'nj'] as const;

async function setup(approvals = 1) {
  const ns = await testNamespace({ clusters: [...CLUSTERS], prefix: 'jobs' });
  for (const c of CLUSTERS) {
    const r = await createDeployment(adminClients(c), ns.name, 'web', { replicas: 2, tag: 'v1' });
    await waitForRollout(adminClients(c), r);
  }
  const h = harness(jobsConfig(ns.name, CLUSTERS, approvals));
  const marks = () => Object.fromEntries(CLUSTERS.map((c) => [c, auditMark(c)])) as Record<(typeof CLUSTERS)[number], AuditMark>;
  const images = async () => Promise.all(CLUSTERS.map(async (c) => (await webTemplate(adminClients(c), ref(ns.name, 'Deployment', 'web'))).image));
  /** The bot's accepted writes to the Deployment (not its scale or other objects), per cluster. */
  const deploymentWrites = async (m: Record<string, AuditMark>) =>
    Promise.all(CLUSTERS.map(async (c) => (await botWrites(m[c] as AuditMark, { namespace: ns.name, successfulOnly: true })).filter((w) => w.resource === 'deployments' && w.subresource === undefined).length));
  return { ns, ...h, marks, images, deploymentWrites };
}

describe('operations end to end', () => {
  it('runs a prod-like deploy after another person approves, and never for the requester', async () => {
    const t = await setup();
    const m = t.marks();
    const req = await submit(t.s, { text: '/deploy web v2 to test', actor: 'alice', deliveryId: delivery() });
    expect(req.message.status).toBe('needs_approval');
    expect(req.message.buttons.map((b) => b.action)).toEqual(['approve', 'reject']);
    expect(req.message.mentions).toEqual(['bob', 'carol', 'erin']);
    const aprId = req.approvalId as string;

    const self = await decideApproval(t.s, aprId, 'approve', 'alice');
    expect(self.message.text).toContain('cannot approve or reject your own request');
    const outsider = await decideApproval(t.s, aprId, 'approve', 'dave');
    expect(outsider.message.text).toContain('not among the approvers');
    expect((await t.s.ops.get(req.opId as string))?.status).toBe('awaiting_approval');
    expect(await t.images()).toEqual([`${REPO}:v1`, `${REPO}:v1`]);

    const ok = await decideApproval(t.s, aprId, 'approve', 'bob');
    expect(ok.message.status).toBe('succeeded');
    const op = await waitForOp(t.s, req.opId as string);
    expect(op.status).toBe('succeeded');
    expect(op.approvedBy).toEqual(['bob']);
    expect(await t.images()).toEqual([`${REPO}:v2`, `${REPO}:v2`]);
    expect(await t.deploymentWrites(m)).toEqual([1, 1]);

    const trail = await t.s.audit.query({ opId: req.opId as string, limit: 50 });
    expect(trail.map((e) => e.kind).reverse()).toEqual(expect.arrayContaining(['requested', 'approved', 'started', 'step', 'succeeded']));
  });

  it('refuses an approval after it expired', async () => {
    const t = await setup();
    const req = await submit(t.s, { text: '/deploy web v2 to test', actor: 'alice', deliveryId: delivery() });
    t.advance(31 * 60_000);
    const late = await decideApproval(t.s, req.approvalId as string, 'approve', 'bob');
    expect(late.message.text).toContain('expired');
    expect((await t.s.ops.get(req.opId as string))?.status).toBe('expired');
    expect(await t.images()).toEqual([`${REPO}:v1`, `${REPO}:v1`]);
  });

  it('with two approvals required, one approver clicking ten times leaves it pending', async () => {
    const t = await setup(2);
    const req = await submit(t.s, { text: '/deploy web v2 to test', actor: 'alice', deliveryId: delivery() });
    const clicks = await Promise.all(Array.from({ length: 10 }, () => decideApproval(t.s, req.approvalId as string, 'approve', 'bob')));
    expect(clicks.filter((c) => c.message.text?.startsWith('Your approval is recorded'))).toHaveLength(1);
    const state = await t.s.approvals.get(req.approvalId as string);
    expect(state?.status).toBe('pending');
    expect(state?.approvals.map((a) => a.person)).toEqual(['bob']);
    expect((await t.s.ops.get(req.opId as string))?.status).toBe('awaiting_approval');
  });

  it('ten approvers approving at once start exactly one job', async () => {
    const t = await setup();
    const m = t.marks();
    const req = await submit(t.s, { text: '/deploy web v2 to test', actor: 'alice', deliveryId: delivery() });
    const votes = await Promise.all(['bob', 'carol', 'erin', 'bob', 'carol', 'erin', 'bob', 'carol', 'erin', 'bob'].map((p) => decideApproval(t.s, req.approvalId as string, 'approve', p)));
    expect(votes.filter((v) => v.message.status === 'succeeded')).toHaveLength(1);
    await waitForOp(t.s, req.opId as string);
    const started = await t.s.audit.query({ opId: req.opId as string, kind: 'started', limit: 10 });
    expect(started).toHaveLength(1);
    expect(await t.deploymentWrites(m)).toEqual([1, 1]);
  });

  it('refuses the Approve when someone changed the live image after the request (the diff shown is stale); nothing runs', async () => {
    // (A change between Approve and the run blocks the job instead: chat/dry-run.)
    const t = await setup();
    const req = await submit(t.s, { text: '/deploy web v2 to test', actor: 'alice', deliveryId: delivery() });
    await rollTemplate(adminClients('gz'), ref(t.ns.name, 'Deployment', 'web'), 'v3');
    const click = await decideApproval(t.s, req.approvalId as string, 'approve', 'carol');
    expect(click.message.title).toBe('Not approved: the change shown is stale');
    expect(click.message.text).toContain(`container web image is ${REPO}:v3 now, not ${REPO}:v1 (changed by`);
    expect((await t.s.approvals.get(req.approvalId as string))?.status).toBe('pending');
    expect((await t.s.ops.get(req.opId as string))?.status).toBe('awaiting_approval');
    expect((await t.images())[0]).toBe(`${REPO}:v3`);
  });

  it('runs one job for one delivery, however often it arrives, also after the job finished', async () => {
    const t = await setup();
    const m = t.marks();
    const id = delivery();
    const [a, b] = await Promise.all([submit(t.s, { text: '/deploy web v2 to test', actor: 'carol', deliveryId: id }), submit(t.s, { text: '/deploy web v2 to test', actor: 'carol', deliveryId: id })]);
    expect(a.opId).toBe(b.opId);
    expect([a.repeat, b.repeat].filter((x) => x === true)).toHaveLength(1);
    const op = await waitForOp(t.s, a.opId as string);
    expect(op.status).toBe('succeeded');
    const again = await submit(t.s, { text: '/deploy web v2 to test', actor: 'carol', deliveryId: id });
    expect(again.repeat).toBe(true);
    expect(again.opId).toBe(a.opId);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await t.deploymentWrites(m)).toEqual([1, 1]);
  });

  it('rolls back once when the rollback is delivered twice', async () => {
    const t = await setup();
    const deployed = await submit(t.s, { text: '/deploy web v2 to test', actor: 'carol', deliveryId: delivery() });
    expect((await waitForOp(t.s, deployed.opId as string)).status).toBe('succeeded');
    const m = t.marks();
    const id = delivery();
    const first = await submit(t.s, { text: '/rollback web in test', actor: 'carol', deliveryId: id });
    const second = await submit(t.s, { text: '/rollback web in test', actor: 'carol', deliveryId: id });
    expect(second.opId).toBe(first.opId);
    expect((await waitForOp(t.s, first.opId as string)).status).toBe('succeeded');
    expect(await t.images()).toEqual([`${REPO}:v1`, `${REPO}:v1`]);
    await submit(t.s, { text: '/rollback web in test', actor: 'carol', deliveryId: id });
    await new Promise((r) => setTimeout(r, 1500));
    expect(await t.deploymentWrites(m)).toEqual([1, 1]);
  });

  it('a freeze blocks deploy but allows rollback', async () => {
    const t = await setup();
    const deployed = await submit(t.s, { text: '/deploy web v2 to test', actor: 'carol', deliveryId: delivery() });
    await waitForOp(t.s, deployed.opId as string);
    const now = t.s.clock();
    await t.s.freezes.freeze({ env: 'test', by: 'bob', reason: 'incident 42', until: new Date(now.getTime() + 3_600_000), now });
    const blocked = await submit(t.s, { text: '/deploy web v3 to test', actor: 'carol', deliveryId: delivery() });
    expect(blocked.message.status).toBe('denied');
    expect(blocked.message.text).toContain('frozen by bob');
    expect(blocked.opId).toBeUndefined();
    const rb = await submit(t.s, { text: '/rollback web in test', actor: 'carol', deliveryId: delivery() });
    expect((await waitForOp(t.s, rb.opId as string)).status).toBe('succeeded');
    expect(await t.images()).toEqual([`${REPO}:v1`, `${REPO}:v1`]);
  });
});
