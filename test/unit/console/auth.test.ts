import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { consoleAccess, cookieOf, csrfProblem, hashToken, localProblem, personForToken, sessionCookie } from '../../../src/chat/console/auth.ts';
import { validateConfig } from '../../../src/config/load.ts';
import type { Config } from '../../../src/config/schema.ts';

function config(extra: Record<string, unknown> = {}, people: Record<string, unknown> = { alice: {}, bob: {} }): Config {
  const r = validateConfig(
    {
      people,
      clusters: { gz: { region: 'gz', kubeconfig: '/dev/null' } },
      environments: { prod: { clusters: ['gz'], registries: ['registry.example.com'] } },
      apps: { web: { image: 'registry.example.com/web' } },
      ...extra,
    },
    {},
  );
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return r.value;
}

/** `remoteAddress` null: a socket with no address (a Unix socket). */
function req(headers: Record<string, string>, encrypted = false, remoteAddress: string | null = '127.0.0.1'): IncomingMessage {
  return { headers, socket: { encrypted, remoteAddress: remoteAddress ?? undefined } } as unknown as IncomingMessage;
}

const ALICE = 'alice-token-0123456789';
const BOB = 'bob-token-9876543210';

describe('who may use the console', () => {
  it.each([
    ['local mode: a chooser', { mode: 'local' }, { alice: {}, bob: {} }, 'chooser'],
    ['production with tokens: sign in', { mode: 'production' }, { alice: { consoleTokenHash: hashToken(ALICE) }, bob: {} }, 'tokens'],
    ['production without tokens: closed', { mode: 'production' }, { alice: {}, bob: {} }, 'closed'],
  ])('%s', (_name, extra, people, want) => {
    expect(consoleAccess(config(extra, people))).toBe(want);
  });

  it('finds the person whose token it is, and nobody for any other', () => {
    const c = config({}, { alice: { consoleTokenHash: hashToken(ALICE) }, bob: { consoleTokenHash: `sha256:${hashToken(BOB)}` }, carol: {} });
    expect(personForToken(c, ALICE)).toBe('alice');
    expect(personForToken(c, BOB)).toBe('bob');
    expect(personForToken(c, `${ALICE} `)).toBeUndefined();
    expect(personForToken(c, '')).toBeUndefined();
    expect(personForToken(c, hashToken(ALICE))).toBeUndefined();
  });

  it('refuses a token hash shared by two people, and one that is not a SHA-256', () => {
    const shared = validateConfig(
      {
        people: { alice: { consoleTokenHash: hashToken(ALICE) }, bob: { consoleTokenHash: `sha256:${hashToken(ALICE)}` } },
        clusters: { gz: { region: 'gz' } },
        environments: { prod: { clusters: ['gz'], registries: ['r.example.com'] } },
        apps: {},
      },
      {},
    );
    expect(shared.ok).toBe(false);
    if (!shared.ok) expect(shared.error).toContainEqual({ path: 'people.bob.consoleTokenHash', message: expect.stringContaining('token of their own') as string });
    const bad = validateConfig({ people: { alice: { consoleTokenHash: 'secret' } }, clusters: {}, environments: {}, apps: {} }, {});
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error.map((p) => p.path)).toContain('people.alice.consoleTokenHash');
  });
});

describe('requests that change something', () => {
  const ok = { 'x-chatops-console': '1', 'content-type': 'application/json', host: '127.0.0.1:3000' };
  it.each([
    ['the page itself', ok, undefined],
    ['the page, with its Origin and Sec-Fetch-Site', { ...ok, origin: 'http://127.0.0.1:3000', 'sec-fetch-site': 'same-origin' }, undefined],
    ['no custom header (a form post)', { 'content-type': 'application/json', host: '127.0.0.1:3000' }, 'header is missing'],
    ['the header with another value', { ...ok, 'x-chatops-console': 'yes' }, 'header is missing'],
    ['not JSON', { ...ok, 'content-type': 'text/plain' }, 'must be JSON'],
    ['another origin', { ...ok, origin: 'http://evil.example.com' }, 'another origin'],
    ['the same host on another port', { ...ok, origin: 'http://127.0.0.1:4000' }, 'another origin'],
    ['a cross-site fetch', { ...ok, 'sec-fetch-site': 'cross-site' }, 'cross-site'],
    ['a malformed Origin', { ...ok, origin: 'not a url' }, 'malformed'],
  ])('%s', (_name, headers, problem) => {
    const got = csrfProblem(req(headers));
    if (problem === undefined) expect(got).toBeUndefined();
    else expect(got).toContain(problem);
  });
});

describe('host names in local mode', () => {
  const local = config({ mode: 'local' });
  it.each([
    ['127.0.0.1:3000', true],
    ['localhost:3000', true],
    ['[::1]:3000', true],
    ['LOCALHOST', true],
    ['rebound.example.com:3000', false],
    ['127.0.0.1.nip.io:3000', false],
  ])('%s allowed: %s', (host, allowed) => {
    expect(localProblem(req({ host }), local) === undefined).toBe(allowed);
  });

  it('outside local mode the session cookie, not the host name, is what counts', () => {
    expect(localProblem(req({ host: 'chatops.example.com' }, false, '10.1.2.3'), config({ mode: 'production' }))).toBeUndefined();
  });
});

describe('caller addresses in local mode', () => {
  const local = config({ mode: 'local' });
  it.each([
    ['127.0.0.1', true],
    ['127.3.4.5', true],
    ['::1', true],
    ['::ffff:127.0.0.1', true],
    ['10.0.0.7', false],
    ['192.168.1.20', false],
    ['::ffff:10.0.0.7', false],
    ['fe80::1', false],
    [null, false],
  ])('%s allowed: %s', (remote, allowed) => {
    // The Host header is a loopback name every time: only the socket's address differs.
    expect(localProblem(req({ host: '127.0.0.1:3000' }, false, remote), local) === undefined).toBe(allowed);
  });
});

describe('cookies', () => {
  it('reads the session cookie among others; sets it HttpOnly, SameSite=Strict, Secure over TLS', () => {
    expect(cookieOf(req({ cookie: 'a=1; chatops_console=abc; b=2' }), 'chatops_console')).toBe('abc');
    expect(cookieOf(req({}), 'chatops_console')).toBeUndefined();
    const plain = sessionCookie(req({}), 'sid');
    expect(plain).toContain('HttpOnly');
    expect(plain).toContain('SameSite=Strict');
    expect(plain).not.toContain('Secure');
    expect(sessionCookie(req({ 'x-forwarded-proto': 'https' }), 'sid')).toContain('Secure');
    expect(sessionCookie(req({}, true), 'sid')).toContain('Secure');
  });
});
