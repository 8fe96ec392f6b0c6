import { randomBytes } from 'node:crypto';
import type { Config } from '../../../src/config/schema.ts';
import type { Log } from '../../../src/log.ts';
import { startFakeSlackApi, type FakeMessage, type FakeSlackApi } from '../../fakes/slack-api.ts';
import { blockActionBody, FAKE_TEAM_ID, postSigned, slashCommandBody } from '../../fakes/slack-sign.ts';
import { PEOPLE, chatConfig, slackDirectory, startBot, type Bot } from '../chat/support.ts';
import { waitFor } from '../support/workloads.ts';

/**
 * The bot with Slack against the fake and an `alerts` section, for the alert tests: alice is
 * a developer, bob and carol are SRE. SRE may acknowledge, silence and roll back in prod;
 * developers may deploy with an approval; everyone may read and subscribe.
 */
export const SECRET = `secret-${randomBytes(8).toString('hex')}`;
export const TOKEN = 'xoxb-test-0000-token';
export { PEOPLE, waitFor };

export const ACCESS = [
  { name: 'devs-prod', who: ['group:devs'], verbs: ['deploy', 'scale'], envs: ['prod'], approval: { count: 1, from: ['group:sre'], expires: '30m' } },
  { name: 'sre-prod', who: ['group:sre'], verbs: ['deploy', 'scale', 'rollback', 'ack', 'silence'], envs: ['prod'] },
  { name: 'subscriptions', who: ['*'], verbs: ['subscribe', 'unsubscribe', 'subscriptions'], envs: ['*'] },
  { name: 'reads', who: ['*'], verbs: ['status', 'history', 'jobs'], envs: ['*'] },
];

export interface AlertsHarness {
  readonly fake: FakeSlackApi;
  readonly bot: Bot;
  readonly events: string;
  readonly config: Config;
  close(): Promise<void>;
}

export async function startAlertsBot(namespace: string, alerts: Record<string, unknown>, extra: { knobs?: Record<string, unknown>; links?: Record<string, string>; access?: readonly Record<string, unknown>[]; log?: Log } = {}): Promise<AlertsHarness> {
  const fake = await startFakeSlackApi({ token: TOKEN, users: slackDirectory() });
  const config = chatConfig(namespace, {
    slack: { signingSecret: SECRET, botToken: TOKEN, teamId: FAKE_TEAM_ID, apiUrl: fake.url },
    access: [...ACCESS, ...(extra.access ?? [])],
    alerts,
    ...(extra.links === undefined ? {} : { links: extra.links }),
  });
  const bot = await startBot(config, { knobs: { alertsPollMs: 50, alertsEditDelayMs: 200, ...extra.knobs }, ...(extra.log === undefined ? {} : { log: extra.log }) });
  return {
    fake,
    bot,
    events: `${bot.api.url}/slack/events`,
    config,
    async close() {
      await bot.stop();
      await fake.close();
    },
  };
}

let n = 0;
export function slash(h: AlertsHarness, channel: string, text: string, user: string) {
  const responseUrl = h.fake.responseUrl(`r${++n}-${randomBytes(3).toString('hex')}`);
  const body = slashCommandBody({ command: '/ops', text, user_id: user, team_id: FAKE_TEAM_ID, channel_id: channel, response_url: responseUrl });
  return { responseUrl, res: postSigned(h.events, body, { secret: SECRET }) };
}

export async function click(h: AlertsHarness, channel: string, action: string, value: string, user: string, messageTs: string) {
  const responseUrl = h.fake.responseUrl(`c${++n}-${randomBytes(3).toString('hex')}`);
  const body = blockActionBody({ action_id: action, value, user_id: user, team_id: FAKE_TEAM_ID, channel_id: channel, message_ts: messageTs, response_url: responseUrl });
  const res = await postSigned(h.events, body, { secret: SECRET });
  return { responseUrl, status: res.status };
}

/**
 * Posts the same signed body twice, as a replay does (same signature, same trigger id), each
 * after the answer before it arrived; returns what each answered on the body's response_url.
 */
export async function sendTwice(h: AlertsHarness, body: string, responseUrl: string, timeoutMs = 30_000): Promise<string[]> {
  const id = responseUrl.split('/').at(-1) ?? '';
  const answers = () => h.fake.responses.filter((r) => r.id === id).map((r) => textOf(r.body));
  for (const n of [1, 2]) {
    const res = await postSigned(h.events, body, { secret: SECRET });
    if (res.status !== 200) throw new Error(`delivery ${n} answered ${res.status}`);
    await waitFor(`answer ${n}`, () => (answers().length >= n ? true : undefined), timeoutMs, 50);
  }
  return answers();
}

export function responseTo(h: AlertsHarness, url: string, timeoutMs = 15_000) {
  const id = url.split('/').at(-1) ?? '';
  return waitFor(`a response on ${id}`, () => h.fake.responses.find((r) => r.id === id), timeoutMs, 50);
}

export function textOf(m: { text?: unknown; blocks?: unknown }): string {
  return `${typeof m.text === 'string' ? m.text : ''}\n${JSON.stringify(m.blocks ?? [])}`;
}

/** Messages of a channel that are not thread replies. */
export function topLevel(h: AlertsHarness, channel: string): FakeMessage[] {
  return h.fake.messages(channel).filter((m) => m.thread_ts === undefined);
}

export function replies(h: AlertsHarness, channel: string, ts: string): FakeMessage[] {
  return h.fake.messages(channel).filter((m) => m.thread_ts === ts);
}

export function buttons(m: FakeMessage): { action: string; value: string }[] {
  const out: { action: string; value: string }[] = [];
  for (const block of (m.blocks ?? []) as { type?: string; elements?: { action_id?: string; value?: string }[] }[]) {
    if (block.type !== 'actions') continue;
    for (const e of block.elements ?? []) if (e.action_id !== undefined && e.value !== undefined) out.push({ action: e.action_id.replace(/-\d+$/, ''), value: e.value });
  }
  return out;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until the channel's messages stop changing for `quietMs` (the outbox paces 1/s per channel). */
export async function settle(h: AlertsHarness, channel: string, quietMs = 2500, timeoutMs = 90_000): Promise<void> {
  const snapshot = () => JSON.stringify(h.fake.messages(channel).map((m) => [m.ts, m.updates]));
  let last = snapshot();
  let since = Date.now();
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    await sleep(200);
    const now = snapshot();
    if (now !== last) {
      last = now;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) return;
  }
  throw new Error(`channel ${channel} kept changing for ${timeoutMs} ms`);
}
