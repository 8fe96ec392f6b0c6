import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../src/local/port.ts';
import { uniqueName } from '../support/namespace.ts';
import { PEOPLE, buttons, click, replies, responseTo, settle, startAlertsBot, textOf, topLevel, waitFor, type AlertsHarness } from './support.ts';

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

  it('Silence 1h creates the silence in Alertmanager itself, authored by the person who clicked', async () => {
    const startsAt = new Date(Date.now() - 60_000).toISOString();
    expect((await post([{ labels: labels('RealAmQueueBacklog', 'worker-1'), annotations: { summary: 'queue over 10k' }, startsAt }])).status).toBe(200);
    const msg = await waitFor('the group message from Alertmanager', () => group('RealAmQueueBacklog')[0], 30_000, 100);
    const silence1h = buttons(msg).find((b) => b.action === 'silence' && b.value.endsWith('~1h'));
    expect(silence1h).toBeDefined();

    const clicked = await click(h, CHANNEL, 'silence', silence1h?.value ?? '', PEOPLE.bob.slack, msg.ts);
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
});
