import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken } from '../../../src/chat/console/auth.ts';
import type { ConsoleEntry } from '../../../src/chat/console/store.ts';
import type { Message } from '../../../src/core/message.ts';
import { approvalOfButton } from '../../../src/service/messages.ts';
import { PEOPLE, chatConfig, startBot, type Bot } from '../chat/support.ts';
import { adminClients } from '../support/cluster.ts';
import { testNamespace } from '../support/namespace.ts';
import { createDeployment, waitFor, waitForRollout, webTemplate } from '../support/workloads.ts';
import { botEntries, consoleClient, followSse, requestId, textOf } from './support.ts';

/**
 * The web console's API end to end, without a browser: the same requests the page makes, to
 * the real API role on a real Redis, with jobs run by a real worker on the local control plane.
 */
let ns: string;
let bot: Bot;

beforeAll(async () => {
  const n = await testNamespace({ clusters: ['gz'], prefix: 'console', scope: 'file' });
  ns = n.name;
  await waitForRollout(adminClients('gz'), await createDeployment(adminClients('gz'), ns, 'web', { replicas: 2, tag: 'v1' }));
  bot = await startBot(chatConfig(ns, { mode: 'local' }));
});

afterAll(async () => {
  await bot?.stop();
});

const CHANNEL = 'console:ops';

function buttonValue(m: Message, action: string): string | undefined {
  return m.buttons.find((b) => b.action === action)?.value;
}

async function entries(channel = CHANNEL): Promise<ConsoleEntry[]> {
  const r = await consoleClient(bot.api.url).get(`/console/api/messages?channel=${encodeURIComponent(channel)}`);
  return r.body['entries'] as ConsoleEntry[];
}

