import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { amPayload, postAlertmanager, type AmAlertInput } from '../../fakes/alertmanager.ts';
import { sweep } from '../../../src/service/sweeper.ts';
import { approvalOfButton } from '../../../src/service/messages.ts';
import { buttons, click, PEOPLE, settle, slash, startAlertsBot, textOf, topLevel, waitFor, type AlertsHarness } from '../alerts/support.ts';
import { adminClients } from '../support/cluster.ts';
import { testNamespace } from '../support/namespace.ts';
import { createDeployment, waitForRollout } from '../support/workloads.ts';

/**
 * /metrics after real requests: Slack slash commands and button clicks against the fake Slack
 * API move the approval counters (requested, approved, rejected, and expired by the sweeper
 * the worker runs), and Alertmanager notifications move the alert counters (received,
 * deduplicated, messages posted and updated, a storm and the groups it took).
 */
const TOKEN = `am-${randomBytes(6).toString('hex')}`;
const OPS = 'C0OPSMETR';
const ALERTS = 'C0ALRTMET';
const STORM = 'C0STRMMET';

let h: AlertsHarness;

beforeAll(async () => {
  const ns = (await testNamespace({ clusters: ['gz'], prefix: 'metrics', scope: 'file' })).name;
  await waitForRollout(adminClients('gz'), await createDeployment(adminClients('gz'), ns, 'web', { replicas: 1, tag: 'v1' }));
  h = await startAlertsBot(ns, {
    sources: { alertmanager: { bearerToken: TOKEN } },
    defaults: { groupWait: '1s', repeatInterval: '4h' },
    routes: [
      { name: 'storms', matchers: ['storm="yes"'], channels: [`slack:${STORM}`] },
      { name: 'prod', match: { env: 'prod' }, channels: [`slack:${ALERTS}`] },
    ],
    storm: { newGroupsPerMinute: 100, channels: { [`slack:${STORM}`]: 1 } },
  });
});

afterAll(async () => {
  await h?.close();
});

