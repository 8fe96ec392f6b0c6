import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDuration, type Duration } from '../../../src/core/duration.ts';
import { loopbackOnly, runProbe } from '../../../src/jobs/probe.ts';
import { createLog } from '../../../src/log.ts';
import { amPayload, postAlertmanager, startFakeAlertmanager, type FakeAlertmanager } from '../../fakes/alertmanager.ts';
import { localConfigFile } from '../console/support.ts';
import { adminClients } from '../support/cluster.ts';
import { testNamespace } from '../support/namespace.ts';
import { createDeployment, waitForRollout } from '../support/workloads.ts';
import { PEOPLE, buttons, click, responseTo, slash, startAlertsBot, textOf, topLevel, waitFor, type AlertsHarness } from './support.ts';

/**
 * Credentials inside configured URLs (http://user:password@…) never reach chat, logs or error
 * texts. Every URL the config can hold gets credentials carrying one marker: the link templates
 * (job, trace, logs; the alerts' runbook, logs, dashboard), Alertmanager's API URL, a site
 * probe's URL, an app's health-gate probe URL, REDIS_URL. Then the bot does what shows them: a
 * deploy's message with its links, an alert with its links, a probe alert, a silence (and one
 * that fails), a health-gate probe that passes and one that fails, `chatops serve` and
 * `npm start` with that REDIS_URL. Every Slack call, response, log line and process output is
 * searched for the marker. The credentials still work: the probe and Alertmanager receive them
 * as a Basic Authorization header.
 */
const MARK = `S3CRET${randomBytes(4).toString('hex')}`;
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CHANNEL = 'C0CREDS01';
const TOKEN = `am-${randomBytes(6).toString('hex')}`;
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

let h: AlertsHarness;
let am: FakeAlertmanager;
let site: Server;
const siteAuth: (string | undefined)[] = [];
const logLines: string[] = [];

beforeAll(async () => {
  const ns = (await testNamespace({ clusters: ['gz'], prefix: 'creds', scope: 'file' })).name;
  await waitForRollout(adminClients('gz'), await createDeployment(adminClients('gz'), ns, 'web', { replicas: 1, tag: 'v1' }));
  am = await startFakeAlertmanager();
  // A site that is down: its probe alert fires (and the probe sends the URL's credentials).
  site = createServer((req: IncomingMessage, res) => {
    siteAuth.push(req.headers.authorization);
    res.writeHead(503);
    res.end('down');
  });
  await new Promise<void>((r) => site.listen(0, '127.0.0.1', r));
  const sitePort = (site.address() as AddressInfo).port;
  const amUrl = new URL(am.url);
  h = await startAlertsBot(
    ns,
    {
      sources: { alertmanager: { bearerToken: TOKEN } },
      alertmanager: { url: `http://am:${MARK}-am@${amUrl.host}` },
      defaults: { groupWait: '1s' },
      routes: [{ match: { env: 'prod' }, channels: [`slack:${CHANNEL}`] }],
      probes: [{ name: 'shop', url: `http://site:${MARK}-site@127.0.0.1:${sitePort}/healthz`, interval: '1s', timeout: '1s', labels: { env: 'prod', app: 'web' } }],
      links: {
        runbook: `https://rb:${MARK}-runbook@runbooks.example.com/{alertname}`,
        logs: `https://logs:${MARK}-alertlogs@logs.example.com/?app={app}`,
        dashboard: `https://:${MARK}-dash@grafana.example.com/d/{app}`,
      },
    },
    {
      knobs: { alertsProbeFetch: loopbackOnly(fetch) },
      links: { job: `https://job:${MARK}-job@jobs.example.com/ops/{jobId}`, trace: `https://trace:${MARK}-trace@trace.example.com/trace/{traceId}`, logs: `https://${MARK}-token@logs.example.com/?app={app}` },
      log: createLog('chatops', 'debug', { write: (line: string) => void logLines.push(line) }),
    },
  );
});

afterAll(async () => {
  await h?.close();
  await am?.close();
  site?.closeAllConnections();
  await new Promise<void>((r) => (site === undefined ? r() : site.close(() => r())));
});

/** Everything the bot said to Slack and wrote to its log so far. */
function everythingShown(): string {
  return [JSON.stringify(h.fake.calls.map((c) => c.args)), JSON.stringify(h.fake.responses.map((r) => r.body)), JSON.stringify(h.fake.messages(CHANNEL)), ...logLines].join('\n');
}

