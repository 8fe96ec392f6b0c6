import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { amPayload, type AmAlertInput } from '../../fakes/alertmanager.ts';
import { startFakeSlackApi, type FakeSlackApi } from '../../fakes/slack-api.ts';
import { FAKE_TEAM_ID, postSigned, slashCommandBody } from '../../fakes/slack-sign.ts';
import { spawnServe, serveUrl, type ServeProcess } from '../support/serve.ts';
import { waitFor } from '../support/workloads.ts';

/**
 * The alert side of the trust issue, against `chatops serve` as its own process (the only way
 * to see a stalled event loop from outside: the test's own loop keeps polling):
 *
 * - a subscription typed in chat with a pattern that backtracks for hours in JavaScript's
 *   RegExp, `alertname=~(.*.*)*X`, and an alert whose alertname is 10,000 characters: the
 *   webhook answers and /healthz keeps answering all along (RE2 matches in linear time);
 * - production mode refuses an alert webhook without credentials (the process exits 78 and
 *   says what to do) unless the config says allowUnauthenticated, and then its log warns;
 * - alerts are keyed by (source, fingerprint): a generic-webhook `resolved` carrying an
 *   Alertmanager alert's fingerprint leaves that alert firing.
 */
const SECRET = `secret-${randomBytes(8).toString('hex')}`;
const BOT_TOKEN = 'xoxb-test-0000-token';
const AM_TOKEN = `am-${randomBytes(6).toString('hex')}`;
const USER = 'U0ALICE01';
const CHANNEL = 'C0TRUST01';

const WH_TOKEN = `wh-${randomBytes(6).toString('hex')}`;

function config(fake: FakeSlackApi, webhook?: Record<string, unknown>): Record<string, unknown> {
  return {
    mode: 'production',
    people: { alice: { slack: USER } },
    clusters: {},
    environments: {},
    apps: {},
    access: [{ name: 'subscriptions', who: ['*'], verbs: ['subscribe', 'unsubscribe', 'subscriptions'], envs: ['*'] }],
    alerts: {
      sources: { alertmanager: { bearerToken: AM_TOKEN }, ...(webhook === undefined ? {} : { webhook }) },
      defaults: { groupWait: '1s' },
    },
    slack: { signingSecret: SECRET, botToken: BOT_TOKEN, teamId: FAKE_TEAM_ID, apiUrl: fake.url },
  };
}

const amAlert = (labels: Record<string, string>, status: 'firing' | 'resolved', fingerprint: string, summary = 'test'): AmAlertInput => ({
  status,
  labels,
  annotations: { summary },
  startsAt: new Date(Date.now() - 60_000).toISOString(),
  fingerprint,
});

