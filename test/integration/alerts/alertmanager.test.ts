import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { amPayload, postAlertmanager, startFakeAlertmanager, type AmAlertInput, type FakeAlertmanager } from '../../fakes/alertmanager.ts';
import { uniqueName } from '../support/namespace.ts';
import { PEOPLE, buttons, click, replies, responseTo, settle, slash, sleep, startAlertsBot, textOf, topLevel, waitFor, type AlertsHarness } from './support.ts';

/**
 * Alertmanager notifications (webhook version 4) through the bot's real HTTP server to the
 * fake Slack Web API: grouping, dedup across two Alertmanager replicas, resolve edits the
 * original message, a storm stays bounded, the Silence button reaches a fake Alertmanager API,
 * subscriptions typed in chat. Each test uses its own alert names or channel.
 */
const TOKEN = `am-${randomBytes(6).toString('hex')}`;
const ALERTS = 'C0ALERTS';
const STORM = 'C0STORMY';
const SUBS = 'C0SUBSCR';

let h: AlertsHarness;
let am: FakeAlertmanager;
let hook: string;

beforeAll(async () => {
  am = await startFakeAlertmanager();
  h = await startAlertsBot(uniqueName('alerts'), {
    sources: { alertmanager: { bearerToken: TOKEN }, webhook: { allowUnauthenticated: true } },
    alertmanager: { url: am.url },
    defaults: { groupWait: '1s', repeatInterval: '4h' },
    routes: [
      { name: 'storms', matchers: ['storm="yes"'], channels: [`slack:${STORM}`] },
      { name: 'prod', match: { env: 'prod' }, channels: [`slack:${ALERTS}`] },
    ],
    storm: { newGroupsPerMinute: 100, channels: { [`slack:${STORM}`]: 5 } },
  });
  hook = `${h.bot.api.url}/alerts/alertmanager`;
});

afterAll(async () => {
  await h?.close();
  await am?.close();
});

const send = (alerts: AmAlertInput[]) => postAlertmanager(hook, amPayload(alerts), { bearer: TOKEN });

function alert(name: string, instance: string, extra: Partial<AmAlertInput> = {}): AmAlertInput {
  return { labels: { alertname: name, env: 'prod', app: 'web', severity: 'critical', instance }, annotations: { summary: `${name} on ${instance}` }, ...extra };
}

function groupMessages(channel: string, name: string) {
  return topLevel(h, channel).filter((m) => textOf(m).includes(name));
}