describe('console in local mode', () => {
  it('/deploy web v2 to prod as alice: approval in the channel, alice may not approve, bob clicks Approve, the same entry ends in success', async () => {
    const c = consoleClient(bot.api.url);
    const live = await followSse(`${bot.api.url}/console/api/events?channel=${encodeURIComponent(CHANNEL)}`);
    try {
      const asked = await c.post('/console/api/command', { as: 'alice', channel: CHANNEL, text: '/deploy web v2 to prod', id: requestId() });
      expect(asked.status).toBe(200);
      expect(asked.body['live']).toBe(true);
      const opId = asked.body['opId'] as string;
      expect(opId).toMatch(/^op-/);

      const approval = await waitFor('the approval entry', async () => botEntries(await entries()).find((e) => textOf(e.message).includes(opId) && buttonValue(e.message, 'approve') !== undefined), 15_000, 100);
      const button = buttonValue(approval.message, 'approve') ?? '';
      const approvalId = approvalOfButton(button).id;
      expect(approval.message.status).toBe('needs_approval');
      // The typed line shows in the channel, before the bot's answer.
      const said = (await entries()).find((e) => e.kind === 'said' && e.text === '/deploy web v2 to prod');
      expect(said).toMatchObject({ kind: 'said', person: 'alice' });
      expect(said!.seq).toBeLessThan(approval.seq);

      const self = await c.post('/console/api/click', { as: 'alice', channel: CHANNEL, action: 'approve', value: button });
      expect(self.status).toBe(200);
      expect(textOf(self.body['reply'] as Message)).toContain('cannot approve or reject your own request');
      expect((await bot.api.s.approvals.get(approvalId))?.status).toBe('pending');

      const bob = await c.post('/console/api/click', { as: 'bob', channel: CHANNEL, action: 'approve', value: button });
      expect(bob.status).toBe(200);
      expect(textOf(bob.body['reply'] as Message)).toContain('Approved by bob');

      const done = await waitFor(
        'the entry to show success',
        async () => {
          const e = botEntries(await entries()).find((x) => x.id === approval.id);
          return e?.message.status === 'succeeded' ? e : undefined;
        },
        90_000,
        200,
      );
      expect(done.revision).toBeGreaterThan(1);
      expect(done.message.title).toContain('succeeded');
      expect(textOf(done.message)).toContain('https://jobs.example.com/ops/op-');
      expect(done.message.buttons).toEqual([]);
      // One entry for the whole operation, edited in place.
      expect(botEntries(await entries()).filter((e) => textOf(e.message).includes(opId))).toHaveLength(1);
      expect((await webTemplate(adminClients('gz'), { namespace: ns, kind: 'Deployment', name: 'web' })).image).toBe('registry.example.com/team/web:v2');

      // The page following the channel saw the snapshot, then the entry's updates up to success.
      await waitFor('the success over SSE', () => (live.events.some((e) => e.event === 'entry' && (e.data as ConsoleEntry).id === approval.id && textOf((e.data as { message: Message }).message).includes('succeeded')) ? true : undefined), 10_000, 100);
      expect(live.events[0]?.event).toBe('snapshot');

      // The dashboard lists it among the finished operations, with its links.
      const dash = await c.get('/console/api/dashboard');
      const recent = dash.body['recent'] as { id: string; status: string; approvedBy: string[]; links: { url: string }[]; channels: string[] }[];
      const row = recent.find((o) => o.id === opId);
      expect(row).toMatchObject({ status: 'succeeded', approvedBy: ['bob'], channels: [CHANNEL] });
      expect(row?.links.map((l) => l.url)).toContain(`https://jobs.example.com/ops/${opId}`);
    } finally {
      live.close();
    }
  });

  it('a repeated command (same request id) acts once; refusals and help are for the asker alone, other answers go to the channel', async () => {
    const c = consoleClient(bot.api.url);
    const before = (await bot.api.s.ops.list(1000)).length;
    const id = requestId();
    const [a, b] = await Promise.all([
      c.post('/console/api/command', { as: 'alice', channel: 'console:repeat', text: '/deploy web v3 to prod', id }),
      c.post('/console/api/command', { as: 'alice', channel: 'console:repeat', text: '/deploy web v3 to prod', id }),
    ]);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect((await bot.api.s.ops.list(1000)).length).toBe(before + 1);

    const help = await c.post('/console/api/command', { as: 'bob', channel: 'console:repeat', text: 'help deploy', id: requestId() });
    expect(help.body['live']).toBe(false);
    expect(textOf(help.body['reply'] as Message)).toContain('/deploy');
    const typo = await c.post('/console/api/command', { as: 'bob', channel: 'console:repeat', text: '/deploy web to prod', id: requestId() });
    expect(textOf(typo.body['reply'] as Message)).toMatch(/couldn't run that/i);
    const stored = await entries('console:repeat');
    expect(stored.some((e) => e.kind === 'said' && e.text.startsWith('help'))).toBe(false);
    expect(stored.some((e) => e.kind === 'said' && e.text === '/deploy web to prod')).toBe(false);
    expect(stored.filter((e) => e.kind === 'said' && e.text === '/deploy web v3 to prod')).toHaveLength(1);

    const status = await c.post('/console/api/command', { as: 'bob', channel: 'console:repeat', text: '/status web in prod', id: requestId() });
    expect(status.body).toMatchObject({ live: false, reply: null });
    const answer = await waitFor('the status in the channel', async () => botEntries(await entries('console:repeat')).find((e) => e.message.title.startsWith('Status')), 10_000, 100);
    expect(textOf(answer.message)).toContain('registry.example.com/team/web:');
    const said = (await entries('console:repeat')).find((e) => e.kind === 'said' && e.text === '/status web in prod');
    expect(said!.seq).toBeLessThan(answer.seq);
  });

  it('refuses a POST without the X-Chatops-Console header, from another origin or site, or not JSON; nothing is done', async () => {
    const c = consoleClient(bot.api.url);
    const before = (await bot.api.s.ops.list(1000)).length;
    const body = { as: 'bob', channel: CHANNEL, text: '/deploy web v9 to prod', id: requestId() };
    const noHeader = await c.post('/console/api/command', body, {});
    expect(noHeader.status).toBe(403);
    expect(noHeader.body['error']).toContain('x-chatops-console');
    const otherOrigin = await c.post('/console/api/command', body, { 'x-chatops-console': '1', origin: 'http://evil.example.com' });
    expect(otherOrigin.status).toBe(403);
    const crossSite = await c.post('/console/api/command', body, { 'x-chatops-console': '1', 'sec-fetch-site': 'cross-site' });
    expect(crossSite.status).toBe(403);
    const form = await fetch(`${bot.api.url}/console/api/command`, { method: 'POST', headers: { 'content-type': 'text/plain', 'x-chatops-console': '1' }, body: JSON.stringify(body) });
    expect(form.status).toBe(403);
    const click = await c.post('/console/api/click', { as: 'bob', action: 'approve', value: 'apr-x' }, {});
    expect(click.status).toBe(403);
    expect((await bot.api.s.ops.list(1000)).length).toBe(before);
  });

  it('in local mode: a person must be chosen and configured; a host name other than loopback is refused', async () => {
    const c = consoleClient(bot.api.url);
    expect((await c.post('/console/api/command', { channel: CHANNEL, text: 'help', id: requestId() })).status).toBe(401);
    expect((await c.post('/console/api/command', { as: 'mallory', channel: CHANNEL, text: 'help', id: requestId() })).status).toBe(400);
    expect((await c.post('/console/api/command', { as: 'bob', channel: 'slack:C0123', text: 'help', id: requestId() })).status).toBe(400);
    const session = await c.get('/console/api/session');
    expect(session.body).toMatchObject({ mode: 'local', access: 'chooser' });
    expect((session.body['people'] as { name: string }[]).map((p) => p.name)).toEqual(['alice', 'bob', 'carol']);
    // A DNS name rebound to 127.0.0.1 reaches the server with its own Host header.
    const { request } = await import('node:http');
    const status = await new Promise<number>((resolve, reject) => {
      const u = new URL(`${bot.api.url}/console/api/session`);
      const req = request({ host: u.hostname, port: u.port, path: u.pathname, headers: { host: `rebound.example.com:${u.port}` } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(403);
  });

  it('tells the dashboard when something changed, over SSE', async () => {
    const live = await followSse(`${bot.api.url}/console/api/dashboard/events`);
    try {
      await waitFor('the first event', () => (live.events.length > 0 ? true : undefined), 5000, 50);
      expect(live.events[0]?.event).toBe('changed');
      const c = consoleClient(bot.api.url);
      await c.post('/console/api/command', { as: 'alice', channel: CHANNEL, text: '/deploy web v6 to prod', id: requestId() });
      await waitFor('a change after the request', () => (live.events.length > 1 ? true : undefined), 5000, 50);
      const awaiting = (await c.get('/console/api/dashboard')).body['awaitingApproval'] as { approval?: { waitingOn: string[] } }[];
      expect(awaiting.some((o) => o.approval?.waitingOn.includes('bob') === true)).toBe(true);
    } finally {
      live.close();
    }
  });

  it('serves the pages with a strict Content-Security-Policy; job links open the dashboard', async () => {
    const page = await fetch(`${bot.api.url}/console/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await page.text();
    expect(html).toContain('/console/static/console.js');
    expect(html).not.toMatch(/https?:\/\//);
    for (const f of ['render.js', 'console.js', 'dashboard.js', 'console.css']) expect((await fetch(`${bot.api.url}/console/static/${f}`)).status).toBe(200);
    expect((await fetch(`${bot.api.url}/console/static/../part.ts`)).status).toBe(404);
    const ops = await fetch(`${bot.api.url}/ops/op-123abc`, { redirect: 'manual' });
    expect(ops.status).toBe(302);
    expect(ops.headers.get('location')).toBe('/console/dashboard#op-123abc');
  });
});

describe('console outside local mode', () => {
  const TOKENS = { alice: `tok-alice-${requestId()}`, bob: `tok-bob-${requestId()}` };
  let prod: Bot;
  let closed: Bot;

  beforeAll(async () => {
    const people = { ...PEOPLE, alice: { ...PEOPLE.alice, consoleTokenHash: hashToken(TOKENS.alice) }, bob: { ...PEOPLE.bob, consoleTokenHash: hashToken(TOKENS.bob) } };
    prod = await startBot(chatConfig(ns, { people }));
    closed = await startBot(chatConfig(ns, {}));
  });

  afterAll(async () => {
    await prod?.stop();
    await closed?.stop();
  });

  it('refuses requests without a valid token; each person signs in with their own and cannot act as another', async () => {
    const anon = consoleClient(prod.api.url);
    const before = (await prod.api.s.ops.list(1000)).length;
    expect((await anon.post('/console/api/command', { as: 'alice', channel: CHANNEL, text: '/deploy web v4 to prod', id: requestId() })).status).toBe(401);
    expect((await anon.get('/console/api/messages?channel=console:ops')).status).toBe(401);
    expect((await anon.get('/console/api/dashboard')).status).toBe(401);
    expect((await anon.post('/console/api/login', { token: 'not-a-token' })).status).toBe(401);
    expect(anon.cookie).toBeUndefined();
    expect((await anon.get('/console/api/session')).body).toMatchObject({ access: 'tokens', me: null, people: [] });
    // A forged or stale cookie is nobody.
    anon.cookie = 'chatops_console=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
    expect((await anon.post('/console/api/command', { channel: CHANNEL, text: 'help', id: requestId() })).status).toBe(401);
    expect((await prod.api.s.ops.list(1000)).length).toBe(before);

    const alice = consoleClient(prod.api.url);
    const login = await fetch(`${prod.api.url}/console/api/login`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-chatops-console': '1' }, body: JSON.stringify({ token: TOKENS.alice }) });
    expect(login.status).toBe(200);
    const cookie = login.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    alice.cookie = cookie.split(';')[0];
    expect((await alice.get('/console/api/session')).body).toMatchObject({ me: 'alice' });
    expect((await alice.post('/console/api/command', { as: 'bob', channel: CHANNEL, text: 'help', id: requestId() })).status).toBe(403);
    const asked = await alice.post('/console/api/command', { channel: CHANNEL, text: '/deploy web v4 to prod', id: requestId() });
    expect(asked.status).toBe(200);
    const opId = asked.body['opId'] as string;
    const op = await waitFor('the operation', () => prod.api.s.ops.get(opId), 5000, 50);
    const approvalId = op.approvalId ?? '';
    expect((await alice.post('/console/api/click', { channel: CHANNEL, action: 'approve', value: approvalId })).body['reply']).toMatchObject({ status: 'denied' });

    const bob = consoleClient(prod.api.url);
    expect((await bob.post('/console/api/login', { token: TOKENS.bob })).status).toBe(200);
    const approved = await bob.post('/console/api/click', { channel: CHANNEL, action: 'approve', value: approvalId });
    expect(textOf(approved.body['reply'] as Message)).toContain('Approved by bob');
    expect((await prod.api.s.approvals.get(approvalId))?.approvals.map((a) => a.person)).toEqual(['bob']);

    // Signing out ends the session on the server, not just in the browser.
    const stale = bob.cookie;
    expect((await bob.post('/console/api/logout', {})).status).toBe(200);
    bob.cookie = stale;
    expect((await bob.get('/console/api/dashboard')).status).toBe(401);
  });

  it('with no console token in the config, the console is closed', async () => {
    const c = consoleClient(closed.api.url);
    expect((await c.get('/console/api/session')).body).toMatchObject({ access: 'closed' });
    expect((await c.post('/console/api/command', { as: 'alice', channel: CHANNEL, text: 'help', id: requestId() })).status).toBe(403);
    expect((await c.post('/console/api/login', { token: 'anything' })).status).toBe(403);
    expect((await c.get('/console/api/messages')).status).toBe(403);
  });
});