describe('credentials in configured URLs', () => {
  it('a deploy message shows its job, trace and logs links without the credentials in them', async () => {
    slash(h, CHANNEL, 'deploy web v2 to prod', PEOPLE.bob.slack);
    const done = await waitFor('the deploy message with its links', () => topLevel(h, CHANNEL).find((m) => /succeeded/i.test(textOf(m)) && textOf(m).includes('jobs.example.com')), 90_000, 200);
    expect(textOf(done)).toContain('https://***@jobs.example.com/ops/op-');
    expect(textOf(done)).toContain('https://***@trace.example.com/trace/');
    expect(everythingShown()).not.toContain(MARK);
  });

  it("a probe alert names the site's URL without them, and the probe sent them as Basic auth", async () => {
    const alert = await waitFor('the probe alert', () => topLevel(h, CHANNEL).find((m) => textOf(m).includes('SiteProbeFailed')), 30_000, 200);
    expect(textOf(alert)).toContain('http://***@127.0.0.1:');
    expect(textOf(alert)).toContain('answered 503');
    expect(siteAuth).toContain(basic('site', `${MARK}-site`));
    expect(everythingShown()).not.toContain(MARK);
  });

  it('an Alertmanager alert shows its runbook, logs and dashboard links without them; Silence reaches Alertmanager with them as Basic auth, and a failed silence names no credentials', async () => {
    const r = await postAlertmanager(`${h.bot.api.url}/alerts/alertmanager`, amPayload([{ labels: { alertname: 'CredsAlert', env: 'prod', app: 'web', severity: 'critical', instance: 'web-1' }, annotations: { summary: 'CredsAlert on web-1' } }]), { bearer: TOKEN });
    expect(r.status).toBe(200);
    const msg = await waitFor('the alert message', () => topLevel(h, CHANNEL).find((m) => textOf(m).includes('CredsAlert') && buttons(m).some((b) => b.action === 'silence')), 30_000, 200);
    expect(textOf(msg)).toContain('https://***@runbooks.example.com/CredsAlert');
    expect(textOf(msg)).toContain('https://***@grafana.example.com/d/web');

    const silences = buttons(msg).filter((b) => b.action === 'silence');
    const ok = await click(h, CHANNEL, 'silence', silences[0]?.value ?? '', PEOPLE.bob.slack, msg.ts);
    expect(textOf((await responseTo(h, ok.responseUrl)).body)).toMatch(/Silenced/);
    expect(am.silences.map((s) => s.authorization)).toEqual([basic('am', `${MARK}-am`)]);

    // Alertmanager goes away: the clicker is told, without the URL's credentials.
    await am.close();
    const failed = await click(h, CHANNEL, 'silence-2', silences[1]?.value ?? '', PEOPLE.bob.slack, msg.ts);
    const said = textOf((await responseTo(h, failed.responseUrl)).body);
    expect(said).toContain('Alertmanager did not answer');
    expect(everythingShown()).not.toContain(MARK);
  });
});

describe("an app's health-gate probe with credentials in its URL", () => {
  let gate: Server;
  let status = 200;
  const seen: (string | undefined)[] = [];
  const probe = (url: string) => ({ url, expectStatus: 200, timeout: parseDuration('2s') as Duration });
  const place = { region: 'gz', cluster: 'gz', app: 'web', env: 'prod' };

  beforeAll(async () => {
    gate = createServer((req, res) => {
      seen.push(req.headers.authorization);
      res.writeHead(status);
      res.end('ok');
    });
    await new Promise<void>((r) => gate.listen(0, '127.0.0.1', r));
  });

  afterAll(async () => {
    gate.closeAllConnections();
    await new Promise<void>((r) => gate.close(() => r()));
  });

  it('sends them as Basic auth, and names the URL without them when it passes and when it fails', async () => {
    const url = `http://gate:${MARK}-gate@127.0.0.1:${(gate.address() as AddressInfo).port}/{region}/health`;
    const passed = await runProbe(probe(url), place, { fetch: loopbackOnly(fetch), attempts: 1 });
    expect(passed).toMatchObject({ ok: true, url: expect.stringContaining('http://***@127.0.0.1:') as string });
    expect(seen).toEqual([basic('gate', `${MARK}-gate`)]);
    status = 500;
    const failed = await runProbe(probe(url), place, { fetch: loopbackOnly(fetch), attempts: 1 });
    expect(failed.ok).toBe(false);
    expect(JSON.stringify(failed)).toContain('answered 500');
    expect(JSON.stringify([passed, failed])).not.toContain(MARK);
  });
});

describe('REDIS_URL with credentials, in real processes', () => {
  let tmp: string;
  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'chatops-creds-'));
  });
  afterAll(() => {
    rmSync(tmp, { recursive: true, force: true });
  });

  /** The test Redis's URL with a password in it: its default user has none, so any password is accepted. */
  function redisWithPassword(): string {
    const u = new URL(process.env['REDIS_URL'] ?? '');
    u.username = 'default';
    u.password = `${MARK}-redis`;
    return u.href;
  }

  /** Runs a command until a line matches `ready`, then stops it (by its PID) and returns all it printed. */
  function runUntil(args: readonly string[], env: Record<string, string>, ready: RegExp): Promise<string> {
    const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'REDIS_URL' && k !== 'CHATOPS_CONFIG'));
    const child = spawn(process.execPath, [...args], { cwd: ROOT, env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const take = (b: Buffer) => {
      out += b.toString('utf8');
      if (ready.test(out) && child.exitCode === null) child.kill('SIGTERM');
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    return new Promise((resolve) => {
      child.on('exit', () => {
        clearTimeout(timer);
        resolve(out);
      });
    });
  }

  it('`chatops serve` (debug logs) and `npm start` (node src/main.ts) never print it', async () => {
    const redis = redisWithPassword();
    const served = await runUntil(['src/cli/chatops.ts', 'serve', '--port', '0'], { REDIS_URL: redis, LOG_LEVEL: 'debug', CHATOPS_REDIS_PREFIX: `creds-serve-${randomBytes(3).toString('hex')}:` }, /api role running/);
    expect(served).toContain('api role running');
    expect(served).not.toContain(MARK);

    const config = localConfigFile(tmp, '127.0.0.1');
    const started = await runUntil(['src/main.ts'], { REDIS_URL: redis, CHATOPS_CONFIG: config, LOG_LEVEL: 'debug', CHATOPS_REDIS_PREFIX: `creds-main-${randomBytes(3).toString('hex')}:` }, /Web console:/);
    expect(started).toContain('Redis: redis://***@127.0.0.1:');
    expect(started).not.toContain(MARK);
  });
});
