import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { amPayload, postAlertmanager } from '../../fakes/alertmanager.ts';
import { adminClients } from '../support/cluster.ts';
import { testNamespace } from '../support/namespace.ts';
import { createDeployment, waitForRollout, webTemplate } from '../support/workloads.ts';
import { PEOPLE, buttons, click, replies, responseTo, slash, sleep, startAlertsBot, textOf, topLevel, waitFor, type AlertsHarness } from './support.ts';

/**
 * Correlation on the real control plane: bob deploys web v2 through the bot; an alert about
 * web in prod then says "deployed v2 … ago by bob, operation op-…" with trace, runbook and
 * operation links, and a Roll back button that submits `rollback web in prod` as the person
 * who clicks, through the normal policy (alice may not; bob may, once per click).
 */
const ALERTS = 'C0CORRELA';
const DEPLOYS = 'C0DEPLOYS';
let h: AlertsHarness;
let ns: string;

beforeAll(async () => {
  ns = (await testNamespace({ clusters: ['gz'], prefix: 'correl', scope: 'file' })).name;
  await waitForRollout(adminClients('gz'), await createDeployment(adminClients('gz'), ns, 'web', { replicas: 2, tag: 'v1' }));
  h = await startAlertsBot(
    ns,
    {
      sources: { alertmanager: { allowUnauthenticated: true } },
      defaults: { groupWait: '1s' },
      routes: [{ match: { env: 'prod' }, channels: [`slack:${ALERTS}`] }],
      correlation: { window: '30m' },
    },
    { links: { job: 'https://jobs.example.com/ops/{jobId}', trace: 'https://trace.example.com/trace/{traceId}', logs: 'https://logs.example.com/{env}/{app}' } },
  );
});

afterAll(async () => {
  await h?.close();
});

describe('alert → recent deploy correlation', () => {
  it('names the deploy, links trace / runbook / logs / operation, and the Roll back button goes through policy', async () => {
    const s = h.bot.api.s;
    const asked = slash(h, DEPLOYS, 'deploy web v2 to prod', PEOPLE.bob.slack);
    expect((await asked.res).status).toBe(200);
    const deploy = await waitFor('the deploy to succeed', async () => (await s.ops.list(10, (r) => r.kind === 'deploy' && r.status === 'succeeded'))[0], 90_000, 250);

    const payload = amPayload([{ labels: { alertname: 'ErrorsAfterDeploy', env: 'prod', app: 'web', severity: 'critical', trace_id: '4bf92f3577b34da6a3ce929d0e0e4736' }, annotations: { summary: '5xx ratio above 5%', runbook_url: 'https://runbooks.example.com/errors' }, startsAt: new Date().toISOString() }]);
    expect((await postAlertmanager(`${h.bot.api.url}/alerts/alertmanager`, payload)).status).toBe(200);
    const msg = await waitFor('the alert message', () => topLevel(h, ALERTS).find((m) => textOf(m).includes('ErrorsAfterDeploy')), 15_000, 100);
    const text = textOf(msg);
    expect(text).toMatch(new RegExp(`deployed v2 \\d+ (s|min) ago by bob, operation ${deploy.id}`));
    expect(text).toContain('https://trace.example.com/trace/4bf92f3577b34da6a3ce929d0e0e4736');
    expect(text).toContain('https://runbooks.example.com/errors');
    expect(text).toContain('https://logs.example.com/prod/web');
    expect(text).toContain(`https://jobs.example.com/ops/${deploy.id}`);
    const rollback = buttons(msg).find((b) => b.action === 'rollback');
    expect(rollback).toBeDefined();

    const denied = await click(h, ALERTS, 'rollback', rollback?.value ?? '', PEOPLE.alice.slack, msg.ts);
    expect(textOf((await responseTo(h, denied.responseUrl)).body)).toMatch(/No access rule lets alice rollback/);
    expect(await s.ops.list(10, (r) => r.kind === 'rollback')).toEqual([]);

    // bob's click, delivered twice: one rollback.
    const [c1, c2] = await Promise.all([click(h, ALERTS, 'rollback', rollback?.value ?? '', PEOPLE.bob.slack, msg.ts), click(h, ALERTS, 'rollback', rollback?.value ?? '', PEOPLE.bob.slack, msg.ts)]);
    await responseTo(h, c1.responseUrl);
    await responseTo(h, c2.responseUrl);
    const op = await waitFor('the rollback to succeed', async () => (await s.ops.list(10, (r) => r.kind === 'rollback' && r.status === 'succeeded'))[0], 90_000, 250);
    await sleep(500);
    expect(await s.ops.list(10, (r) => r.kind === 'rollback')).toHaveLength(1);
    expect(op.requestedBy).toBe('bob');
    expect((await webTemplate(adminClients('gz'), { namespace: ns, kind: 'Deployment', name: 'web' })).image).toBe('registry.example.com/team/web:v1');
    // The rollback's live message is in the alert's thread.
    await waitFor('the rollback message in the thread', () => replies(h, ALERTS, msg.ts).find((m) => textOf(m).includes(op.id)), 15_000, 100);
  });
});