/** The value of one series in the Prometheus text /metrics serves (0 when absent). */
async function metric(series: string): Promise<number> {
  const text = await (await fetch(`${h.bot.api.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

async function metricReaches(series: string, want: number): Promise<void> {
  await waitFor(`${series} to reach ${want}`, async () => ((await metric(series)) >= want ? true : undefined), 30_000, 200);
  expect(await metric(series)).toBe(want);
}

/** Alice asks in the ops channel; the approval message's button value (and the approval id in it) and ts. */
async function askAsAlice(text: string): Promise<{ value: string; id: string; ts: string }> {
  const before = new Set(h.fake.messages(OPS).map((m) => m.ts));
  expect((await slash(h, OPS, text, PEOPLE.alice.slack).res).status).toBe(200);
  const m = await waitFor('the approval message', () => h.fake.messages(OPS).find((x) => !before.has(x.ts) && buttons(x).some((b) => b.action === 'approve')), 15_000, 100);
  const value = buttons(m).find((b) => b.action === 'approve')?.value ?? '';
  expect(value).toMatch(/^apr-/);
  return { value, id: approvalOfButton(value).id, ts: m.ts };
}

/** The approval an Approve button (its value: the id and the digest) is for, once it is `want`. */
async function approvalStatus(button: string, want: string): Promise<void> {
  const { id } = approvalOfButton(button);
  await waitFor(`${id} to be ${want}`, async () => ((await h.bot.api.s.approvals.get(id))?.status === want ? true : undefined), 15_000, 100);
}

const alert = (name: string, instance: string, extra: Partial<AmAlertInput> = {}): AmAlertInput => ({ labels: { alertname: name, env: 'prod', app: 'web', severity: 'critical', instance }, annotations: { summary: `${name} on ${instance}` }, ...extra });
const send = (alerts: AmAlertInput[]) => postAlertmanager(`${h.bot.api.url}/alerts/alertmanager`, amPayload(alerts), { bearer: TOKEN });

describe('/metrics', () => {
  it('counts approvals requested, approved, rejected and expired, once each, by env', async () => {
    const approved = await askAsAlice('deploy web v2 to prod');
    expect((await click(h, OPS, 'approve', approved.value, PEOPLE.bob.slack, approved.ts)).status).toBe(200);
    await approvalStatus(approved.value, 'approved');

    const rejected = await askAsAlice('deploy web v3 to prod');
    expect((await click(h, OPS, 'reject', rejected.value, PEOPLE.bob.slack, rejected.ts)).status).toBe(200);
    await approvalStatus(rejected.value, 'rejected');

    const expired = await askAsAlice('scale web 2 in prod');
    // The sweeper (run by workers) finds it past its 30 minutes.
    expect((await sweep(h.bot.api.s, new Date(Date.now() + 31 * 60_000))).expired).toEqual([expired.id]);

    await metricReaches('chatops_approvals_total{env="prod",event="requested"}', 3);
    await metricReaches('chatops_approvals_total{env="prod",event="approved"}', 1);
    await metricReaches('chatops_approvals_total{env="prod",event="rejected"}', 1);
    await metricReaches('chatops_approvals_total{env="prod",event="expired"}', 1);
    await metricReaches('chatops_operations_total{kind="deploy",result="rejected"}', 1);
    expect(await metric('chatops_commands_total{platform="slack",outcome="carried_out"}')).toBe(3);
    expect(await metric('chatops_clicks_total{platform="slack",action="approve"}')).toBe(1);
    // A second change of an operation already counted does not count it again.
    const s = h.bot.api.s;
    const { opId } = JSON.parse((await s.redis.get(`${s.prefix}pending:${rejected.id}`)) ?? '{}') as { opId: string };
    await s.ops.update(opId, { summary: 'rejected, and touched again' }, new Date());
    await new Promise((r) => setTimeout(r, 1000));
    expect(await metric('chatops_approvals_total{env="prod",event="rejected"}')).toBe(1);
    expect(await metric('chatops_approvals_total{env="prod",event="requested"}')).toBe(3);
  });

  it('counts alerts received and deduplicated by source, and alert messages, storms and storm groups by platform', async () => {
    expect((await send([alert('MetricsAlert', 'web-1'), alert('MetricsAlert', 'web-2')])).status).toBe(200);
    const msg = await waitFor('the group message', () => topLevel(h, ALERTS).find((m) => textOf(m).includes('MetricsAlert')), 15_000, 100);
    // The other Alertmanager replica sends the same: deduplicated.
    expect((await send([alert('MetricsAlert', 'web-1'), alert('MetricsAlert', 'web-2')])).status).toBe(200);
    // One resolves: the group's message is updated.
    expect((await send([alert('MetricsAlert', 'web-1', { status: 'resolved' })])).status).toBe(200);
    await waitFor('the update', () => (textOf(h.fake.messages(ALERTS).find((m) => m.ts === msg.ts) ?? {}).includes('1 resolved') ? true : undefined), 15_000, 100);

    // Three new groups in a channel allowed one a minute: one message, then a storm taking two.
    const storm = ['StormA', 'StormB', 'StormC'].map((n) => ({ labels: { alertname: n, env: 'staging', app: 'api', severity: 'warning', storm: 'yes' }, annotations: {} }));
    expect((await send([storm[0] as AmAlertInput])).status).toBe(200);
    await waitFor('the first storm-channel message', () => topLevel(h, STORM)[0], 15_000, 100);
    expect((await send(storm.slice(1) as AmAlertInput[])).status).toBe(200);
    await waitFor('the storm summary', () => topLevel(h, STORM).find((m) => textOf(m).includes('alert groups firing')), 15_000, 100);
    await settle(h, STORM);

    expect(await metric('chatops_alerts_received_total{source="alertmanager"}')).toBe(8);
    expect(await metric('chatops_alerts_deduplicated_total{source="alertmanager"}')).toBe(2);
    expect(await metric('chatops_alert_messages_total{platform="slack",kind="posted"}')).toBe(2);
    expect(await metric('chatops_alert_messages_total{platform="slack",kind="updated"}')).toBeGreaterThanOrEqual(1);
    expect(await metric('chatops_alert_messages_total{platform="slack",kind="storm_summary"}')).toBeGreaterThanOrEqual(1);
    expect(await metric('chatops_alert_storms_total{platform="slack"}')).toBe(1);
    expect(await metric('chatops_alert_storm_groups_total{platform="slack"}')).toBe(2);
    // No channel id or fingerprint is a label.
    const text = await (await fetch(`${h.bot.api.url}/metrics`)).text();
    expect(text).not.toContain(ALERTS);
    expect(text).not.toContain(STORM);
  });
});
