import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { message } from '../../../src/core/message.ts';
import { APPLY_SUGGESTION } from '../../../src/core/replica-formula.ts';
import { approvalButtonValue, approvalOfButton } from '../../../src/service/messages.ts';
import { adminClients } from '../support/cluster.ts';
import { testNamespace } from '../support/namespace.ts';
import { createDeployment, waitFor, waitForRollout, webTemplate } from '../support/workloads.ts';
import { faultReport } from '../support/report.ts';
import { startFakeSlackApi, type FakeMessage, type FakeSlackApi } from '../../fakes/slack-api.ts';
import { appMentionEventBody, blockActionBody, FAKE_TEAM_ID, postSigned, slashCommandBody } from '../../fakes/slack-sign.ts';
import { startFakeSocketMode, type FakeSocketMode } from '../../fakes/slack-socket.ts';
import { PEOPLE, chatConfig, slackDirectory, startBot, type Bot } from './support.ts';
import { blockActionPayload, slashCommandPayload } from '../../fakes/slack-sign.ts';

/**
 * Slack end to end: requests signed exactly as Slack signs them, sent over HTTP to the real
 * Bolt receiver on the bot's server; the Web API is a local fake that checks the token and
 * Block Kit limits; jobs run on the real control plane.
 */
const SECRET = `secret-${randomBytes(8).toString('hex')}`;
const TOKEN = 'xoxb-test-0000-token';
const CHANNEL = 'C0DEPLOYS';

let fake: FakeSlackApi;
let bot: Bot;
let ns: string;
let events: string;

beforeAll(async () => {
  const n = await testNamespace({ clusters: ['gz'], prefix: 'slack', scope: 'file' });
  ns = n.name;
  await waitForRollout(adminClients('gz'), await createDeployment(adminClients('gz'), ns, 'web', { replicas: 2, tag: 'v1' }));
  fake = await startFakeSlackApi({ token: TOKEN, users: slackDirectory({ U0STRANGER: { email: 'who@example.com' } }) });
  bot = await startBot(chatConfig(ns, { slack: { signingSecret: SECRET, botToken: TOKEN, teamId: FAKE_TEAM_ID, apiUrl: fake.url } }));
  events = `${bot.api.url}/slack/events`;
});

afterAll(async () => {
  await bot?.stop();
  await fake?.close();
});

let responses = 0;
function slash(command: string, text: string, user: string, opts: { team?: string; ts?: number; secret?: string } = {}) {
  const responseUrl = fake.responseUrl(`r${++responses}`);
  const body = slashCommandBody({ command, text, user_id: user, team_id: opts.team ?? FAKE_TEAM_ID, channel_id: CHANNEL, response_url: responseUrl });
  return { responseUrl, res: postSigned(events, body, { secret: opts.secret ?? SECRET, ...(opts.ts === undefined ? {} : { ts: opts.ts }) }) };
}

function clickBody(action: string, value: string, user: string, messageTs: string) {
  const responseUrl = fake.responseUrl(`r${++responses}`);
  return { responseUrl, body: blockActionBody({ action_id: action, value, user_id: user, team_id: FAKE_TEAM_ID, channel_id: CHANNEL, message_ts: messageTs, response_url: responseUrl }) };
}

function responseTo(url: string, timeoutMs = 10_000) {
  const id = url.split('/').at(-1) ?? '';
  return waitFor(`a response on ${id}`, () => fake.responses.find((r) => r.id === id), timeoutMs, 50);
}

function textOf(m: { text?: unknown; blocks?: unknown }): string {
  return `${typeof m.text === 'string' ? m.text : ''}\n${JSON.stringify(m.blocks ?? [])}`;
}

function buttonValue(m: FakeMessage, action: string): string | undefined {
  for (const block of (m.blocks ?? []) as { type?: string; elements?: { action_id?: string; value?: string }[] }[]) {
    if (block.type !== 'actions') continue;
    for (const e of block.elements ?? []) if (e.action_id?.replace(/-\d+$/, '') === action) return e.value;
  }
  return undefined;
}

async function opCount(): Promise<number> {
  return (await bot.api.s.ops.list(1000)).length;
}