describe('POST /alerts/alertmanager', () => {
  it('refuses bad credentials, other content types, broken JSON and invalid payloads with a 4xx, and stores nothing of them', async () => {
    const good = amPayload([alert('RefusedAlert', 'a')]);
    expect((await postAlertmanager(hook, good)).status).toBe(401);
    const wrong = await postAlertmanager(hook, good, { bearer: 'nope' });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toContain('Bearer');
    const text = await fetch(hook, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'text/plain' }, body: JSON.stringify(good) });
    expect(text.status).toBe(415);
    const broken = await postAlertmanager(hook, '{"version": "4", "alerts": [', { bearer: TOKEN });
    expect(broken.status).toBe(400);
    const v3 = await postAlertmanager(hook, { ...good, version: '3' }, { bearer: TOKEN });
    expect(v3.status).toBe(422);
    expect(JSON.stringify(await v3.json())).toContain('version');
    // One good alert and one without a start: nothing at all is stored.
    const half = amPayload([alert('RefusedAlert', 'b'), alert('RefusedAlert', 'c', { startsAt: 'yesterday' })]);
    const r = await postAlertmanager(hook, half, { bearer: TOKEN });
    expect(r.status).toBe(422);
    const body = (await r.json()) as { problems: string[] };
    expect(body.problems.join('\n')).toContain('alerts.1.startsAt');
    const big = await postAlertmanager(hook, amPayload([alert('RefusedAlert', 'x'.repeat(3_000_000))]), { bearer: TOKEN });
    expect(big.status).toBe(413);
    // The same body sent chunked (no Content-Length for the server to refuse first): the
    // webhook's own reader finds it too large and the sender still reads the 413, not a reset.
    const chunks = Buffer.from(JSON.stringify(amPayload([alert('RefusedAlert', 'y'.repeat(3_000_000))])));
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < chunks.length; i += 64 * 1024) c.enqueue(chunks.subarray(i, i + 64 * 1024));
        c.close();
      },
    });
    const chunked = await fetch(hook, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: stream, duplex: 'half' });
    expect(chunked.status).toBe(413);
    expect(await chunked.json()).toEqual({ error: 'the body is larger than 2097152 bytes' });
    await sleep(2500);
    expect(groupMessages(ALERTS, 'RefusedAlert')).toEqual([]);
    expect(await h.bot.api.s.redis.keys(`${h.bot.api.s.prefix}alerts:a:*`)).toEqual([]);
  });

  it('groups the alerts of one alertname / env / app into one message, details in its thread', async () => {
    const r1 = await send([alert('HighErrorRate', 'web-1'), alert('HighErrorRate', 'web-2')]);
    expect(r1.status).toBe(200);
    expect(await r1.json()).toMatchObject({ received: 2, new: 2 });
    expect((await send([alert('HighErrorRate', 'web-3')])).status).toBe(200);
    const msg = await waitFor('the group message', () => groupMessages(ALERTS, 'HighErrorRate')[0], 15_000, 100);
    await settle(h, `${ALERTS}`);
    const groups = groupMessages(ALERTS, 'HighErrorRate');
    expect(groups).toHaveLength(1);
    expect(textOf(groups[0] ?? msg)).toContain('3 firing');
    expect(textOf(msg)).toContain('web-3');
    expect(textOf(msg)).toContain('http://prometheus.example.com/graph');
    const thread = replies(h, ALERTS, msg.ts);
    expect(thread).toHaveLength(1);
    expect(textOf(thread[0] ?? {})).toContain('Alert details');
    expect(buttons(groups[0] ?? msg).map((b) => b.action)).toEqual(['ack', 'silence', 'silence', 'silence']);
  });

  it('delivers the same alert from two Alertmanager replicas once: repeated and concurrent webhooks', async () => {
    const payload = [alert('DiskPressure', 'node-1'), alert('DiskPressure', 'node-2')];
    const first = await send(payload);
    expect(await first.json()).toMatchObject({ new: 2 });
    const again = await send(payload);
    expect(await again.json()).toMatchObject({ new: 0, unchanged: 2 });
    // Two replicas notify at the same moment, twice over.
    const concurrent = [alert('NodeNotReady', 'node-7')];
    const results = await Promise.all([send(concurrent), send(concurrent), send(concurrent), send(concurrent)]);
    const bodies = (await Promise.all(results.map((r) => r.json()))) as { new: number }[];
    expect(bodies.reduce((n, b) => n + b.new, 0)).toBe(1);
    await waitFor('both groups', () => (groupMessages(ALERTS, 'DiskPressure').length > 0 && groupMessages(ALERTS, 'NodeNotReady').length > 0 ? true : undefined), 15_000, 100);
    await send(payload);
    await settle(h, ALERTS);
    for (const name of ['DiskPressure', 'NodeNotReady']) {
      const g = groupMessages(ALERTS, name);
      expect(g).toHaveLength(1);
      // The details once, and no "changes" for repeats.
      expect(replies(h, ALERTS, g[0]?.ts ?? '').map((m) => textOf(m).includes('Alert details'))).toEqual([true]);
    }
    expect(textOf(groupMessages(ALERTS, 'DiskPressure')[0] ?? {})).toContain('2 firing');
  });

  it('edits the original message when alerts resolve, and says so in the thread', async () => {
    await send([alert('LatencyHigh', 'api-1'), alert('LatencyHigh', 'api-2')]);
    const msg = await waitFor('the group message', () => groupMessages(ALERTS, 'LatencyHigh')[0], 15_000, 100);
    await send([alert('LatencyHigh', 'api-1', { status: 'resolved' })]);
    await waitFor('1 firing, 1 resolved', () => (textOf(h.fake.messages(ALERTS).find((m) => m.ts === msg.ts) ?? {}).includes('1 firing, 1 resolved') ? true : undefined), 15_000, 100);
    // A late copy of the firing notification from the other replica changes nothing.
    await send([alert('LatencyHigh', 'api-1')]);
    await send([alert('LatencyHigh', 'api-2', { status: 'resolved' }), alert('LatencyHigh', 'api-1', { status: 'resolved' })]);
    const done = await waitFor('the resolved message', () => {
      const m = h.fake.messages(ALERTS).find((x) => x.ts === msg.ts);
      return m !== undefined && textOf(m).includes('Resolved: LatencyHigh') ? m : undefined;
    }, 15_000, 100);
    await settle(h, ALERTS);
    expect(done.updates).toBeGreaterThan(0);
    expect(groupMessages(ALERTS, 'LatencyHigh')).toHaveLength(1);
    expect(buttons(done)).toEqual([]);
    const thread = replies(h, ALERTS, msg.ts).map(textOf);
    expect(thread.some((t) => t.includes('Resolved at'))).toBe(true);
    expect(thread.some((t) => t.includes('All resolved'))).toBe(true);
    // Firing again later is a new occurrence: a new message, not an edit far up the channel.
    await send([alert('LatencyHigh', 'api-1', { startsAt: '2026-05-01T11:00:00Z' })]);
    await waitFor('a second message', () => (groupMessages(ALERTS, 'LatencyHigh').length === 2 ? true : undefined), 15_000, 100);
  });

  it('a storm (300 alerts over 60 groups in seconds) gives a bounded number of messages and loses no group', async () => {
    const names = Array.from({ length: 60 }, (_, i) => `StormAlert${String(i).padStart(2, '0')}`);
    const batches: AmAlertInput[][] = [];
    for (let round = 0; round < 5; round++) {
      for (let b = 0; b < 6; b++) batches.push(names.slice(b * 10, b * 10 + 10).map((n) => ({ labels: { alertname: n, env: 'staging', app: 'api', severity: 'warning', storm: 'yes' } })));
    }
    expect(batches.flat()).toHaveLength(300);
    for (let i = 0; i < batches.length; i += 6) {
      const rs = await Promise.all(batches.slice(i, i + 6).map((b) => send(b)));
      expect(rs.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
      await sleep(300);
    }
    await waitFor('the storm summary', () => topLevel(h, STORM).find((m) => textOf(m).includes('alert groups firing')), 30_000, 200);
    await settle(h, STORM, 3000);
    const top = topLevel(h, STORM);
    // 5 groups a minute get their own message, then one summary.
    expect(top.length).toBeLessThanOrEqual(6);
    const summary = top.find((m) => textOf(m).includes('alert groups firing'));
    expect(summary).toBeDefined();
    const own = top.filter((m) => m !== summary);
    expect(own).toHaveLength(5);
    expect(textOf(summary ?? {})).toContain('55 alert groups firing');
    const seen = new Set<string>();
    for (const m of own) for (const n of names) if (textOf(m).includes(`${n}:`)) seen.add(n);
    for (const m of replies(h, STORM, summary?.ts ?? '')) for (const n of names) if (textOf(m).includes(`${n}:`)) seen.add(n);
    expect([...seen].sort()).toEqual(names);
    expect(h.fake.violations).toEqual([]);
  });

  it('Silence 4h creates an Alertmanager silence with the group matchers and the clicker as author; Acknowledge records who', async () => {
    await send([alert('QueueBacklog', 'worker-1')]);
    const msg = await waitFor('the group message', () => groupMessages(ALERTS, 'QueueBacklog')[0], 15_000, 100);
    const silence4h = buttons(msg).find((b) => b.action === 'silence' && b.value.endsWith('~4h'));
    expect(silence4h).toBeDefined();

    // alice (a developer) may not silence prod alerts: nothing reaches Alertmanager.
    const refused = await click(h, ALERTS, 'silence', silence4h?.value ?? '', PEOPLE.alice.slack, msg.ts);
    expect(refused.status).toBe(200);
    expect(textOf((await responseTo(h, refused.responseUrl)).body)).toMatch(/No access rule lets alice silence/);
    expect(am.silences).toEqual([]);

    const ok = await click(h, ALERTS, 'silence-2', silence4h?.value ?? '', PEOPLE.bob.slack, msg.ts);
    expect(ok.status).toBe(200);
    await responseTo(h, ok.responseUrl);
    expect(am.refused).toEqual([]);
    expect(am.silences).toHaveLength(1);
    const s = am.silences[0];
    expect(s?.createdBy).toBe('bob');
    expect(s?.matchers).toEqual([
      { name: 'alertname', value: 'QueueBacklog', isRegex: false, isEqual: true },
      { name: 'app', value: 'web', isRegex: false, isEqual: true },
      { name: 'env', value: 'prod', isRegex: false, isEqual: true },
      { name: 'instance', value: 'worker-1', isRegex: false, isEqual: true },
      { name: 'severity', value: 'critical', isRegex: false, isEqual: true },
    ]);
    expect(Date.parse(s?.endsAt ?? '') - Date.parse(s?.startsAt ?? '')).toBe(4 * 3600 * 1000);
    expect(s?.comment).toContain('QueueBacklog');

    const ack = buttons(msg).find((b) => b.action === 'ack');
    const acked = await click(h, ALERTS, 'ack', ack?.value ?? '', PEOPLE.bob.slack, msg.ts);
    await responseTo(h, acked.responseUrl);
    const edited = await waitFor('the message to show both', () => {
      const m = h.fake.messages(ALERTS).find((x) => x.ts === msg.ts);
      const t = textOf(m ?? {});
      return t.includes('Acknowledged') && t.includes('Silenced') ? m : undefined;
    }, 15_000, 100);
    expect(textOf(edited)).toContain('by bob');
    expect(buttons(edited).some((b) => b.action === 'ack')).toBe(false);
    const again = await click(h, ALERTS, 'ack', ack?.value ?? '', PEOPLE.bob.slack, msg.ts);
    expect(textOf((await responseTo(h, again.responseUrl)).body)).toMatch(/bob acknowledged/);
  });

  it('subscriptions from chat: /ops subscribe with matchers, subscriptions, unsubscribe', async () => {
    const sub = slash(h, SUBS, 'subscribe severity=critical env=prod app=web', PEOPLE.alice.slack);
    expect((await sub.res).status).toBe(200);
    expect(textOf((await responseTo(h, sub.responseUrl)).body)).toContain('Subscribed');
    const neg = slash(h, SUBS, 'subscribe env=prod severity!=critical "instance=~canary-.*"', PEOPLE.alice.slack);
    expect(textOf((await responseTo(h, neg.responseUrl)).body)).toContain('instance=~"canary-.*"');
    const list = slash(h, SUBS, 'subscriptions', PEOPLE.alice.slack);
    const listed = textOf((await responseTo(h, list.responseUrl)).body);
    expect(listed).toContain('app=web env=prod severity=critical');
    expect(listed).toContain('severity!=critical');
    await sleep(1100); // the route cache

    await send([alert('SubscribedAlert', 'web-1')]);
    await send([{ labels: { alertname: 'CanaryWarn', env: 'prod', app: 'web', severity: 'warning', instance: 'canary-2' } }]);
    await send([{ labels: { alertname: 'OtherWarn', env: 'prod', app: 'web', severity: 'warning', instance: 'main-2' } }]);
    await waitFor('both subscribed alerts in the channel', () => (groupMessages(SUBS, 'SubscribedAlert').length === 1 && groupMessages(SUBS, 'CanaryWarn').length === 1 ? true : undefined), 15_000, 100);
    // Still in the configured channel too.
    await waitFor('the configured channel', () => groupMessages(ALERTS, 'SubscribedAlert')[0], 15_000, 100);
    expect(groupMessages(SUBS, 'OtherWarn')).toEqual([]);

    const un = slash(h, SUBS, 'unsubscribe severity=critical env=prod app=web', PEOPLE.alice.slack);
    expect(textOf((await responseTo(h, un.responseUrl)).body)).toContain('Removed 1 subscription');
    await sleep(1100);
    await send([alert('AfterUnsubscribe', 'web-1')]);
    await waitFor('the configured channel', () => groupMessages(ALERTS, 'AfterUnsubscribe')[0], 15_000, 100);
    await sleep(1500);
    expect(groupMessages(SUBS, 'AfterUnsubscribe')).toEqual([]);
  });
});

describe('POST /alerts/webhook (generic JSON)', () => {
  it('takes alerts in the documented schema, refuses unknown fields', async () => {
    const url = `${h.bot.api.url}/alerts/webhook`;
    const post = (body: unknown) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const bad = await post({ alerts: [{ name: 'X', colour: 'red' }] });
    expect(bad.status).toBe(422);
    const ok = await post({ alerts: [{ name: 'CertificateExpiry', severity: 'warning', labels: { env: 'prod', app: 'web' }, summary: 'certificate of web expires in 5 days', url: 'https://certs.example.com/web' }] });
    expect(ok.status).toBe(200);
    const msg = await waitFor('the message', () => groupMessages(ALERTS, 'CertificateExpiry')[0], 15_000, 100);
    expect(textOf(msg)).toContain('certificate of web expires in 5 days');
    expect(textOf(msg)).toContain('https://certs.example.com/web');
  });
});
