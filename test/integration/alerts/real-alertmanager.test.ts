import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../src/local/port.ts';
import { amPayload } from '../../fakes/alertmanager.ts';
import { blockActionBody, FAKE_TEAM_ID, postSigned } from '../../fakes/slack-sign.ts';
import { uniqueName } from '../support/namespace.ts';
import { PEOPLE, SECRET, buttons, click, replies, responseTo, sendTwice, settle, startAlertsBot, textOf, topLevel, waitFor, type AlertsHarness } from './support.ts';

/**
 * The real Alertmanager (built from its Go module by scripts/alertmanager/build.sh, path in
 * ALERTMANAGER_BIN) as the sender: alerts posted to its API go through its own grouping and
 * webhook notifier, with bearer auth, to the bot's real HTTP server, and the bot's Silence
 * button creates the silence in that same Alertmanager through its API v2. Only Slack is a fake.
 *
 * Without ALERTMANAGER_BIN (a machine where Alertmanager does not build) the test is skipped;
 * `npm test` builds it, so CI runs it.
 */
const BIN = process.env['ALERTMANAGER_BIN'] ?? '';
const TOKEN = `am-real-${randomBytes(6).toString('hex')}`;
const CHANNEL = 'C0REALAM';


interface RealAm {
  readonly url: string;
  readonly proc: ChildProcess;
  readonly log: string[];
  stop(): Promise<void>;
}

