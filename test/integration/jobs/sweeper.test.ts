import { describe, expect, it } from 'vitest';
import { decideApproval, submit } from '../../../src/service/requests.ts';
import { readNotifications, reminderLead, sweep } from '../../../src/service/sweeper.ts';
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
