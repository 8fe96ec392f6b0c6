import { describe, expect, it } from 'vitest';
import { submit } from '../../../src/service/requests.ts';
import { adminClients } from '../support/cluster.ts';
import { testNamespace } from '../support/namespace.ts';
import { createDeployment, waitForRollout } from '../support/workloads.ts';
import { delivery, harness, jobsConfig, waitForOp } from './support.ts';

/** Settings and queries through the same request path as chat: locks, freezes, jobs, history, audit, status. */
describe('settings and queries', () => {
  it('locks, reports and unlocks; a lock stops others but not the holder', async () => {
    const ns = await testNamespace({ clusters: ['gz'], prefix: 'ans' });
    await waitForRollout(adminClients('gz'), await createDeployment(adminClients('gz'), ns.name, 'web', { replicas: 1, tag: 'v1' }));
    const t = harness(jobsConfig(ns.name, ['gz']));
    const say = (actor: string, text: string) => submit(t.s, { text, actor, deliveryId: delivery() });

    expect((await say('bob', '/lock web in test for 1h --reason "load test"')).message.title).toBe('Locked web in test');
    const other = await say('carol', '/deploy web v2 to test');
    expect(other.message.status).toBe('denied');
    expect(other.message.text).toContain('locked by bob (load test)');
    expect((await say('carol', '/unlock web in test')).message.title).toBe('Not your lock');

    const own = await say('bob', '/deploy web v2 to test');
    expect((await waitForOp(t.s, own.opId as string)).status).toBe('succeeded');

    const status = await say('alice', '/status web in test');
    const text = status.message.sections?.flatMap((x) => x.lines).join('\n') ?? '';
    expect(text).toContain('registry.example.com/team/web:v2');
    expect(text).toContain('locked: web in test by bob');

    expect((await say('bob', '/unlock web in test')).message.title).toBe('Unlocked');
    const history = await say('alice', '/history web in test');
    expect(history.message.sections?.[0]?.lines[0]).toContain(`${own.opId as string} deploy web in test: succeeded (by bob`);
    const audit = await say('alice', `/audit op=${own.opId as string}`);
    expect(audit.message.sections?.[0]?.lines.join('\n')).toMatch(/succeeded bob: deploy finished/);
  });
});
