import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testNamespace } from '../support/namespace.ts';
import { faultReport } from '../support/report.ts';
import { startFakeSlackApi, type FakeSlackApi } from '../../fakes/slack-api.ts';
import { FAKE_TEAM_ID, postSigned, slashCommandBody, signSlack } from '../../fakes/slack-sign.ts';
import { chatConfig, PEOPLE, slackDirectory, startBot, type Bot } from './support.ts';

/**
 * Faults at the edge: oversized, malformed and unsigned requests change nothing and crash
 * nothing. (Two API and two worker processes on one Redis: processes.test.ts.)
 */
const SECRET = `secret-${randomBytes(8).toString('hex')}`;
const TOKEN = 'xoxb-test-0000-token';

let fake: FakeSlackApi;
let ns: string;

beforeAll(async () => {
  ns = (await testNamespace({ clusters: ['gz'], prefix: 'faults', scope: 'file' })).name;
  fake = await startFakeSlackApi({ token: TOKEN, users: slackDirectory() });
});

afterAll(async () => {
  await fake?.close();
});

function config() {
  return chatConfig(ns, { slack: { signingSecret: SECRET, botToken: TOKEN, teamId: FAKE_TEAM_ID, apiUrl: fake.url } });
}

describe('bad requests', () => {
  let bot: Bot;
  beforeAll(async () => {
    bot = await startBot(config());
  });
  afterAll(async () => {
    await bot?.stop();
  });

  it('oversized, malformed and unsigned requests are refused; nothing changes and the server keeps serving', async () => {
    const url = `${bot.api.url}/slack/events`;
    const before = (await bot.api.s.ops.list(100)).length;
    const cases: { what: string; send: () => Promise<Response>; status: number[] }[] = [
      { what: 'unsigned', send: () => fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'command=/deploy&text=web+v9+to+prod' }), status: [401] },
      { what: 'signature of another body', send: () => fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...signSlack(SECRET, 'x=1') }, body: 'x=2' }), status: [401] },
      { what: '5 MB body', send: () => postSigned(url, `payload=${'a'.repeat(5 * 1024 * 1024)}`, { secret: SECRET }), status: [413] },
      { what: 'signed garbage JSON', send: () => postSigned(url, '{"type": "event_callback", "event": ', { secret: SECRET, contentType: 'application/json' }), status: [400, 401, 500] },
      { what: 'signed form with a payload that is not JSON', send: () => postSigned(url, 'payload=%7Bnot-json', { secret: SECRET }), status: [400, 401, 500] },
      { what: 'a timestamp that is not a number', send: () => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-slack-request-timestamp': 'soon', 'x-slack-signature': 'v0=00' }, body: '{}' }), status: [401] },
      { what: 'an unknown path', send: () => fetch(`${bot.api.url}/slack/other`, { method: 'POST', body: '{}' }), status: [404] },
    ];
    const statuses: number[] = [];
    for (const c of cases) {
      const res = await c.send();
      statuses.push(res.status);
      expect(c.status, `${c.what}: got ${res.status}`).toContain(res.status);
      await res.body?.cancel();
    }
    expect((await fetch(`${bot.api.url}/healthz`)).status).toBe(200);
    const good = await postSigned(url, slashCommandBody({ command: '/ops', text: 'help', user_id: PEOPLE.alice.slack, team_id: FAKE_TEAM_ID, channel_id: 'C0FAULTS', response_url: fake.responseUrl('f1') }), { secret: SECRET });
    expect(good.status).toBe(200);
    const after = (await bot.api.s.ops.list(100)).length;
    expect(after).toBe(before);
    faultReport('bad-requests', { requests: cases.length, statuses: statuses.join(','), new_operations: after - before, server_up_after: true });
  });
});
