import { describe, expect, it, onTestFinished } from 'vitest';
import { decideApproval, submit } from '../../../src/service/requests.ts';
import { readNotifications, reminderLead, startSweeper, sweep } from '../../../src/service/sweeper.ts';
import { adminClients } from '../support/cluster.ts';
import { testNamespace } from '../support/namespace.ts';
import { createDeployment, waitForRollout } from '../support/workloads.ts';
import { delivery, harness, jobsConfig } from './support.ts';

describe('approval reminders and expiry', () => {
  it.each([
    [60, 60],
    [1800, 360],
    [7200, 600],
  ])('reminds %i s approvals %i s before they expire', (total, lead) => {
    expect(reminderLead(total)).toBe(lead);
  });

  it('reminds the approvers once shortly before expiry, then expires the request and its operation', async () => {
    const ns = await testNamespace({ clusters: ['gz'], prefix: 'sweep' });
    await waitForRollout(adminClients('gz'), await createDeployment(adminClients('gz'), ns.name, 'web', { replicas: 1, tag: 'v1' }));
    const t = harness(jobsConfig(ns.name, ['gz']));
    const req = await submit(t.s, { text: '/deploy web v2 to test', actor: 'alice', deliveryId: delivery() });
    const id = req.approvalId as string;

    expect(await sweep(t.s, t.s.clock())).toEqual({ expired: [], reminded: [] });
    t.advance(25 * 60_000); // 5 of 30 minutes left: inside the 6-minute reminder window
    expect(await sweep(t.s, t.s.clock())).toEqual({ expired: [], reminded: [id] });
    expect(await sweep(t.s, t.s.clock())).toEqual({ expired: [], reminded: [] });
    t.advance(6 * 60_000);
    expect(await sweep(t.s, t.s.clock())).toEqual({ expired: [id], reminded: [] });
    expect(await sweep(t.s, t.s.clock())).toEqual({ expired: [], reminded: [] });

    const notes = (await readNotifications(t.s)).map((n) => n.notification);
    expect(notes.map((n) => n.kind)).toEqual(['approval_reminder', 'approval_expired']);
    expect(notes[0]?.mentions).toEqual(['bob', 'carol', 'erin']);
    expect(notes[0]?.text).toContain('expires in 5 min');
    expect((await t.s.ops.get(req.opId as string))?.status).toBe('expired');
    expect((await decideApproval(t.s, id, 'approve', 'bob')).message.text).toContain('already expired');
  });
});

describe('the sweeper schedule', () => {
  it('runs once per tick for all workers together, not once in each', { timeout: 30_000 }, async () => {
    const ns = await testNamespace({ clusters: ['gz'], prefix: 'sweeps' });
    await waitForRollout(adminClients('gz'), await createDeployment(adminClients('gz'), ns.name, 'web', { replicas: 1, tag: 'v1' }));
    const t = harness(jobsConfig(ns.name, ['gz']));
    // Two workers' sweepers on the same Redis and prefix, as two `chatops worker` processes have.
    const runs: string[] = [];
    const a = await startSweeper(t.s, { everyMs: 1000, onSwept: () => runs.push('a') });
    const b = await startSweeper(t.s, { everyMs: 1000, onSwept: () => runs.push('b') });
    onTestFinished(async () => {
      await a.close();
      await b.close();
    });
    const req = await submit(t.s, { text: '/deploy web v2 to test', actor: 'alice', deliveryId: delivery() });
    expect(req.opId, req.message.text).toBeDefined();
    const t0 = Date.now();
    await new Promise((r) => setTimeout(r, 6500));
    const ticks = (Date.now() - t0) / 1000;
    // One run per 1 s tick (give or take the first and the last); each sweeper alone would make as many.
    expect(runs.length).toBeGreaterThanOrEqual(Math.floor(ticks) - 2);
    expect(runs.length).toBeLessThanOrEqual(Math.ceil(ticks) + 1);
    // The sweeps do their work: time past expiry, the next tick expires the request once.
    t.advance(31 * 60_000);
    await new Promise((r) => setTimeout(r, 2500));
    expect((await t.s.ops.get(req.opId as string))?.status).toBe('expired');
    expect((await t.s.audit.query({ opId: req.opId as string, limit: 50 })).filter((e) => e.kind === 'expired')).toHaveLength(1);
  });
});
