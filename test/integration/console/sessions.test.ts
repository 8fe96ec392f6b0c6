import { afterEach, describe, expect, it } from 'vitest';
import { hashToken } from '../../../src/chat/console/auth.ts';
import { PEOPLE, chatConfig, startBot, type Bot } from '../chat/support.ts';
import { consoleClient, requestId } from './support.ts';

/**
 * Console sign-in outside local mode, against the real API role on a real Redis: a session
 * lasts only while its person's token is the one they signed in with (a restart with a new
 * token ends it); failed sign-ins are limited per token tried, so people behind one ingress
 * address don't lock each other out; a malformed job link is the caller's mistake (400).
 */
const NS = `console-sessions-${requestId().slice(0, 6)}`;
const running: Bot[] = [];

afterEach(async () => {
  for (const b of running.splice(0)) await b.stop();
});

async function bot(tokens: Partial<Record<'alice' | 'bob', string>>, prefix = `sessions-${requestId()}:`): Promise<Bot> {
  const people = {
    ...PEOPLE,
    alice: { ...PEOPLE.alice, ...(tokens.alice === undefined ? {} : { consoleTokenHash: hashToken(tokens.alice) }) },
    bob: { ...PEOPLE.bob, ...(tokens.bob === undefined ? {} : { consoleTokenHash: hashToken(tokens.bob) }) },
  };
  const b = await startBot(chatConfig(NS, { people }), { prefix });
  running.push(b);
  return b;
}

async function restart(b: Bot, tokens: Partial<Record<'alice' | 'bob', string>>): Promise<Bot> {
  const prefix = b.api.s.prefix;
  await b.stop();
  running.splice(running.indexOf(b), 1);
  return bot(tokens, prefix);
}

describe('console sessions', () => {
  it("survive a restart with the same token, and end when the person's token changes", async () => {
    const first = `tok-alice-${requestId()}`;
    const second = `tok-alice-${requestId()}`;
    let b = await bot({ alice: first, bob: `tok-bob-${requestId()}` });
    const alice = consoleClient(b.api.url);
    expect((await alice.post('/console/api/login', { token: first })).status).toBe(200);
    const cookie = alice.cookie;
    expect((await alice.get('/console/api/session')).body).toMatchObject({ me: 'alice' });

    // Restarted with the same config: the session (kept in Redis) goes on.
    b = await restart(b, { alice: first });
    const same = consoleClient(b.api.url);
    same.cookie = cookie;
    expect((await same.get('/console/api/session')).body).toMatchObject({ me: 'alice' });
    expect((await same.get('/console/api/dashboard')).status).toBe(200);

    // Restarted with a new token for alice: the old session is nobody, and stays ended.
    b = await restart(b, { alice: second });
    const stale = consoleClient(b.api.url);
    stale.cookie = cookie;
    expect((await stale.get('/console/api/session')).body).toMatchObject({ me: null });
    expect((await stale.get('/console/api/dashboard')).status).toBe(401);
    expect((await stale.post('/console/api/command', { channel: 'console:ops', text: 'help', id: requestId() })).status).toBe(401);
    b = await restart(b, { alice: first });
    const back = consoleClient(b.api.url);
    back.cookie = cookie;
    expect((await back.get('/console/api/dashboard')).status).toBe(401);
    // Signing in with the token now configured works.
    expect((await back.post('/console/api/login', { token: first })).status).toBe(200);
    expect((await back.get('/console/api/session')).body).toMatchObject({ me: 'alice' });
  });

  it('end when the person no longer has a token', async () => {
    const token = `tok-bob-${requestId()}`;
    let b = await bot({ alice: `tok-alice-${requestId()}`, bob: token });
    const bob = consoleClient(b.api.url);
    expect((await bob.post('/console/api/login', { token })).status).toBe(200);
    const cookie = bob.cookie;
    b = await restart(b, { alice: `tok-alice-${requestId()}` });
    const stale = consoleClient(b.api.url);
    stale.cookie = cookie;
    expect((await stale.get('/console/api/dashboard')).status).toBe(401);
  });
});

describe('failed sign-ins', () => {
  it('are limited per token tried, not per address: a wrong token retried is refused (429), while another token, and the right one, still get through', async () => {
    const token = `tok-alice-${requestId()}`;
    const b = await bot({ alice: token });
    // Everyone here comes from 127.0.0.1, as everyone behind an ingress comes from its address.
    const guesser = consoleClient(b.api.url);
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) statuses.push((await guesser.post('/console/api/login', { token: 'a-stale-token' })).status);
    expect(statuses.slice(0, 10)).toEqual(Array.from({ length: 10 }, () => 401));
    expect(statuses[10]).toBe(429);
    expect((await guesser.post('/console/api/login', { token: 'another-wrong-token' })).status).toBe(401);
    const alice = consoleClient(b.api.url);
    expect((await alice.post('/console/api/login', { token })).status).toBe(200);
    expect((await alice.get('/console/api/session')).body).toMatchObject({ me: 'alice' });
  });
});

describe('job links', () => {
  it.each([
    ['/ops/%', 400],
    ['/ops/op-%E0%A4%A', 400],
    ['/ops/%zz', 400],
    ['/ops/op-123abc', 302],
  ])('GET %s answers %i', async (path, status) => {
    const b = await bot({ alice: `tok-alice-${requestId()}` });
    const res = await fetch(`${b.api.url}${path}`, { redirect: 'manual' });
    expect(res.status).toBe(status);
    if (status === 400) expect(((await res.json()) as { error: string }).error).toContain('malformed');
  });
});
