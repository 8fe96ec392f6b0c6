import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminClients } from '../support/cluster.ts';
import { testNamespace } from '../support/namespace.ts';
import { createDeployment, waitFor, waitForRollout } from '../support/workloads.ts';
import { startFakeSlackApi, type FakeSlackApi } from '../../fakes/slack-api.ts';
import { appMentionEventBody, blockActionBody, FAKE_TEAM_ID, postSigned, slashCommandBody } from '../../fakes/slack-sign.ts';
import { PEOPLE, chatConfig, slackDirectory, startBot, type Bot } from './support.ts';

/**
 * Who a Slack user is, through the real Bolt receiver with signed requests; users.info is the
 * Slack API fake, answering as Slack does (the user's own team_id, is_email_confirmed).
 *
 * - A Slack Connect member of another organisation, in a channel of ours, is nobody: whether
 *   the payload says their team (a click's user.team_id, a mention's user_team) or only
 *   users.info does (a slash command), and even with a configured person's email.
 * - Email is a fallback for people the config knows by email only, and only an email Slack has
 *   confirmed: bob has a Slack id, so his address in someone else's profile makes nobody bob;
 *   carol has none, so her confirmed address is her, an unconfirmed one is nobody.
 * - When users.info can't say (it fails), a slash command's user is nobody for that request.
 */
const SECRET = `secret-${randomBytes(8).toString('hex')}`;
const TOKEN = 'xoxb-identity-0000';
const CHANNEL = 'C0SHARED01';
const OTHER_ORG = 'T0OTHERORG';

/** users.info's answers: a guest from another organisation who put bob's address on their profile, impostors on our team, carol. */
const USERS = slackDirectory({
  U0GUEST001: { email: PEOPLE.bob.email, team_id: OTHER_ORG, name: 'guest' },
  U0GUESTCA1: { email: PEOPLE.carol.email, team_id: OTHER_ORG, name: 'guest-carol' },
  U0IMPOSTR1: { email: PEOPLE.bob.email, team_id: FAKE_TEAM_ID, name: 'impostor' },
  U0UNCONF01: { email: PEOPLE.carol.email.toUpperCase(), team_id: FAKE_TEAM_ID, name: 'unconfirmed', email_confirmed: false },
  U0CAROL02: { email: 'Carol@Example.com', team_id: FAKE_TEAM_ID, name: 'carol-again' },
});

let fake: FakeSlackApi;
let bot: Bot;
let events: string;

beforeAll(async () => {
  const ns = (await testNamespace({ clusters: ['gz'], prefix: 'slack-id', scope: 'file' })).name;
  await waitForRollout(adminClients('gz'), await createDeployment(adminClients('gz'), ns, 'web', { replicas: 1, tag: 'v1' }));
  fake = await startFakeSlackApi({ token: TOKEN, users: USERS });
  bot = await startBot(chatConfig(ns, { slack: { signingSecret: SECRET, botToken: TOKEN, teamId: FAKE_TEAM_ID, apiUrl: fake.url } }));
  events = `${bot.api.url}/slack/events`;
});

afterAll(async () => {
  await bot?.stop();
  await fake?.close();
});

let n = 0;
async function slash(text: string, user: string): Promise<string> {
  const body = slashCommandBody({ command: '/ops', text, user_id: user, team_id: FAKE_TEAM_ID, channel_id: CHANNEL, response_url: fake.responseUrl(`id-${++n}`) });
  const res = await postSigned(events, body, { secret: SECRET });
  expect(res.status).toBe(200);
  return res.text();
}

async function click(action: string, value: string, user: string, userTeam?: string): Promise<string> {
  const id = `id-${++n}`;
  const body = blockActionBody({ action_id: action, value, user_id: user, team_id: FAKE_TEAM_ID, channel_id: CHANNEL, message_ts: '1700000000.000100', response_url: fake.responseUrl(id), ...(userTeam === undefined ? {} : { user_team_id: userTeam }) });
  expect((await postSigned(events, body, { secret: SECRET })).status).toBe(200);
  const r = await waitFor(`the answer to the ${action} click`, () => fake.responses.find((x) => x.id === id), 10_000, 50);
  return JSON.stringify(r.body);
}

/** A request alice makes that waits for one approval from sre (bob or carol); its approval id. */
async function pendingApproval(): Promise<string> {
  const before = new Set((await bot.api.s.ops.list(1000)).map((o) => o.id));
  const ack = await slash(`deploy web v${++n} to prod`, PEOPLE.alice.slack);
  expect(ack).not.toContain("don't know who you are");
  const op = await waitFor('the request', async () => (await bot.api.s.ops.list(1000)).find((o) => !before.has(o.id) && o.approvalId !== undefined), 15_000, 100);
  expect(op.status).toBe('awaiting_approval');
  return op.approvalId ?? '';
}

async function approvers(approvalId: string): Promise<string[]> {
  return ((await bot.api.s.approvals.get(approvalId))?.approvals ?? []).map((a) => a.person);
}