describe('Slack over HTTP', () => {
  it('accepts a good signature; refuses a bad one, a stale and a future timestamp, and another workspace, with no side effect', async () => {
    const good = slash('/ops', 'help', PEOPLE.alice.slack);
    expect((await good.res).status).toBe(200);
    const before = { ops: await opCount(), posts: fake.calls.filter((c) => c.method === 'chat.postMessage').length };
    const now = Math.floor(Date.now() / 1000);
    const bad = [slash('/deploy', 'web v9 to prod', PEOPLE.bob.slack, { secret: 'not-the-secret' }), slash('/deploy', 'web v9 to prod', PEOPLE.bob.slack, { ts: now - 301 }), slash('/deploy', 'web v9 to prod', PEOPLE.bob.slack, { ts: now + 301 })];
    for (const b of bad) expect((await b.res).status).toBe(401);
    const other = slash('/deploy', 'web v9 to prod', PEOPLE.bob.slack, { team: 'T0OTHERTEAM' });
    const otherRes = await other.res;
    expect(otherRes.status).toBe(200);
    expect(await otherRes.text()).toContain('another Slack workspace');
    await new Promise((r) => setTimeout(r, 1500));
    expect(await opCount()).toBe(before.ops);
    expect(fake.calls.filter((c) => c.method === 'chat.postMessage').length).toBe(before.posts);
    expect(fake.responses.filter((r) => [...bad, other].some((b) => b.responseUrl.endsWith(`/${r.id}`)))).toEqual([]);
    const metrics = await (await fetch(`${bot.api.url}/metrics`)).text();
    expect(metrics).toMatch(/chatops_commands_total\{platform="slack",outcome="answered"\} [1-9]/);
    expect(metrics).toMatch(/chatops_requests_rejected_total\{platform="slack",reason="timestamp in the future"\} 1/);
  });

  it('answers parse errors and refusals in the ack, ephemerally', async () => {
    const typo = slash('/deploy', 'web to prod', PEOPLE.alice.slack);
    const res = await typo.res;
    expect(res.status).toBe(200);
    const body = (await res.json()) as { response_type: string; text: string };
    expect(body.response_type).toBe('ephemeral');
    expect(textOf(body)).toMatch(/couldn't run that/i);
    const stranger = slash('/deploy', 'web v9 to prod', 'U0STRANGER');
    const denied = (await (await stranger.res).json()) as { response_type: string; text: string };
    expect(denied.response_type).toBe('ephemeral');
    expect(textOf(denied)).toMatch(/not allowed/i);
  });

  it('/deploy web v2 to prod from alice: approval message, alice may not approve, bob approves, the job runs, the same message ends in success with links', async () => {
    const asked = slash('/deploy', 'web v2 to prod', PEOPLE.alice.slack);
    expect((await asked.res).status).toBe(200);
    const approvalMsg = await waitFor('the approval message', () => fake.messages(CHANNEL).find((m) => buttonValue(m, 'approve') !== undefined && textOf(m).includes('v2')), 15_000, 100);
    // The button carries the request's id and the digest of the change the card shows.
    const button = buttonValue(approvalMsg, 'approve') ?? '';
    const approvalId = approvalOfButton(button).id;
    expect(approvalId).toMatch(/^apr-/);
    expect(approvalOfButton(button).digest).toBe((await bot.api.s.approvals.get(approvalId))?.digest);
    expect(textOf(approvalMsg)).toContain('Approve this change in prod?'); // the confirm dialog

    // A button bound to another version of the change counts for nothing.
    const forged = clickBody('approve', approvalButtonValue(approvalId, '0'.repeat(64)), PEOPLE.bob.slack, approvalMsg.ts);
    expect((await postSigned(events, forged.body, { secret: SECRET })).status).toBe(200);
    expect(textOf((await responseTo(forged.responseUrl)).body)).toContain('This button belongs to a different version of the request');
    expect((await bot.api.s.approvals.get(approvalId))?.approvals).toEqual([]);

    const self = clickBody('approve', button, PEOPLE.alice.slack, approvalMsg.ts);
    expect((await postSigned(events, self.body, { secret: SECRET })).status).toBe(200);
    expect(textOf((await responseTo(self.responseUrl)).body)).toContain('cannot approve or reject your own request');
    expect((await bot.api.s.approvals.get(approvalId))?.status).toBe('pending');

    // Bob's click, delivered twice (at least once delivery): it acts once.
    const click = clickBody('approve', button, PEOPLE.bob.slack, approvalMsg.ts);
    const [r1, r2] = await Promise.all([postSigned(events, click.body, { secret: SECRET }), postSigned(events, click.body, { secret: SECRET })]);
    expect([r1.status, r2.status]).toEqual([200, 200]);
    // The click is acked first and decided after: wait for the decision.
    const approval = await waitFor('the approval', async () => {
      const a = await bot.api.s.approvals.get(approvalId);
      return a?.status === 'approved' ? a : undefined;
    }, 10_000, 50);
    await responseTo(click.responseUrl);
    await new Promise((r) => setTimeout(r, 500));
    expect(approval?.approvals.map((a) => a.person)).toEqual(['bob']);

    const done = await waitFor(
      'the message to show success',
      () => {
        const m = fake.messages(CHANNEL).find((x) => x.ts === approvalMsg.ts);
        return m !== undefined && textOf(m).includes('succeeded') ? m : undefined;
      },
      90_000,
      200,
    );
    expect(textOf(done)).toContain('https://jobs.example.com/ops/op-');
    expect(textOf(done)).toContain('https://trace.example.com/trace/');
    expect(textOf(done)).toContain('bob');
    expect(buttonValue(done, 'approve')).toBeUndefined();
    expect(done.updates).toBeGreaterThan(0);
    // One message for the whole operation, edited in place.
    const opId = /operation (op-[0-9a-f]+)/.exec(textOf(approvalMsg))?.[1] ?? 'no op id';
    expect(fake.messages(CHANNEL).filter((m) => textOf(m).includes(opId))).toHaveLength(1);
    expect((await webTemplate(adminClients('gz'), { namespace: ns, kind: 'Deployment', name: 'web' })).image).toBe('registry.example.com/team/web:v2');

    await waitFor('the operation counted in /metrics', async () => {
      const m = await (await fetch(`${bot.api.url}/metrics`)).text();
      return /chatops_operations_total\{kind="deploy",result="succeeded"\} 1\b/.test(m) && /chatops_operation_duration_seconds_count\{kind="deploy",result="succeeded"\} 1\b/.test(m) ? true : undefined;
    }, 10_000, 100);

    const late = clickBody('approve', button, 'U0CAROL01', approvalMsg.ts);
    expect((await postSigned(events, late.body, { secret: SECRET })).status).toBe(200);
    expect(textOf((await responseTo(late.responseUrl)).body)).toContain('already approved by bob');
    expect(fake.violations).toEqual([]);
  });

  it("routes a suggestion's Apply button to its handler (an expired one is said so, privately)", async () => {
    const click = clickBody(APPLY_SUGGESTION, 'sug-000000000000', PEOPLE.alice.slack, '1700000000.000100');
    expect((await postSigned(events, click.body, { secret: SECRET })).status).toBe(200);
    expect(textOf((await responseTo(click.responseUrl)).body)).toContain('Suggestion sug-000000000000 is no longer kept');
  });

  it('an @mention retried by the Events API (X-Slack-Retry-Num) is carried out once, answered in its thread', async () => {
    const eventId = `Ev${randomBytes(5).toString('hex').toUpperCase()}`;
    const ts = `${Math.floor(Date.now() / 1000)}.000200`;
    const body = appMentionEventBody({ event_id: eventId, user: PEOPLE.alice.slack, team_id: FAKE_TEAM_ID, channel: CHANNEL, text: '<@U000FAKEBOT> deploy web v3 to prod', ts });
    const before = await opCount();
    expect((await postSigned(events, body, { secret: SECRET })).status).toBe(200);
    expect((await postSigned(events, body, { secret: SECRET, retryNum: 1, retryReason: 'http_timeout' })).status).toBe(200);
    expect((await postSigned(events, body, { secret: SECRET, retryNum: 2, retryReason: 'http_timeout' })).status).toBe(200);
    const posted = await waitFor('the approval in the thread', () => fake.messages(CHANNEL).find((m) => m.thread_ts === ts), 15_000, 100);
    await new Promise((r) => setTimeout(r, 2500));
    expect(fake.messages(CHANNEL).filter((m) => m.thread_ts === ts)).toHaveLength(1);
    expect(await opCount()).toBe(before + 1);
    expect(textOf(posted)).toContain('v3');
  });

  it('under a 429 storm every message still arrives once, in order', async () => {
    const channel = 'C0STORM01';
    fake.storm('chat.postMessage', { every: 2, retryAfterSeconds: 1 });
    try {
      for (let i = 0; i < 8; i++) await bot.api.outbox.post(`slack:${channel}`, message(`storm message ${i}`, 'info'));
      await waitFor('8 messages', () => (fake.messages(channel).length >= 8 ? true : undefined), 60_000, 200);
    } finally {
      fake.clearFailures();
    }
    const got = fake.messages(channel).map((m) => /storm message (\d+)/.exec(m.text ?? '')?.[1]);
    expect(got).toEqual(['0', '1', '2', '3', '4', '5', '6', '7']);
    const throttled = fake.calls.filter((c) => c.method === 'chat.postMessage' && c.outcome === 'http_429' && c.args['channel'] === channel).length;
    expect(throttled).toBeGreaterThan(0);
    faultReport('slack-429-storm', { sent: 8, answered_429: throttled, arrived: got.length, lost: 8 - new Set(got).size, duplicated: got.length - new Set(got).size, in_order: true });
  });

  it('with 500s and a request that never answers (timeout), every message still arrives once, in order', async () => {
    const channel = 'C0FLAKY01';
    fake.failNext('chat.postMessage', 2, { status: 500 });
    fake.failNext('chat.postMessage', 1, { hang: true });
    for (let i = 0; i < 5; i++) await bot.api.outbox.post(`slack:${channel}`, message(`flaky message ${i}`, 'info'));
    await waitFor('5 messages', () => (fake.messages(channel).length >= 5 ? true : undefined), 60_000, 200);
    await new Promise((r) => setTimeout(r, 1500));
    const arrived = fake.messages(channel).map((m) => /flaky message (\d+)/.exec(m.text ?? '')?.[1]);
    expect(arrived).toEqual(['0', '1', '2', '3', '4']);
    expect(fake.calls.filter((c) => c.method === 'chat.postMessage' && c.args['channel'] === channel).map((c) => c.outcome).slice(0, 3)).toEqual(['http_500', 'http_500', 'hang']);
    faultReport('slack-500-timeout', { sent: 5, answered_500: 2, never_answered: 1, arrived: arrived.length, lost: 5 - new Set(arrived).size, duplicated: arrived.length - new Set(arrived).size, in_order: true });
  });
});

describe('Slack in Socket Mode', () => {
  let socket: FakeSocketMode;
  let api: FakeSlackApi;
  let sbot: Bot;

  beforeAll(async () => {
    socket = await startFakeSocketMode();
    api = await startFakeSlackApi({ token: TOKEN, users: slackDirectory(), socketUrl: () => socket.url() });
    sbot = await startBot(chatConfig(ns, { slack: { signingSecret: SECRET, botToken: TOKEN, appToken: 'xapp-1-test', teamId: FAKE_TEAM_ID, mode: 'socket', apiUrl: api.url } }));
    await socket.connected();
  });

  afterAll(async () => {
    await sbot?.stop();
    await socket?.close();
    await api?.close();
  });

  it('receives a slash command and a button click over the socket and acks them', async () => {
    const cmd = await socket.send('slash_commands', slashCommandPayload({ command: '/ops', text: 'help deploy', user_id: PEOPLE.alice.slack, team_id: FAKE_TEAM_ID, channel_id: CHANNEL, response_url: api.responseUrl('s1') }));
    expect(JSON.stringify(cmd.payload)).toContain('/deploy');

    const asked = await socket.send('slash_commands', slashCommandPayload({ command: '/scale', text: 'web 3 in prod', user_id: PEOPLE.alice.slack, team_id: FAKE_TEAM_ID, channel_id: CHANNEL, response_url: api.responseUrl('s2') }));
    expect(asked.envelope_id).toBeDefined();
    const card = await waitFor('the approval message', () => api.messages(CHANNEL).find((m) => buttonValue(m, 'approve') !== undefined), 15_000, 100);
    const button = buttonValue(card, 'approve') ?? '';
    const approvalId = approvalOfButton(button).id;
    const clicked = await socket.send('interactive', blockActionPayload({ action_id: 'reject', value: button, user_id: PEOPLE.bob.slack, team_id: FAKE_TEAM_ID, channel_id: CHANNEL, message_ts: card.ts, response_url: api.responseUrl('s3') }));
    expect(clicked.envelope_id).toBeDefined();
    await waitFor('the rejection', async () => ((await sbot.api.s.approvals.get(approvalId))?.status === 'rejected' ? true : undefined), 10_000, 100);
    await waitFor('the message to show it', () => (textOf(api.messages(CHANNEL).find((m) => m.ts === card.ts) ?? {}).includes('rejected') ? true : undefined), 15_000, 100);
  });
});
