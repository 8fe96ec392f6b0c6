import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, HTTPReceiver, LogLevel, SocketModeReceiver } from '@slack/bolt';
import { WebAPIHTTPError, WebAPIPlatformError, WebAPIRateLimitedError, WebAPIRequestError, WebClient } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeSlackApi } from '../../fakes/slack-api.ts';
import type { FakeSlackApi } from '../../fakes/slack-api.ts';
import {
  appMentionEventBody,
  blockActionBody,
  blockActionPayload,
  postSigned,
  signSlack,
  slashCommandBody,
  slashCommandPayload,
} from '../../fakes/slack-sign.ts';
import { startFakeSocketMode } from '../../fakes/slack-socket.ts';
import type { FakeSocketMode } from '../../fakes/slack-socket.ts';

/**
 * Proves the Slack fakes against the real SDKs (@slack/web-api WebClient, Bolt's HTTPReceiver and
 * SocketModeReceiver): if these pass, a bot test that drives the bot through the fakes exercises
 * the same wire format the real Slack would.
 */

const BOT_TOKEN = 'xoxb-fake-bot-token';
const APP_TOKEN = 'xapp-1-fake-app-token';
const SECRET = 'fake-signing-secret';
const TEAM = 'T000FAKE';
const CHANNEL = 'C0OPS';

const quietLogger = { level: LogLevel.ERROR };

function client(api: FakeSlackApi, extra: ConstructorParameters<typeof WebClient>[1] = {}, token = BOT_TOKEN): WebClient {
  return new WebClient(token, { slackApiUrl: api.url, retryConfig: { retries: 0 }, logLevel: quietLogger.level, ...extra });
}

