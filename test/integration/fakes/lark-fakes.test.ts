import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as lark from '@larksuiteoapi/node-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeLarkApi } from '../../fakes/lark-api.ts';
import type { FakeLarkApi } from '../../fakes/lark-api.ts';
import {
  cardActionEvent,
  larkCallbackRequest,
  messageReceiveEvent,
  postLark,
  signLark,
  urlVerificationEvent,
} from '../../fakes/lark-sign.ts';
import { FAKE_WS_SERVICE_ID, frameHeaders, startFakeLarkWs } from '../../fakes/lark-ws.ts';
import type { FakeLarkWs } from '../../fakes/lark-ws.ts';

/**
 * Proves the Lark/Feishu fakes in test/fakes against the real @larksuiteoapi/node-sdk: the HTTP
 * Open API fake with lark.Client, the signed/encrypted callbacks with lark.EventDispatcher behind
 * lark.adaptDefault, and the long-connection fake with lark.WSClient. Everything is on loopback.
 */

// axios (inside the SDK) honours HTTP(S)_PROXY; keep loopback direct whatever the environment says.
process.env['NO_PROXY'] = '127.0.0.1,localhost';
process.env['no_proxy'] = '127.0.0.1,localhost';

const APP_ID = 'cli_0123456789abcdef';
const APP_SECRET = 'fake-app-secret';
const ENCRYPT_KEY = 'fake-encrypt-key';
const VERIFICATION_TOKEN = 'fake-verification-token';
const TENANT = 'fake-tenant';

/** The SDK logs the errors these tests provoke; keep them out of the output. */
const sdkLog: unknown[][] = [];
const quiet = {
  error: (...m: unknown[]) => void sdkLog.push(['error', ...m]),
  warn: (...m: unknown[]) => void sdkLog.push(['warn', ...m]),
  info: () => undefined,
  debug: () => undefined,
  trace: () => undefined,
};

const card = (title: string) => ({
  schema: '2.0',
  config: { update_multi: true },
  header: { title: { tag: 'plain_text', content: title }, template: 'orange' },
  body: {
    elements: [
      { tag: 'markdown', content: `**${title}**` },
      {
        tag: 'button',
        text: { tag: 'plain_text', content: 'Approve' },
        type: 'primary',
        behaviors: [{ type: 'callback', value: { action: 'approve', request_id: 'req-1' } }],
      },
    ],
  },
});

interface AxiosLikeError {
  isAxiosError?: boolean;
  name?: string;
  response?: { status: number; headers: Record<string, unknown>; data: { code?: number; msg?: string } | string };
}