describe('Slack identity', () => {
  it('a slash command from a Slack Connect guest (another team, per users.info) is nobody, even with an email the config knows', async () => {
    const before = (await bot.api.s.ops.list(1000)).length;
    const ack = await slash('deploy web v9 to prod', 'U0GUEST001');
    expect(ack).toContain("don't know who you are");
    expect((await bot.api.s.ops.list(1000)).length).toBe(before);
    expect(fake.calls.some((c) => c.method === 'users.info' && c.args['user'] === 'U0GUEST001')).toBe(true);
    expect(await slash('whoami', 'U0GUEST001')).toContain("I don't know you yet");
    // Not as a person known by email only either.
    expect(await slash('whoami', 'U0GUESTCA1')).toContain("I don't know you yet");
    // Members of our own team are found as before: alice by her id, carol by her confirmed email.
    expect(await slash('whoami', PEOPLE.alice.slack)).toContain('You are alice');
    expect(await slash('whoami', 'U0CAROL01')).toContain('You are carol');
  });

  it("a click from a guest whose payload names another team is nobody: the approval doesn't count", async () => {
    const approvalId = await pendingApproval();
    const calls = fake.calls.length;
    // The guest's user.team_id is their own organisation's, though the envelope is our workspace's.
    expect(await click('approve', approvalId, 'U0GUEST001', OTHER_ORG)).toContain("don't know who you are");
    expect(await approvers(approvalId)).toEqual([]);
    // The payload said it: no users.info call was needed.
    expect(fake.calls.slice(calls).filter((c) => c.method === 'users.info')).toEqual([]);
  });

  it('an @mention from a guest (event.user_team) is nobody', async () => {
    const before = (await bot.api.s.ops.list(1000)).length;
    const ts = `${Math.floor(Date.now() / 1000)}.000${++n}`;
    const body = appMentionEventBody({ event_id: `Ev${randomBytes(5).toString('hex')}`, user: 'U0GUEST001', user_team: OTHER_ORG, team_id: FAKE_TEAM_ID, channel: CHANNEL, text: '<@U000FAKEBOT> deploy web v11 to prod', ts });
    expect((await postSigned(events, body, { secret: SECRET })).status).toBe(200);
    const answer = await waitFor('the answer in the thread', () => fake.messages(CHANNEL).find((m) => m.thread_ts === ts), 10_000, 50);
    expect(JSON.stringify(answer)).toContain("don't know who you are");
    expect((await bot.api.s.ops.list(1000)).length).toBe(before);
  });

  it("email is a fallback only for people without a Slack id: bob's address on another member's profile is nobody", async () => {
    const approvalId = await pendingApproval();
    expect(await click('approve', approvalId, 'U0IMPOSTR1')).toContain("don't know who you are");
    expect(await approvers(approvalId)).toEqual([]);
  });

  it('only an email Slack has confirmed counts: carol (known by email only) is found by her confirmed address, in any case; an unconfirmed one is nobody', async () => {
    const approvalId = await pendingApproval();
    expect(await click('approve', approvalId, 'U0UNCONF01')).toContain("don't know who you are");
    expect(await approvers(approvalId)).toEqual([]);
    expect(await click('approve', approvalId, 'U0CAROL02')).toContain('Approved by carol');
    expect(await approvers(approvalId)).toEqual(['carol']);
  });

  it('a slow users.info (2.5 s) makes nobody unknown: the slash command is acked at once and answered by response_url', async () => {
    const fresh = await startBot(bot.api.s.config);
    try {
      const id = `id-${++n}`;
      const body = slashCommandBody({ command: '/ops', text: 'whoami', user_id: PEOPLE.bob.slack, team_id: FAKE_TEAM_ID, channel_id: CHANNEL, response_url: fake.responseUrl(id) });
      fake.failNext('users.info', 1, { delayMs: 2500 });
      const res = await postSigned(`${fresh.api.url}/slack/events`, body, { secret: SECRET });
      expect(res.status).toBe(200);
      expect(await res.text()).not.toContain("don't know you");
      const answer = await waitFor('the answer by response_url', () => fake.responses.find((x) => x.id === id), 15_000, 50);
      expect(JSON.stringify(answer.body)).toContain('You are bob');
    } finally {
      await fresh.stop();
    }
  });

  it("when users.info fails, a slash command's user is nobody for that request (and the next one asks again)", async () => {
    // A bot on a fresh Redis prefix: nothing about bob is cached yet.
    const fresh = await startBot(bot.api.s.config);
    try {
      const url = `${fresh.api.url}/slack/events`;
      const send = async (text: string) => {
        const body = slashCommandBody({ command: '/ops', text, user_id: PEOPLE.bob.slack, team_id: FAKE_TEAM_ID, channel_id: CHANNEL, response_url: fake.responseUrl(`id-${++n}`) });
        return (await postSigned(url, body, { secret: SECRET })).text();
      };
      fake.failNext('users.info', 1, { status: 500 });
      expect(await send('whoami')).toContain("I don't know you yet");
      expect(await send('whoami')).toContain('You are bob');
    } finally {
      await fresh.stop();
    }
  });
});