/** A notification as Alertmanager sends it (its group key holds the alertname), with a deadline. */
function postAm(url: string, alerts: AmAlertInput[], signal?: AbortSignal): Promise<Response> {
  const body = JSON.stringify(amPayload(alerts));
  return fetch(`${url}/alerts/alertmanager`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${AM_TOKEN}` }, body, ...(signal === undefined ? {} : { signal }) });
}

let fake: FakeSlackApi;
beforeAll(async () => {
  fake = await startFakeSlackApi({ token: BOT_TOKEN, users: { [USER]: { team_id: FAKE_TEAM_ID, name: 'alice' } } });
});
afterAll(async () => {
  await fake?.close();
});

describe('chatops serve with a backtracking pattern subscribed from chat', () => {
  let bot: ServeProcess;
  let url: string;
  beforeAll(async () => {
    bot = spawnServe(config(fake));
    url = await serveUrl(bot);
  });
  afterAll(async () => {
    await bot?.stop();
  });

  it('takes a 10,000-character alertname at once while /healthz keeps answering', async () => {
    const responseUrl = fake.responseUrl(`redos-${randomBytes(3).toString('hex')}`);
    const body = slashCommandBody({ command: '/ops', text: 'subscribe "alertname=~(.*.*)*X"', user_id: USER, team_id: FAKE_TEAM_ID, channel_id: CHANNEL, response_url: responseUrl });
    expect((await postSigned(`${url}/slack/events`, body, { secret: SECRET })).status).toBe(200);
    const id = responseUrl.split('/').at(-1) ?? '';
    const answer = await waitFor('the subscribe answer', () => fake.responses.find((r) => r.id === id), 30_000, 50);
    expect(JSON.stringify(answer.body)).toContain('Subscribed');

    // /healthz, every 100 ms, each with a deadline: a stalled event loop answers none.
    const polls: { ok: boolean; error?: string }[] = [];
    let polling = true;
    const poller = (async () => {
      while (polling) {
        try {
          const r = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(10_000) });
          polls.push({ ok: r.status === 200 });
        } catch (e) {
          polls.push({ ok: false, error: e instanceof Error ? e.message : String(e) });
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    })();

    const long = 'a'.repeat(10_000);
    const t0 = performance.now();
    // One that the pattern does not match (JavaScript backtracks on it for hours), one that it does.
    const res = await postAm(url, [amAlert({ alertname: long, env: 'prod' }, 'firing', 'f0000000000000a1', 'no X at the end'), amAlert({ alertname: `${long.slice(1)}X`, env: 'prod' }, 'firing', 'f0000000000000a2', 'ends in X')], AbortSignal.timeout(90_000));
    const ms = performance.now() - t0;
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ received: 2, new: 2, resolved: 0, unchanged: 0 });
    // Let the poller see the loop after the alerts too, then stop it.
    await new Promise((r) => setTimeout(r, 1000));
    polling = false;
    await poller;
    expect(polls.filter((p) => !p.ok)).toEqual([]);
    expect(polls.length).toBeGreaterThanOrEqual(5);

    // The subscription works: the matching alert reaches the channel (one group), the other does not.
    const top = () => fake.messages(CHANNEL).filter((m) => m.thread_ts === undefined);
    await waitFor('the matching alert in the channel', () => (top().length > 0 ? true : undefined), 30_000, 100);
    await new Promise((r) => setTimeout(r, 3000));
    expect(top()).toHaveLength(1);
    expect(JSON.stringify(top()[0])).toContain('ends in X');
    expect(JSON.stringify(fake.messages(CHANNEL))).not.toContain('no X at the end');
    process.stderr.write(`[trust] 2 alerts with 10,000-character alertnames against alertname=~(.*.*)*X: answered in ${ms.toFixed(0)} ms; /healthz answered ${polls.length} of ${polls.length} polls\n`);
  });

});

describe('alerts keyed by source and fingerprint', () => {
  let bot: ServeProcess;
  let url: string;
  beforeAll(async () => {
    bot = spawnServe(config(fake, { bearerToken: WH_TOKEN }));
    url = await serveUrl(bot);
  });
  afterAll(async () => {
    await bot?.stop();
  });

  it('a webhook resolution carrying an Alertmanager fingerprint resolves nothing', async () => {
    const labels = { alertname: 'TrustKeyed', env: 'prod', instance: 'web-1' };
    expect(await (await postAm(url, [amAlert(labels, 'firing', 'f00000000000beef')])).json()).toMatchObject({ new: 1 });
    // The generic webhook, with the same labels and Alertmanager's fingerprint (bare and as the bot stores it).
    for (const fingerprint of ['f00000000000beef', 'am-f00000000000beef']) {
      const res = await fetch(`${url}/alerts/webhook`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${WH_TOKEN}` },
        body: JSON.stringify({ alerts: [{ name: 'TrustKeyed', status: 'resolved', labels, fingerprint }] }),
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ received: 1, new: 0, resolved: 0, unchanged: 1 });
    }
    // Alertmanager's own resolution still resolves it: it was firing all along.
    expect(await (await postAm(url, [amAlert(labels, 'resolved', 'f00000000000beef')])).json()).toEqual({ received: 1, new: 0, resolved: 1, unchanged: 0 });
  });
});

describe('alert webhooks without credentials in production mode', () => {
  it('chatops serve refuses to start, naming the setting and what to do', async () => {
    const p = spawnServe(config(fake, {}));
    try {
      const code = await Promise.race([p.exited, new Promise<string>((r) => setTimeout(() => r('still running after 30 s'), 30_000))]);
      expect(code).toBe(78);
      expect(p.log()).toContain('alerts.sources.webhook: no credentials: in production mode anyone who can reach the bot could post alerts');
      expect(p.log()).toContain('allowUnauthenticated: true');
    } finally {
      await p.stop();
    }
  });

  it('starts with allowUnauthenticated: true, and its log warns', async () => {
    const p = spawnServe(config(fake, { allowUnauthenticated: true }));
    try {
      await serveUrl(p);
      expect(p.log()).toMatch(/"source":"webhook"[^\n]*POST \/alerts\/webhook takes alerts from anyone: it has no credentials/);
      expect(p.log()).not.toMatch(/"source":"alertmanager"[^\n]*takes alerts from anyone/);
    } finally {
      await p.stop();
    }
  });
});