async function rejection(p: Promise<unknown>): Promise<AxiosLikeError> {
  try {
    await p;
  } catch (e) {
    return e as AxiosLikeError;
  }
  throw new Error('expected the call to throw');
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

describe('fake Lark Open API with lark.Client', () => {
  let api: FakeLarkApi;
  let client: lark.Client;

  beforeAll(async () => {
    api = await startFakeLarkApi({ appId: APP_ID, appSecret: APP_SECRET });
    client = new lark.Client({
      appId: APP_ID,
      appSecret: APP_SECRET,
      domain: api.url,
      loggerLevel: lark.LoggerLevel.error,
      logger: quiet,
      cache: new lark.DefaultCache(),
    });
  });
  afterAll(async () => {
    await api.close();
  });

  it('round-trips create, patch and reply, with one token fetched and sent as Bearer', async () => {
    const created = await client.im.message.create({
      params: { receive_id_type: 'chat_id' },
      data: { receive_id: 'oc_chat1', msg_type: 'interactive', content: JSON.stringify(card('Deploy api v1.2.3')) },
    });
    expect(created.code).toBe(0);
    const id = created.data?.message_id;
    expect(id).toMatch(/^om_/);
    expect(created.data?.chat_id).toBe('oc_chat1');

    const patched = await client.im.message.patch({
      path: { message_id: id ?? '' },
      data: { content: JSON.stringify(card('Deploy api v1.2.3: approved')) },
    });
    expect(patched.code).toBe(0);

    const replied = await client.im.message.reply({
      path: { message_id: id ?? '' },
      data: { msg_type: 'text', content: JSON.stringify({ text: 'rolling out' }) },
    });
    expect(replied.code).toBe(0);
    expect(replied.data?.parent_id).toBe(id);

    const [state, ...others] = api.messages('oc_chat1');
    expect(others).toEqual([]);
    expect(state).toMatchObject({ message_id: id, msg_type: 'interactive', updates: 1, content: card('Deploy api v1.2.3: approved') });
    expect(state?.history).toEqual([card('Deploy api v1.2.3')]);
    expect(state?.replies.map((r) => r.content)).toEqual([{ text: 'rolling out' }]);
    expect(api.repliesTo(id ?? '')).toHaveLength(1);

    // The token is fetched once (cached in the DefaultCache), with the app's credentials.
    const tokenCalls = api.calls.filter((c) => c.route === 'token');
    expect(tokenCalls).toHaveLength(1);
    expect(tokenCalls[0]?.body).toEqual({ app_id: APP_ID, app_secret: APP_SECRET });
    expect(api.calls.filter((c) => c.route?.startsWith('message.')).map((c) => [c.method, c.route, c.status])).toEqual([
      ['POST', 'message.create', 200],
      ['PATCH', 'message.patch', 200],
      ['POST', 'message.reply', 200],
    ]);
  });

  it('stores a text message sent by open_id under that id', async () => {
    const res = await client.im.message.create({
      params: { receive_id_type: 'open_id' },
      data: { receive_id: 'ou_someone', msg_type: 'text', content: JSON.stringify({ text: 'hi' }) },
    });
    expect(res.code).toBe(0);
    expect(api.messages('ou_someone')).toMatchObject([{ receive_id_type: 'open_id', msg_type: 'text', content: { text: 'hi' }, updates: 0 }]);
  });

  it('returns code != 0 on HTTP 200 as a resolved value, not a throw', async () => {
    api.failNext('message.create', 1, { status: 200, code: 230020 });
    const res = await client.im.message.create({
      params: { receive_id_type: 'chat_id' },
      data: { receive_id: 'oc_chat2', msg_type: 'text', content: JSON.stringify({ text: 'x' }) },
    });
    expect(res.code).toBe(230020);
    expect(api.messages('oc_chat2')).toEqual([]);
    // Only the next one failed.
    const again = await client.im.message.create({
      params: { receive_id_type: 'chat_id' },
      data: { receive_id: 'oc_chat2', msg_type: 'text', content: JSON.stringify({ text: 'x' }) },
    });
    expect(again.code).toBe(0);
  });

  it('throws an AxiosError carrying x-ogw-ratelimit-reset on a scripted 429', async () => {
    api.failNext('message.patch', 1, { status: 429, resetSeconds: 7 });
    const e = await rejection(client.im.message.patch({ path: { message_id: 'om_whatever' }, data: { content: '{}' } }));
    expect(e.isAxiosError).toBe(true);
    expect(e.name).toBe('AxiosError');
    expect(e.response?.status).toBe(429);
    expect(e.response?.headers['x-ogw-ratelimit-reset']).toBe('7');
    expect(e.response?.data).toEqual({ code: 99991400, msg: 'request trigger frequency limit' });
  });

  it('throws on HTTP 400 business errors and 500s too (the SDK neither retries nor refreshes)', async () => {
    api.failNext('message.reply', 1, { status: 500 });
    const e500 = await rejection(
      client.im.message.reply({ path: { message_id: 'om_x' }, data: { msg_type: 'text', content: JSON.stringify({ text: 'x' }) } }),
    );
    expect(e500.response?.status).toBe(500);

    // A card JSON 1.0 is refused like the real API does (230099, HTTP 400).
    const e400 = await rejection(
      client.im.message.create({
        params: { receive_id_type: 'chat_id' },
        data: { receive_id: 'oc_chat3', msg_type: 'interactive', content: JSON.stringify({ elements: [] }) },
      }),
    );
    expect(e400.response?.status).toBe(400);
    expect(e400.response?.data).toMatchObject({ code: 230099 });

    // content must be a JSON string.
    const eContent = await rejection(
      client.im.message.create({
        params: { receive_id_type: 'chat_id' },
        data: { receive_id: 'oc_chat3', msg_type: 'text', content: 'not json' },
      }),
    );
    expect(eContent.response?.data).toMatchObject({ code: 230001 });

    // Over 30 KB of card.
    const big = card('big');
    big.body.elements.push({ tag: 'markdown', content: 'x'.repeat(31 * 1024) });
    const eBig = await rejection(
      client.im.message.create({
        params: { receive_id_type: 'chat_id' },
        data: { receive_id: 'oc_chat3', msg_type: 'interactive', content: JSON.stringify(big) },
      }),
    );
    expect(eBig.response?.data).toMatchObject({ code: 230025 });
    expect(api.messages('oc_chat3')).toEqual([]);

    // Patching a message the fake never sent.
    const ePatch = await rejection(client.im.message.patch({ path: { message_id: 'om_unknown' }, data: { content: JSON.stringify(card('x')) } }));
    expect(ePatch.response?.data).toMatchObject({ code: 230001 });
  });

  it('rejects revoked tokens with 99991663, and the SDK keeps using its cached token', async () => {
    api.revokeTokens();
    const send = () =>
      client.im.message.create({
        params: { receive_id_type: 'chat_id' },
        data: { receive_id: 'oc_chat4', msg_type: 'text', content: JSON.stringify({ text: 'x' }) },
      });
    const e = await rejection(send());
    expect(e.response?.status).toBe(400);
    expect(e.response?.data).toMatchObject({ code: 99991663 });
    const e2 = await rejection(send());
    expect(e2.response?.data).toMatchObject({ code: 99991663 });

    // A client with a fresh cache fetches a new token and gets through.
    const fresh = new lark.Client({ appId: APP_ID, appSecret: APP_SECRET, domain: api.url, loggerLevel: lark.LoggerLevel.error, logger: quiet, cache: new lark.DefaultCache() });
    const ok = await fresh.im.message.create({
      params: { receive_id_type: 'chat_id' },
      data: { receive_id: 'oc_chat4', msg_type: 'text', content: JSON.stringify({ text: 'x' }) },
    });
    expect(ok.code).toBe(0);
    expect(api.tokens).toHaveLength(2);
  });

  it('refuses a wrong app secret at the token endpoint', async () => {
    const wrong = new lark.Client({ appId: APP_ID, appSecret: 'nope', domain: api.url, loggerLevel: lark.LoggerLevel.error, logger: quiet, cache: new lark.DefaultCache() });
    const e = await rejection(
      wrong.im.message.create({
        params: { receive_id_type: 'chat_id' },
        data: { receive_id: 'oc_chat5', msg_type: 'text', content: JSON.stringify({ text: 'x' }) },
      }),
    );
    expect(e.response?.data).toMatchObject({ code: 10014 });
    expect(api.calls.at(-1)?.route).toBe('token');
  });

  it('can hang a request until released', async () => {
    api.failNext('message.create', 1, { hang: true });
    const settled = client.im.message
      .create({
        params: { receive_id_type: 'chat_id' },
        data: { receive_id: 'oc_chat6', msg_type: 'text', content: JSON.stringify({ text: 'x' }) },
      })
      .then(
        () => 'resolved',
        (e: unknown) => e,
      );
    await api.waitFor(() => api.hanging() === 1, 5000);
    const early = await Promise.race([settled, new Promise((r) => setTimeout(() => r('pending'), 150))]);
    expect(early).toBe('pending');
    api.releaseHung();
    const outcome = (await settled) as { code?: string; message?: string };
    expect(outcome).toBeInstanceOf(Error);
    expect(outcome.code).toBe('ECONNRESET');
    expect(api.hanging()).toBe(0);
  });
});

describe('signed, encrypted callbacks with lark.EventDispatcher behind lark.adaptDefault', () => {
  let server: Server;
  let url: string;
  const received: Record<string, unknown>[] = [];
  const cardReceived: Record<string, unknown>[] = [];
  const cardAnswer = {
    toast: { type: 'success', content: 'Approved' },
    card: { type: 'raw', data: card('Deploy api v1.2.3: approved') },
  };

  beforeAll(async () => {
    const dispatcher = new lark.EventDispatcher({
      encryptKey: ENCRYPT_KEY,
      verificationToken: VERIFICATION_TOKEN,
      loggerLevel: lark.LoggerLevel.error,
      logger: quiet,
    }).register<{ 'card.action.trigger': (data: Record<string, unknown>) => unknown }>({
      'im.message.receive_v1': (data) => {
        received.push(data);
      },
      'card.action.trigger': (data) => {
        cardReceived.push(data);
        return cardAnswer;
      },
    });
    const handler = lark.adaptDefault('/lark/events', dispatcher, { autoChallenge: true });
    server = createServer((req, res) => {
      void handler(req, res);
    });
    const port = await listen(server);
    url = `http://127.0.0.1:${port}/lark/events`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  });

  const message = (text: string, event_id = `ev-${Math.random()}`) =>
    messageReceiveEvent({
      event_id,
      app_id: APP_ID,
      tenant_key: TENANT,
      token: VERIFICATION_TOKEN,
      chat_id: 'oc_group1',
      chat_type: 'group',
      sender_open_id: 'ou_alice',
      text,
      mentions: [{ open_id: 'ou_bot', name: 'chatops' }],
    });

  it('answers an encrypted url_verification challenge', async () => {
    const res = await postLark(url, larkCallbackRequest({ encryptKey: ENCRYPT_KEY, body: urlVerificationEvent({ token: VERIFICATION_TOKEN, challenge: 'ch-1' }) }));
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ challenge: 'ch-1' });
  });

  it('delivers a signed, encrypted im.message.receive_v1 to the handler, decrypted and flattened', async () => {
    const envelope = message('@_user_1 deploy api v1.2.3', 'ev-good');
    const req = larkCallbackRequest({ encryptKey: ENCRYPT_KEY, body: envelope });
    expect(Object.keys(JSON.parse(req.body) as object)).toEqual(['encrypt']);
    const res = await postLark(url, req);
    expect(res.status).toBe(200);
    expect(received).toHaveLength(1);
    const got = received[0] as {
      event_id: string;
      event_type: string;
      token: string;
      app_id: string;
      tenant_key: string;
      schema: string;
      sender: { sender_id: { open_id: string } };
      message: { message_id: string; chat_id: string; chat_type: string; content: string; mentions: { key: string; id: { open_id: string } }[] };
    };
    expect(got).toMatchObject({ event_id: 'ev-good', event_type: 'im.message.receive_v1', token: VERIFICATION_TOKEN, app_id: APP_ID, tenant_key: TENANT, schema: '2.0' });
    expect(got.sender.sender_id.open_id).toBe('ou_alice');
    expect(got.message).toMatchObject({ message_id: envelope.event.message.message_id, chat_id: 'oc_group1', chat_type: 'group' });
    expect(JSON.parse(got.message.content)).toEqual({ text: '@_user_1 deploy api v1.2.3' });
    expect(got.message.mentions[0]).toMatchObject({ key: '@_user_1', id: { open_id: 'ou_bot' }, name: 'chatops' });
  });

  it('does not reach the handler with a bad signature (but still answers 200, empty)', async () => {
    const before = received.length;
    const good = larkCallbackRequest({ encryptKey: ENCRYPT_KEY, body: message('deploy', 'ev-bad-sig') });
    const badSig = { ...good, headers: { ...good.headers, 'x-lark-signature': '0'.repeat(64) } };
    const res = await postLark(url, badSig);
    expect(res.status).toBe(200);
    expect(res.text).toBe('');

    // Signed with another key.
    const otherKey = larkCallbackRequest({ encryptKey: ENCRYPT_KEY, body: message('deploy', 'ev-other-key') });
    otherKey.headers['x-lark-signature'] = signLark('another-key', otherKey.headers['x-lark-request-timestamp'] ?? '', otherKey.headers['x-lark-request-nonce'] ?? '', otherKey.body);
    await postLark(url, otherKey);

    // A body swapped under a valid signature.
    const swapped = { ...good, body: larkCallbackRequest({ encryptKey: ENCRYPT_KEY, body: message('rollback', 'ev-swapped') }).body };
    await postLark(url, swapped);

    // Pretty-printed JSON signed over its raw bytes: the SDK re-serialises, so it is rejected too.
    const pretty = JSON.stringify(JSON.parse(good.body), null, 2);
    await postLark(url, { headers: { ...good.headers, 'x-lark-signature': signLark(ENCRYPT_KEY, good.headers['x-lark-request-timestamp'] ?? '', good.headers['x-lark-request-nonce'] ?? '', pretty) }, body: pretty });

    expect(received.length).toBe(before);
    // The untouched request still goes through.
    await postLark(url, good);
    expect(received.length).toBe(before + 1);
  });

  it('delivers card.action.trigger and returns the handler’s { toast, card } as the HTTP body', async () => {
    const envelope = cardActionEvent({
      event_id: 'ev-card',
      app_id: APP_ID,
      tenant_key: TENANT,
      token: VERIFICATION_TOKEN,
      operator_open_id: 'ou_bob',
      value: { action: 'approve', request_id: 'req-1' },
      open_message_id: 'om_card1',
      open_chat_id: 'oc_group1',
    });
    const res = await postLark(url, larkCallbackRequest({ encryptKey: ENCRYPT_KEY, body: envelope }));
    expect(res.status).toBe(200);
    expect(res.json).toEqual(cardAnswer);
    expect(cardReceived).toHaveLength(1);
    expect(cardReceived[0]).toMatchObject({
      event_id: 'ev-card',
      event_type: 'card.action.trigger',
      operator: { open_id: 'ou_bob' },
      action: { value: { action: 'approve', request_id: 'req-1' }, tag: 'button' },
      context: { open_message_id: 'om_card1', open_chat_id: 'oc_group1' },
    });
    // After flattening, the handler's `token` is event.token (the delayed-update token), which
    // overwrote header.token (the Verification Token).
    expect(cardReceived[0]?.['token']).toBe(envelope.event.token);
  });
});

