import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { auditMark, botWrites } from '../support/audit.ts';
import { adminClients } from '../support/cluster.ts';
import { testNamespace } from '../support/namespace.ts';
import { REPO, createDeployment, rollTemplate, waitFor, waitForRollout } from '../support/workloads.ts';
import { buttonValue, rigConfig, startRig, textOf, type Rig } from './slack-rig.ts';
import type { Config } from '../../../src/config/schema.ts';

/**
 * Run-time re-checks through chat (issue 14): between a request and its approval, a freeze
 * starts, someone else takes a lock, or the config stops letting the requester do it (a config
 * change is a restart of the bot). Clicking Approve then runs nothing: the clicker is told why,
 * the live message says it with a "Request again" button, and the apiserver sees no write.
 */
let ns: string;

beforeAll(async () => {
  ns = (await testNamespace({ clusters: ['gz'], prefix: 'rck', scope: 'file' })).name;
  const w = await createDeployment(adminClients('gz'), ns, 'web', { replicas: 1, tag: 'v1' });
  await waitForRollout(adminClients('gz'), w);
  await rollTemplate(adminClients('gz'), w, 'v2'); // a revision to roll back to
  await waitForRollout(adminClients('gz'), w);
});

function config(alice: boolean) {
  return (secret: string, apiUrl: string): Config =>
    rigConfig(secret, apiUrl, {
      environments: { prod: { clusters: ['gz'], namespace: ns, registries: ['registry.example.com'] } },
      apps: { web: { image: REPO, container: 'web', maxReplicas: 10 } },
      groups: { devs: ['alice'], sre: ['bob', 'carol'] },
      access: [
        ...(alice ? [{ name: 'devs', who: ['group:devs'], verbs: ['deploy', 'scale', 'rollback'], envs: ['prod'], approval: { count: 1, from: ['group:sre'], expires: '30m' } }] : []),
        { name: 'sre', who: ['group:sre'], verbs: ['deploy', 'scale', 'rollback', 'lock', 'unlock', 'freeze'], envs: ['prod'] },
      ],
    });
}

type Change = 'freeze' | 'lock' | 'rule';

const CHANGES: Readonly<Record<Change, { act: (rig: Rig) => Promise<void>; why: RegExp }>> = {
  freeze: {
    act: async (rig) => void (await rig.response((await rig.slash('bob', '/ops freeze prod for 1h --reason "incident 7"')).responseUrl)),
    why: /prod is frozen by bob until .*: incident 7/,
  },
  lock: {
    act: async (rig) => void (await rig.response((await rig.slash('carol', '/ops lock web in prod')).responseUrl)),
    why: /web in prod is locked by carol/,
  },
  rule: {
    act: (rig) => rig.restart(config(false)),
    why: /No access rule lets alice (deploy|scale|rollback) web in prod/,
  },
};

describe('approval after a change runs nothing and says why', () => {
  it.each<[string, Change]>([
    ['/deploy web v3 to prod', 'freeze'],
    ['/deploy web v3 to prod', 'lock'],
    ['/deploy web v3 to prod', 'rule'],
    ['/scale web 3 in prod', 'freeze'],
    ['/scale web 3 in prod', 'lock'],
    ['/scale web 3 in prod', 'rule'],
    ['/rollback web in prod', 'rule'],
  ])('%s, then a %s', async (line, change) => {
    const rig = await startRig(config(true));
    onTestFinished(() => rig.stop());
    const mark = auditMark('gz');
    await rig.slash('alice', line);
    const op = await rig.opOf(line);
    expect(op.status).toBe('awaiting_approval');
    const asked = await rig.opMessage(op.id, (t) => t.includes('"action_id":"approve'));
    const approvalId = buttonValue(asked, 'approve') ?? '';

    await CHANGES[change].act(rig);
    const click = await rig.click('bob', 'approve', approvalId, asked.ts);
    const told = textOf((await rig.response(click.responseUrl)).body);
    expect(told).toMatch(/but not run/);
    expect(told).toMatch(CHANGES[change].why);

    const blocked = await rig.waitForOp(op.id, ['blocked']);
    expect(blocked.summary).toMatch(CHANGES[change].why);
    const live = await rig.opMessage(op.id, (t) => t.includes('blocked'));
    expect(textOf(live)).toMatch(CHANGES[change].why);
    expect(buttonValue(live, 'request_again')).toBe(op.id);
    expect((await rig.bot.api.s.audit.query({ opId: op.id, limit: 50 })).map((e) => e.kind)).not.toContain('started');
    expect(await botWrites(mark, { namespace: ns })).toEqual([]);
  });

  it('"Request again" opens the same request afresh, for the person who clicks', async () => {
    const rig = await startRig(config(true));
    onTestFinished(() => rig.stop());
    await rig.slash('alice', '/scale web 2 in prod');
    const op = await rig.opOf('/scale web 2 in prod');
    const asked = await rig.opMessage(op.id, (t) => t.includes('"action_id":"approve'));
    await CHANGES.lock.act(rig);
    await rig.click('bob', 'approve', buttonValue(asked, 'approve') ?? '', asked.ts);
    const live = await rig.opMessage(op.id, (t) => t.includes('"action_id":"request_again'));
    await rig.response((await rig.slash('carol', '/ops unlock web in prod')).responseUrl);
    // Delivered twice: one new request.
    await Promise.all([rig.click('alice', 'request_again', op.id, live.ts), rig.click('alice', 'request_again', op.id, live.ts)]);
    await waitFor('the new request', async () => ((await rig.opsOf('/scale web 2 in prod')).length > 1 ? true : undefined));
    await new Promise((r) => setTimeout(r, 1000));
    const all = await rig.opsOf('/scale web 2 in prod');
    expect(all).toHaveLength(2);
    const fresh = all.find((o) => o.id !== op.id);
    expect(fresh?.status).toBe('awaiting_approval');
    expect(fresh?.requestedBy).toBe('alice');
  });
});