/** Fails instead of hanging when a start-up step never finishes (e.g. a missing hello). */
function within<T>(ms: number, p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

describe('fake Slack Web API with the real WebClient', () => {
  let api: FakeSlackApi;
  beforeAll(async () => {
    api = await startFakeSlackApi({ token: BOT_TOKEN, users: { U1: { email: 'ann@example.com', name: 'ann' } } });
  });
  afterAll(async () => {
    await api.close();
  });

  it('posts, threads and updates messages, keeping their current state', async () => {
    const web = client(api);
    const blocks = [
      { type: 'section', block_id: 'summary', text: { type: 'mrkdwn', text: '*Deploy* api v1.2.3' } },
      {
        type: 'actions',
        block_id: 'decide',
        elements: [{ type: 'button', action_id: 'approve', text: { type: 'plain_text', text: 'Approve' }, value: 'req-1', style: 'primary' }],
      },
    ];
    const first = await web.chat.postMessage({ channel: CHANNEL, text: 'Deploy api v1.2.3?', blocks });
    expect(first.ok).toBe(true);
    expect(first.channel).toBe(CHANNEL);
    expect(first.ts).toMatch(/^\d{10}\.\d{6}$/);
    const reply = await web.chat.postMessage({ channel: CHANNEL, text: 'progress 1/3', thread_ts: first.ts! });
    expect(Number(reply.ts)).toBeGreaterThan(Number(first.ts));

    // blocks arrive form-encoded as a JSON string; the fake records them parsed.
    const call = api.calls.find((c) => c.method === 'chat.postMessage');
    expect(call?.args['blocks']).toEqual(blocks);
    expect(call?.args['channel']).toBe(CHANNEL);

    const updated = await web.chat.update({ channel: CHANNEL, ts: first.ts!, text: 'Approved', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'Approved by <@U1>' } }] });
    expect(updated.ok).toBe(true);
    const state = api.messages(CHANNEL);
    expect(state).toHaveLength(2);
    expect(state[0]).toMatchObject({ ts: first.ts, text: 'Approved', updates: 1 });
    expect(state[0]?.blocks).toHaveLength(1);
    expect(state[1]).toMatchObject({ ts: reply.ts, thread_ts: first.ts, updates: 0 });

    const missing = await rejection(web.chat.update({ channel: CHANNEL, ts: '1600000000.000100', text: 'x' }));
    expect(missing).toBeInstanceOf(WebAPIPlatformError);
    expect((missing as WebAPIPlatformError).data.error).toBe('message_not_found');
    const otherChannel = await rejection(web.chat.update({ channel: 'C0OTHER', ts: first.ts!, text: 'x' }));
    expect((otherChannel as WebAPIPlatformError).data.error).toBe('message_not_found');
  });

  it('answers users.info, auth.test and chat.postEphemeral', async () => {
    const web = client(api);
    const info = await web.users.info({ user: 'U1' });
    expect(info.user?.profile?.email).toBe('ann@example.com');
    expect(info.user?.team_id).toBe(TEAM);
    const nobody = await rejection(web.users.info({ user: 'U404' }));
    expect((nobody as WebAPIPlatformError).data.error).toBe('user_not_found');
    const auth = await web.auth.test();
    expect(auth).toMatchObject({ ok: true, team_id: TEAM, user_id: 'U000FAKEBOT', bot_id: 'B000FAKEBOT' });
    const eph = await web.chat.postEphemeral({ channel: CHANNEL, user: 'U1', text: 'only you' });
    expect(eph.message_ts).toBeDefined();
    expect(api.ephemerals(CHANNEL)).toEqual([expect.objectContaining({ user: 'U1', text: 'only you' })]);
  });

  it('answers invalid_auth to a wrong token and not_allowed_token_type to an app token', async () => {
    const wrong = await rejection(client(api, {}, 'xoxb-wrong').chat.postMessage({ channel: CHANNEL, text: 'hi' }));
    expect(wrong).toBeInstanceOf(WebAPIPlatformError);
    expect((wrong as WebAPIPlatformError).data.error).toBe('invalid_auth');
    const appToken = await rejection(client(api, {}, APP_TOKEN).chat.postMessage({ channel: CHANNEL, text: 'hi' }));
    expect((appToken as WebAPIPlatformError).data.error).toBe('not_allowed_token_type');
    expect(api.calls.filter((c) => c.outcome === 'invalid_auth')).toHaveLength(1);
  });

  it('answers invalid_blocks to blocks that break a Block Kit limit and records the violation', async () => {
    // WebClient logs Slack's response_metadata.messages "[ERROR] …" lines: capture them.
    const logged: string[] = [];
    const logger = {
      debug: () => undefined,
      info: () => undefined,
      warn: () => undefined,
      error: (...msg: unknown[]) => void logged.push(msg.map(String).join(' ')),
      setLevel: () => undefined,
      getLevel: () => LogLevel.ERROR,
      setName: () => undefined,
    };
    const web = client(api, { logger });
    const cases: Array<{ blocks: unknown[]; text?: string; expect: RegExp }> = [
      { blocks: Array.from({ length: 51 }, (_, i) => ({ type: 'section', text: { type: 'plain_text', text: `b${i}` } })), expect: /no more than 50/ },
      { blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'x'.repeat(3001) } }], expect: /\/blocks\/0\/text\/text/ },
      { blocks: [{ type: 'header', text: { type: 'plain_text', text: 'h'.repeat(151) } }], expect: /less than 151/ },
      { blocks: [{ type: 'actions', elements: [{ type: 'button', action_id: 'a', text: { type: 'plain_text', text: 'b'.repeat(76) }, value: 'v' }] }], expect: /less than 76/ },
      { blocks: [{ type: 'actions', elements: [{ type: 'button', action_id: 'a', text: { type: 'plain_text', text: 'ok' }, value: 'v'.repeat(2001) }] }], expect: /value/ },
      { blocks: [{ type: 'section', block_id: 'x'.repeat(256), text: { type: 'mrkdwn', text: 'ok' } }], expect: /block_id/ },
      {
        blocks: [
          { type: 'section', block_id: 'same', text: { type: 'mrkdwn', text: 'a' } },
          { type: 'section', block_id: 'same', text: { type: 'mrkdwn', text: 'b' } },
        ],
        expect: /already used/,
      },
      {
        blocks: [
          {
            type: 'actions',
            elements: [
              { type: 'button', action_id: 'approve', text: { type: 'plain_text', text: 'A' }, value: '1' },
              { type: 'button', action_id: 'approve', text: { type: 'plain_text', text: 'B' }, value: '2' },
            ],
          },
        ],
        expect: /action_id "approve" is already used/,
      },
      { blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'fine' } }], text: '', expect: /top-level text/ },
      {
        blocks: [
          {
            type: 'section',
            text: { type: 'mrkdwn', text: 'ok' },
            accessory: {
              type: 'button',
              action_id: 'rollback',
              text: { type: 'plain_text', text: 'Roll back' },
              value: 'r',
              confirm: { title: { type: 'plain_text', text: 'Sure?' }, text: { type: 'mrkdwn', text: 't' }, confirm: { type: 'plain_text', text: 'y'.repeat(31) }, deny: { type: 'plain_text', text: 'No' } },
            },
          },
        ],
        expect: /confirm\/confirm\/text/,
      },
    ];
    const before = api.messages(CHANNEL).length;
    for (const c of cases) {
      const e = await rejection(web.chat.postMessage({ channel: CHANNEL, text: c.text ?? 'fallback', blocks: c.blocks as never }));
      expect(e).toBeInstanceOf(WebAPIPlatformError);
      const data = (e as WebAPIPlatformError).data as unknown as { error: string; errors: string[] };
      expect(data.error).toBe('invalid_blocks');
      expect(data.errors.join('\n')).toMatch(c.expect);
    }
    expect(api.violations).toHaveLength(cases.length);
    expect(logged).toContain('must be less than 151 characters [json-pointer:/blocks/0/text/text]');

    // every block within limits, but too much text in all: Slack's msg_blocks_too_long
    const long = Array.from({ length: 5 }, () => ({ type: 'section', text: { type: 'mrkdwn', text: 'x'.repeat(2900) } }));
    const tooLong = await rejection(web.chat.postMessage({ channel: CHANNEL, text: 'long', blocks: long }));
    expect((tooLong as WebAPIPlatformError).data.error).toBe('msg_blocks_too_long');
    expect(api.violations).toHaveLength(cases.length + 1);
    expect(api.messages(CHANNEL)).toHaveLength(before);

    // chat.update without text keeps the old text, which then is the fallback for new blocks
    const posted = await web.chat.postMessage({ channel: CHANNEL, text: 'keeps this text' });
    await web.chat.update({ channel: CHANNEL, ts: posted.ts!, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'new' } }] } as never);
    expect(api.messages(CHANNEL).at(-1)).toMatchObject({ text: 'keeps this text', updates: 1 });
  });

  it('throws WebAPIRateLimitedError with retryAfter on a scripted 429 (rejectRateLimitedCalls)', async () => {
    const web = client(api, { rejectRateLimitedCalls: true });
    api.failNext('chat.postMessage', 1, { status: 429, retryAfterSeconds: 7 });
    const e = await rejection(web.chat.postMessage({ channel: CHANNEL, text: 'limited' }));
    expect(e).toBeInstanceOf(WebAPIRateLimitedError);
    expect((e as WebAPIRateLimitedError).retryAfter).toBe(7);
    // the failure was used up: the next call goes through
    await expect(web.chat.postMessage({ channel: CHANNEL, text: 'after' })).resolves.toMatchObject({ ok: true });
  });

  it('recovers from 500s and a 429 storm when the client may retry', async () => {
    const retrying = client(api, { retryConfig: { retries: 2, minTimeout: 0, maxTimeout: 0 } });
    api.failNext('chat.update', 2, { status: 500 });
    const posted = await retrying.chat.postMessage({ channel: CHANNEL, text: 'status' });
    const start = api.calls.length;
    await expect(retrying.chat.update({ channel: CHANNEL, ts: posted.ts!, text: 'status 2' })).resolves.toMatchObject({ ok: true });
    expect(api.calls.slice(start).map((c) => c.outcome)).toEqual(['http_500', 'http_500', 'ok']);

    const noRetry = client(api);
    api.failNext('auth.test', 1, { status: 500 });
    const e = await rejection(noRetry.auth.test());
    expect(e).toBeInstanceOf(WebAPIHTTPError);
    expect((e as WebAPIHTTPError).statusCode).toBe(500);

    api.storm('chat.postMessage', { every: 2, retryAfterSeconds: 0 });
    const stormStart = api.calls.length;
    for (let i = 0; i < 4; i++) await retrying.chat.postMessage({ channel: 'C0STORM', text: `alert ${i}` });
    api.clearFailures();
    expect(api.calls.slice(stormStart).map((c) => c.outcome)).toEqual(['ok', 'http_429', 'ok', 'http_429', 'ok', 'http_429', 'ok']);
    expect(api.messages('C0STORM').map((m) => m.text)).toEqual(['alert 0', 'alert 1', 'alert 2', 'alert 3']);
  });

  it('hangs a call until the client timeout ends it', async () => {
    const web = client(api, { timeout: 300 });
    api.failNext('chat.postMessage', 1, { hang: true });
    const started = Date.now();
    const e = await rejection(web.chat.postMessage({ channel: CHANNEL, text: 'never answered' }));
    expect(e).toBeInstanceOf(WebAPIRequestError);
    // It waited for the client's own timeout: the fake never answered.
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
    const hung = await api.waitFor((c) => c.outcome === 'hang', 100);
    expect(hung.args['text']).toBe('never answered');
    await expect(api.waitFor((c) => c.method === 'never.called', 50)).rejects.toThrow(/no matching call/);
  });
});