describe('fake long connection with lark.WSClient', () => {
  let api: FakeLarkApi;
  let ws: FakeLarkWs;
  let wsClient: lark.WSClient;
  const received: Record<string, unknown>[] = [];
  const cardAnswer = { toast: { type: 'info', content: 'Rejected' }, card: { type: 'raw', data: card('Rejected') } };
  let ready = false;

  beforeAll(async () => {
    // Reconnect at once after a drop (the defaults wait up to 30 s of jitter, then 120 s between tries).
    const quick = { ReconnectNonce: 0, ReconnectInterval: 1 };
    ws = await startFakeLarkWs({ clientConfig: quick });
    api = await startFakeLarkApi({ appId: APP_ID, appSecret: APP_SECRET, wsUrl: () => ws.url(), wsClientConfig: quick });
    const dispatcher = new lark.EventDispatcher({
      encryptKey: ENCRYPT_KEY,
      verificationToken: VERIFICATION_TOKEN,
      loggerLevel: lark.LoggerLevel.error,
      logger: quiet,
    }).register<{
      'card.action.trigger': (data: Record<string, unknown>) => unknown;
      'test.throws': () => never;
    }>({
      'im.message.receive_v1': (data) => {
        received.push(data);
      },
      'card.action.trigger': (data) => {
        received.push(data);
        return cardAnswer;
      },
      'test.throws': () => {
        throw new Error('handler failed');
      },
    });
    wsClient = new lark.WSClient({
      appId: APP_ID,
      appSecret: APP_SECRET,
      domain: api.url,
      loggerLevel: lark.LoggerLevel.error,
      logger: quiet,
      onReady: () => {
        ready = true;
      },
    });
    await wsClient.start({ eventDispatcher: dispatcher });
    await ws.waitForConnection(10_000);
  });
  afterAll(async () => {
    wsClient?.close({ force: true });
    await ws?.close();
    await api?.close();
  });

  it('connects through /callback/ws/endpoint and pings with the URL’s service_id', async () => {
    expect(ready).toBe(true);
    const endpoint = api.calls.filter((c) => c.route === 'ws.endpoint');
    expect(endpoint).toHaveLength(1);
    expect(endpoint[0]?.body).toEqual({ AppID: APP_ID, AppSecret: APP_SECRET });
    expect(ws.pings()).toBeGreaterThanOrEqual(1);
    const ping = ws.received().find((f) => f.method === 0);
    expect(ping).toMatchObject({ service: FAKE_WS_SERVICE_ID, SeqID: 0, LogID: 0 });
    expect(frameHeaders(ping ?? { SeqID: 0, LogID: 0, service: 0, method: 0, headers: [] })).toEqual({ type: 'ping' });
    await expect(api.waitFor(() => wsClient.getConnectionStatus().state === 'connected', 2000)).resolves.toBe(true);
  });

  it('delivers an im.message.receive_v1 event frame to the handler and gets it acknowledged', async () => {
    const envelope = messageReceiveEvent({
      event_id: 'ev-ws-1',
      app_id: APP_ID,
      tenant_key: TENANT,
      token: VERIFICATION_TOKEN,
      chat_id: 'oc_ws',
      sender_open_id: 'ou_carol',
      text: 'scale api 3',
    });
    const res = await ws.sendEvent(envelope);
    expect(res.code).toBe(200);
    expect(res.data).toBeUndefined();
    expect(res.payload).toEqual({ code: 200 });
    expect(res.frame.method).toBe(1);
    expect(res.headers).toMatchObject({ type: 'event', sum: '1', seq: '0' });
    // biz_rt is computed as start - end in SDK 1.74, so it is never positive.
    expect(Number(res.headers['biz_rt'])).toBeLessThanOrEqual(0);
    expect(received.at(-1)).toMatchObject({ event_id: 'ev-ws-1', message: { chat_id: 'oc_ws', content: JSON.stringify({ text: 'scale api 3' }) } });
  });

  it('joins a payload split over several fragments', async () => {
    const envelope = messageReceiveEvent({ event_id: 'ev-ws-frag', app_id: APP_ID, tenant_key: TENANT, token: VERIFICATION_TOKEN, chat_id: 'oc_ws', sender_open_id: 'ou_carol', text: 'batch-upgrade web' });
    const res = await ws.sendEvent(envelope, { fragments: 3 });
    expect(res.code).toBe(200);
    expect(res.headers).toMatchObject({ sum: '3', seq: '2' });
    expect(received.at(-1)).toMatchObject({ event_id: 'ev-ws-frag' });
  });

  it('returns a card.action.trigger handler’s result in the response frame (sent as type "event")', async () => {
    const envelope = cardActionEvent({
      event_id: 'ev-ws-card',
      app_id: APP_ID,
      tenant_key: TENANT,
      token: VERIFICATION_TOKEN,
      operator_open_id: 'ou_dave',
      value: { action: 'reject', request_id: 'req-2' },
      open_message_id: 'om_card2',
      open_chat_id: 'oc_ws',
    });
    const res = await ws.sendEvent(envelope, { type: 'event' });
    expect(res.code).toBe(200);
    expect(res.data).toEqual(cardAnswer);
    expect(received.at(-1)).toMatchObject({ event_id: 'ev-ws-card', action: { value: { action: 'reject', request_id: 'req-2' } } });
  });

  it('drops a frame of type "card" without answering (SDK 1.74 handles only "event")', async () => {
    const before = received.length;
    const envelope = cardActionEvent({
      app_id: APP_ID,
      tenant_key: TENANT,
      token: VERIFICATION_TOKEN,
      operator_open_id: 'ou_dave',
      value: { action: 'approve' },
      open_message_id: 'om_card3',
      open_chat_id: 'oc_ws',
    });
    await expect(ws.sendEvent(envelope, { type: 'card', timeoutMs: 400 })).rejects.toThrow(/no response to card frame/);
    expect(received.length).toBe(before);
  });

  it('answers 500 when the handler throws, and a "no … handle" string for unknown events', async () => {
    const throwing = { schema: '2.0', header: { event_id: 'ev-ws-throw', event_type: 'test.throws', app_id: APP_ID, tenant_key: TENANT, token: VERIFICATION_TOKEN, create_time: String(Date.now()) }, event: {} };
    const res = await ws.sendEvent(throwing);
    expect(res.code).toBe(500);
    expect(res.data).toBeUndefined();

    const unknown = { ...throwing, header: { ...throwing.header, event_id: 'ev-ws-unknown', event_type: 'im.chat.member.bot.added_v1' } };
    const res2 = await ws.sendEvent(unknown);
    expect(res2.code).toBe(200);
    expect(res2.data).toBe('no im.chat.member.bot.added_v1 event handle');
  });

  it('reconnects through the endpoint after the server drops it, and stays down after close()', async () => {
    const endpointCalls = () => api.calls.filter((c) => c.route === 'ws.endpoint').length;
    expect(endpointCalls()).toBe(1);
    const pingsBefore = ws.pings();
    ws.dropConnections();
    await api.waitFor(() => endpointCalls() === 2, 5000);
    await ws.waitForConnection(5000);
    await api.waitFor(() => ws.pings() > pingsBefore, 5000);
    const res = await ws.sendEvent(
      messageReceiveEvent({ event_id: 'ev-ws-after', app_id: APP_ID, tenant_key: TENANT, token: VERIFICATION_TOKEN, chat_id: 'oc_ws', sender_open_id: 'ou_carol', text: 'status' }),
    );
    expect(res.code).toBe(200);
    expect(received.at(-1)).toMatchObject({ event_id: 'ev-ws-after' });

    wsClient.close({ force: true });
    expect(wsClient.getConnectionStatus().state).toBe('idle');
    ws.dropConnections();
    await new Promise((r) => setTimeout(r, 1500));
    expect(endpointCalls()).toBe(2);
    expect(ws.connected()).toBe(false);
  });
});