async function startAlertmanager(port: number, hook: string): Promise<RealAm> {
  const dir = mkdtempSync(join(tmpdir(), 'chatops-am-'));
  // Short waits so the test is quick; otherwise what a team would write.
  writeFileSync(join(dir, 'alertmanager.yml'), [
    'route:',
    '  receiver: chatops',
    '  group_by: [alertname, env, app]',
    '  group_wait: 1s',
    '  group_interval: 2s',
    '  repeat_interval: 4h',
    'receivers:',
    '  - name: chatops',
    '    webhook_configs:',
    `      - url: ${hook}`,
    '        send_resolved: true',
    '        http_config:',
    '          authorization:',
    '            type: Bearer',
    `            credentials: ${TOKEN}`,
    '',
  ].join('\n'));
  const proc = spawn(BIN, [
    `--config.file=${join(dir, 'alertmanager.yml')}`,
    `--storage.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--cluster.listen-address=', // a single instance: no gossip port
    '--log.level=info',
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  const log: string[] = [];
  proc.stdout?.on('data', (d: Buffer) => log.push(d.toString()));
  proc.stderr?.on('data', (d: Buffer) => log.push(d.toString()));
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const url = `http://127.0.0.1:${port}`;
  await waitFor('Alertmanager ready', async () => {
    if (proc.exitCode !== null) throw new Error(`alertmanager exited: ${log.join('')}`);
    const r = await fetch(`${url}/-/ready`).catch(() => undefined);
    return r?.ok === true ? true : undefined;
  }, 30_000, 100);
  return {
    url,
    proc,
    log,
    async stop() {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

interface AmSilence {
  id: string;
  status: { state: string };
  createdBy: string;
  comment: string;
  startsAt: string;
  endsAt: string;
  matchers: { name: string; value: string; isRegex: boolean; isEqual: boolean }[];
}

describe.skipIf(BIN === '' || !existsSync(BIN))('the real Alertmanager as the sender', () => {
  let h: AlertsHarness;
  let am: RealAm;

  beforeAll(async () => {
    // The bot needs Alertmanager's URL (for silences) and Alertmanager needs the bot's: the bot
    // first with a port chosen now for Alertmanager, then Alertmanager on it.
    const amPort = await freePort();
    h = await startAlertsBot(uniqueName('realam'), {
      sources: { alertmanager: { bearerToken: TOKEN } },
      alertmanager: { url: `http://127.0.0.1:${amPort}` },
      defaults: { groupWait: '1s', repeatInterval: '4h' },
      routes: [{ name: 'prod', match: { env: 'prod' }, channels: [`slack:${CHANNEL}`] }],
    });
    am = await startAlertmanager(amPort, `${h.bot.api.url}/alerts/alertmanager`);
  });

  afterAll(async () => {
    await am?.stop();
    await h?.close();
  });

  const post = (alerts: unknown[]) => fetch(`${am.url}/api/v2/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(alerts) });
  const labels = (name: string, instance: string) => ({ alertname: name, env: 'prod', app: 'web', severity: 'critical', instance });
  const group = (name: string) => topLevel(h, CHANNEL).filter((m) => textOf(m).includes(name));

  it('groups what Alertmanager sends, and edits the message when Alertmanager says the alerts resolved', async () => {
    const startsAt = new Date(Date.now() - 60_000).toISOString();
    const firing = [
      { labels: labels('RealAmLatency', 'web-1'), annotations: { summary: 'p99 over 2 s on web-1' }, startsAt, generatorURL: 'http://prometheus.example.com/graph?g0.expr=up' },
      { labels: labels('RealAmLatency', 'web-2'), annotations: { summary: 'p99 over 2 s on web-2' }, startsAt, generatorURL: 'http://prometheus.example.com/graph?g0.expr=up' },
    ];
    expect((await post(firing)).status).toBe(200);
    const msg = await waitFor('the group message from Alertmanager', () => group('RealAmLatency')[0], 30_000, 100);
    await waitFor('both alerts in it', () => (textOf(h.fake.messages(CHANNEL).find((m) => m.ts === msg.ts) ?? {}).includes('2 firing') ? true : undefined), 30_000, 100);

    // Alertmanager resolves them when endsAt passes and notifies on its next group interval.
    const endsAt = new Date().toISOString();
    expect((await post(firing.map((a) => ({ ...a, endsAt })))).status).toBe(200);
    const done = await waitFor('the resolved message', () => {
      const m = h.fake.messages(CHANNEL).find((x) => x.ts === msg.ts);
      return m !== undefined && textOf(m).includes('Resolved: RealAmLatency') ? m : undefined;
    }, 30_000, 100);
    await settle(h, CHANNEL);
    expect(group('RealAmLatency')).toHaveLength(1);
    expect(done.updates).toBeGreaterThan(0);
    expect(buttons(done)).toEqual([]);
    expect(replies(h, CHANNEL, msg.ts).map(textOf).some((t) => t.includes('All resolved'))).toBe(true);
    expect(h.fake.violations).toEqual([]);
  });

  /** Fires one alert through Alertmanager and returns its group message and that message's Silence button for `span`. */
  async function firingWithSilence(name: string, instance: string, summary: string, span: string) {
    const startsAt = new Date(Date.now() - 60_000).toISOString();
    expect((await post([{ labels: labels(name, instance), annotations: { summary }, startsAt }])).status).toBe(200);
    const msg = await waitFor('the group message from Alertmanager', () => group(name)[0], 30_000, 100);
    const button = buttons(msg).find((b) => b.action === 'silence' && b.value.endsWith(`~${span}`));
    if (button === undefined) throw new Error(`no Silence ${span} button on ${name}'s message`);
    return { msg, button };
  }

  it('Silence 1h creates the silence in Alertmanager itself, authored by the person who clicked', async () => {
    const { msg, button: silence1h } = await firingWithSilence('RealAmQueueBacklog', 'worker-1', 'queue over 10k', '1h');

    const clicked = await click(h, CHANNEL, 'silence', silence1h.value, PEOPLE.bob.slack, msg.ts);
    expect(clicked.status).toBe(200);
    await responseTo(h, clicked.responseUrl);
    const silences = (await (await fetch(`${am.url}/api/v2/silences`)).json()) as AmSilence[];
    const mine = silences.filter((s) => s.matchers.some((m) => m.name === 'alertname' && m.value === 'RealAmQueueBacklog'));
    expect(mine).toHaveLength(1);
    const s = mine[0];
    expect(s?.status.state).toBe('active');
    expect(s?.createdBy).toBe('bob');
    expect(s?.matchers.map((m) => [m.name, m.value, m.isRegex, m.isEqual]).sort()).toEqual([
      ['alertname', 'RealAmQueueBacklog', false, true],
      ['app', 'web', false, true],
      ['env', 'prod', false, true],
      ['instance', 'worker-1', false, true],
      ['severity', 'critical', false, true],
    ]);
    const hours = (Date.parse(s?.endsAt ?? '') - Date.parse(s?.startsAt ?? '')) / 3_600_000;
    expect(hours).toBeGreaterThan(0.99);
    expect(hours).toBeLessThanOrEqual(1.0001);
    // Alertmanager now reports the alert as silenced by that silence.
    const alerts = (await (await fetch(`${am.url}/api/v2/alerts?filter=alertname%3D%22RealAmQueueBacklog%22`)).json()) as { status: { state: string; silencedBy: string[] } }[];
    expect(alerts.map((a) => a.status)).toEqual([{ state: 'suppressed', silencedBy: [s?.id], inhibitedBy: [], mutedBy: [] }]);
  });

  it('a replayed Silence click (the same signed request twice) creates one silence; the repeat says it was already received', async () => {
    const { msg, button } = await firingWithSilence('RealAmReplayed', 'worker-2', 'disk 95%', '4h');
    const responseUrl = h.fake.responseUrl(`replay-${randomBytes(3).toString('hex')}`);
    const body = blockActionBody({ action_id: 'silence-2', value: button.value, user_id: PEOPLE.bob.slack, team_id: FAKE_TEAM_ID, channel_id: CHANNEL, message_ts: msg.ts, response_url: responseUrl });
    const [first, repeat] = await sendTwice(h, body, responseUrl);

    const silences = (await (await fetch(`${am.url}/api/v2/silences`)).json()) as AmSilence[];
    expect(silences.filter((x) => x.matchers.some((m) => m.name === 'alertname' && m.value === 'RealAmReplayed'))).toHaveLength(1);
    expect(first).toContain('Silenced');
    expect(repeat).toContain('Already received');
  });

  it('delivers a batch of 1,500 alerts (about 1.6 MiB, over the server-wide 1 MiB) that Alertmanager sends in one notification', async () => {
    const startsAt = new Date(Date.now() - 60_000).toISOString();
    // Each alert carries about 1 KiB, as alerts with long descriptions do.
    const batch = Array.from({ length: 1500 }, (_, i) => ({
      labels: labels('RealAmBigBatch', `pod-${String(i).padStart(4, '0')}`),
      annotations: { summary: `queue lag on pod ${i}`, description: `${'the consumer fell behind; '.repeat(30)}${i}` },
      startsAt,
    }));
    // What Alertmanager will send for them, built the same way, is between the two limits.
    const size = Buffer.byteLength(JSON.stringify(amPayload(batch.map((a) => ({ ...a, fingerprint: 'f'.repeat(16) })))));
    expect(size).toBeGreaterThan(1.5 * 1024 * 1024);
    expect(size).toBeLessThan(2 * 1024 * 1024);
    expect((await post(batch)).status).toBe(200);
    const msg = await waitFor('the 1,500-alert group in the channel', () => group('RealAmBigBatch')[0], 60_000, 200);
    await waitFor('all 1,500 firing in it', () => (textOf(h.fake.messages(CHANNEL).find((m) => m.ts === msg.ts) ?? {}).includes('1500 firing') ? true : undefined), 60_000, 200);
    // Alertmanager saw its notification accepted: nothing failed on its side.
    const metrics = await (await fetch(`${am.url}/metrics`)).text();
    expect(metrics).toMatch(/^alertmanager_notifications_total\{integration="webhook"[^}]*\} [1-9]/m);
    expect(metrics).not.toMatch(/^alertmanager_notifications_failed_total\{integration="webhook"[^}]*\} [1-9]/m);
    expect(am.log.join('')).not.toMatch(/413|Notify for alerts failed/);
  });

  it("still refuses a body over the alert webhook's own limit (2 MiB) with a 413, and the server-wide 1 MiB on the chat webhooks", async () => {
    const startsAt = new Date().toISOString();
    const big = JSON.stringify({ version: '4', status: 'firing', alerts: [{ status: 'firing', labels: { alertname: 'x' }, startsAt, annotations: { d: 'x'.repeat(2.5 * 1024 * 1024) } }] });
    const res = await fetch(`${h.bot.api.url}/alerts/alertmanager`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body: big });
    expect(res.status).toBe(413);
    const chat = await postSigned(h.events, `payload=${'a'.repeat(1.5 * 1024 * 1024)}`, { secret: SECRET });
    expect(chat.status).toBe(413);
    expect((await fetch(`${h.bot.api.url}/healthz`)).status).toBe(200);
  });
});