describe('signed requests into a real Bolt HTTPReceiver', () => {
  let api: FakeSlackApi;
  let app: App;
  let endpoint: string;
  const seen = { commands: [] as string[], actions: [] as string[], mentions: [] as string[], retryNums: [] as Array<number | undefined> };

  beforeAll(async () => {
    api = await startFakeSlackApi({ token: BOT_TOKEN });
    const receiver = new HTTPReceiver({ signingSecret: SECRET, logLevel: LogLevel.ERROR, unhandledRequestTimeoutMillis: 500 });
    app = new App({
      receiver,
      token: BOT_TOKEN,
      botId: 'B000FAKEBOT',
      botUserId: 'U000FAKEBOT',
      logLevel: LogLevel.ERROR,
      clientOptions: { slackApiUrl: api.url, retryConfig: { retries: 0 } },
    });
    app.command('/deploy', async ({ command, ack, respond }) => {
      seen.commands.push(command.text);
      await ack({ response_type: 'ephemeral', text: `Queued: ${command.text}` });
      await respond({ response_type: 'in_channel', text: `Deploying ${command.text}` });
    });
    app.action('approve', async ({ ack, body, action, client: web }) => {
      await ack();
      if (action.type !== 'button' || body.type !== 'block_actions') return;
      seen.actions.push(action.value ?? '');
      await web.chat.update({ channel: body.container['channel_id'] as string, ts: body.container['message_ts'] as string, text: `Approved ${action.value ?? ''}` });
    });
    app.event('app_mention', async ({ event, context }) => {
      seen.mentions.push(event.text);
      seen.retryNums.push(context.retryNum);
      await Promise.resolve();
    });
    const server = (await within(5000, app.start(0), 'app.start(0)')) as Server;
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
  });
  afterAll(async () => {
    await app.stop();
    await api.close();
  });

  const command = (text: string): string =>
    slashCommandBody({ command: '/deploy', text, user_id: 'U1', team_id: TEAM, channel_id: CHANNEL, response_url: api.responseUrl(`cmd-${text}`) });

  it('acks a signed slash command with its ack text, and respond() reaches the response_url', async () => {
    const res = await postSigned(endpoint, command('api v1.2.3'), { secret: SECRET, contentType: 'application/x-www-form-urlencoded' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ response_type: 'ephemeral', text: 'Queued: api v1.2.3' });
    expect(seen.commands).toEqual(['api v1.2.3']);
    await expect.poll(() => api.responses.length).toBe(1);
    expect(api.responses[0]).toMatchObject({ id: 'cmd-api v1.2.3', body: { response_type: 'in_channel', text: 'Deploying api v1.2.3' } });
  });

  it('answers 401 to a bad signature and to a stale timestamp, without calling the handler', async () => {
    const before = seen.commands.length;
    const bad = await postSigned(endpoint, command('forged'), { secret: 'not-the-secret', contentType: 'application/x-www-form-urlencoded' });
    expect(bad.status).toBe(401);
    const stale = await postSigned(endpoint, command('replayed'), {
      secret: SECRET,
      contentType: 'application/x-www-form-urlencoded',
      ts: Math.floor(Date.now() / 1000) - 301,
    });
    expect(stale.status).toBe(401);
    // Slack's exact content-type matters: Bolt compares it strictly.
    const body = command('charset');
    const charset = await fetch(endpoint, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8', ...signSlack(SECRET, body) } });
    expect(charset.status).toBe(400);
    expect(seen.commands.length).toBe(before);
  });

  it('routes a signed button click to app.action, whose chat.update reaches the fake', async () => {
    const posted = await new WebClient(BOT_TOKEN, { slackApiUrl: api.url, logLevel: LogLevel.ERROR }).chat.postMessage({ channel: CHANNEL, text: 'Approve req-9?' });
    const click = blockActionBody({
      action_id: 'approve',
      value: 'req-9',
      user_id: 'U2',
      team_id: TEAM,
      channel_id: CHANNEL,
      message_ts: posted.ts!,
      response_url: api.responseUrl('click-1', { channel: CHANNEL, ts: posted.ts! }),
      block_id: 'decide',
    });
    const res = await postSigned(endpoint, click, { secret: SECRET, contentType: 'application/x-www-form-urlencoded' });
    expect(res.status).toBe(200);
    await api.waitFor((c) => c.method === 'chat.update' && c.args['ts'] === posted.ts, 2000);
    expect(seen.actions).toEqual(['req-9']);
    expect(api.messages(CHANNEL).find((m) => m.ts === posted.ts)).toMatchObject({ text: 'Approved req-9', updates: 1 });
  });

  it('routes a signed app_mention event to app.event, with the retry number when redelivered', async () => {
    const body = appMentionEventBody({ event_id: 'Ev1', user: 'U1', team_id: TEAM, channel: CHANNEL, text: '<@U000FAKEBOT> status', ts: '1700000001.000100' });
    const res = await postSigned(endpoint, body, { secret: SECRET, contentType: 'application/json' });
    expect(res.status).toBe(200);
    const retry = await postSigned(endpoint, body, { secret: SECRET, contentType: 'application/json', retryNum: 1 });
    expect(retry.status).toBe(200);
    await expect.poll(() => seen.mentions.length).toBe(2);
    expect(seen.mentions[0]).toBe('<@U000FAKEBOT> status');
    expect(seen.retryNums).toEqual([undefined, 1]);
  });
});

describe('Socket Mode: a real Bolt App through apps.connections.open to the WebSocket fake', () => {
  let api: FakeSlackApi;
  let socket: FakeSocketMode;
  let app: App;
  const seen = { commands: [] as string[], actions: [] as string[] };

  beforeAll(async () => {
    socket = await startFakeSocketMode();
    api = await startFakeSlackApi({ token: BOT_TOKEN, socketUrl: socket.url });
    app = new App({
      socketMode: true,
      appToken: APP_TOKEN,
      token: BOT_TOKEN,
      logLevel: LogLevel.ERROR,
      clientOptions: { slackApiUrl: api.url, retryConfig: { retries: 0 } },
    });
    app.command('/deploy', async ({ command, ack }) => {
      seen.commands.push(command.text);
      await ack({ response_type: 'ephemeral', text: `Queued: ${command.text}` });
    });
    app.action('approve', async ({ ack, action }) => {
      if (action.type === 'button') seen.actions.push(action.value ?? '');
      await ack();
    });
    await within(5000, app.start(), 'socket-mode app.start()');
    await within(1000, socket.connected(), 'socket.connected()');
  });
  afterAll(async () => {
    await app.stop();
    await socket.close();
    await api.close();
  });

  it('connected with the app token via apps.connections.open and got hello', async () => {
    const open = await api.waitFor((c) => c.method === 'apps.connections.open', 100);
    expect(open.outcome).toBe('ok');
    expect(socket.connections).toBe(1);
    // the bot token was verified with auth.test (no botId/botUserId given)
    await api.waitFor((c) => c.method === 'auth.test' && c.outcome === 'ok', 1000);
  });

  it('delivers a slash_commands envelope to app.command and returns its ack payload', async () => {
    const payload = slashCommandPayload({ command: '/deploy', text: 'api v2', user_id: 'U1', team_id: TEAM, channel_id: CHANNEL, response_url: api.responseUrl('sm-1') });
    const ack = await socket.send('slash_commands', payload, { timeoutMs: 2000 });
    expect(ack.payload).toEqual({ response_type: 'ephemeral', text: 'Queued: api v2' });
    expect(seen.commands).toEqual(['api v2']);
  });

  it('delivers an interactive block_actions envelope to app.action and gets a bare ack', async () => {
    const payload = blockActionPayload({ action_id: 'approve', value: 'req-3', user_id: 'U2', team_id: TEAM, channel_id: CHANNEL, message_ts: '1700000000.000100', response_url: api.responseUrl('sm-2') });
    const ack = await socket.send('interactive', payload, { timeoutMs: 2000 });
    expect(ack.envelope_id).toBeTypeOf('string');
    expect(ack.payload).toEqual({});
    expect(seen.actions).toEqual(['req-3']);
  });

  it('rejects send() when the app never acks', async () => {
    const unhandled = blockActionPayload({ action_id: 'nobody-handles-this', value: 'x', user_id: 'U2', team_id: TEAM, channel_id: CHANNEL, message_ts: '1700000000.000100', response_url: api.responseUrl('sm-3') });
    await expect(socket.send('interactive', unhandled, { timeoutMs: 300 })).rejects.toThrow(/no ack/);
  });

  it('app.stop() closes the connection with a normal closure and does not reconnect', async () => {
    const opens = api.calls.filter((c) => c.method === 'apps.connections.open').length;
    await app.stop();
    await socket.allClosed(2000);
    expect(socket.closures.at(-1)?.code).toBe(1000);
    await new Promise((r) => setTimeout(r, 300));
    expect(socket.connections).toBe(1);
    expect(api.calls.filter((c) => c.method === 'apps.connections.open').length).toBe(opens);
  });

  it('reconnects through a new apps.connections.open after a disconnect message', async () => {
    const receiver = new SocketModeReceiver({
      appToken: APP_TOKEN,
      logLevel: LogLevel.ERROR,
      clientPingTimeout: 300, // also the reconnect delay (× consecutive failures)
      installerOptions: { clientOptions: { slackApiUrl: api.url, retryConfig: { retries: 0 } } },
    });
    const second = new App({ socketMode: true, receiver, token: BOT_TOKEN, botId: 'B000FAKEBOT', botUserId: 'U000FAKEBOT', logLevel: LogLevel.ERROR, clientOptions: { slackApiUrl: api.url } });
    second.command('/deploy', async ({ ack }) => {
      await ack('again');
    });
    try {
      await within(5000, second.start(), 'second app.start()');
      const connections = socket.connections;
      const opens = api.calls.filter((c) => c.method === 'apps.connections.open').length;
      socket.disconnect('refresh_requested');
      await expect.poll(() => socket.connections, { timeout: 3000 }).toBe(connections + 1);
      expect(api.calls.filter((c) => c.method === 'apps.connections.open').length).toBe(opens + 1);
      await socket.connected();
      const payload = slashCommandPayload({ command: '/deploy', text: 'x', user_id: 'U1', team_id: TEAM, channel_id: CHANNEL, response_url: api.responseUrl('sm-4') });
      // ack(string) becomes { text } on the wire (SocketModeClient.send)
      await expect(socket.send('slash_commands', payload, { timeoutMs: 2000 })).resolves.toMatchObject({ payload: { text: 'again' } });
    } finally {
      await second.stop();
    }
    await socket.allClosed(2000);
  });
});
