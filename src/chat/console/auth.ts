import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Redis } from 'ioredis';
import type { Config } from '../../config/schema.ts';
import { isLoopbackAddress, isLoopbackBind } from '../../local/loopback.ts';

/**
 * Who is at the console. In local mode the page offers a chooser among the configured people
 * and sends the choice with each request: one machine, trying the bot, like the CLI's --as.
 * Outside local mode each person signs in with a personal token (people.<name>.consoleTokenHash
 * holds its SHA-256), which gives an HttpOnly, SameSite=Strict session cookie; with no token
 * configured the console is closed. Never a shared token: approvals need a second person.
 *
 * Requests that change anything must carry the X-Chatops-Console header (a cross-site form or
 * a simple fetch cannot set it), come from the same origin, and, in local mode, name a
 * loopback host (a rebound DNS name is refused).
 */
export type ConsoleAccess = 'chooser' | 'tokens' | 'closed';

export const SESSION_COOKIE = 'chatops_console';
export const SESSION_SECONDS = 12 * 3600;
export const CSRF_HEADER = 'x-chatops-console';

export function consoleAccess(config: Config): ConsoleAccess {
  if (config.mode === 'local') return 'chooser';
  return Object.values(config.people).some((p) => p.consoleTokenHash !== undefined) ? 'tokens' : 'closed';
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** The person whose token this is. Every configured hash is compared, in constant time each. */
export function personForToken(config: Config, token: string): string | undefined {
  if (token === '' || token.length > 1024) return undefined;
  const digest = Buffer.from(hashToken(token), 'hex');
  let found: string | undefined;
  for (const [name, p] of Object.entries(config.people)) {
    if (p.consoleTokenHash === undefined) continue;
    const want = Buffer.from(p.consoleTokenHash.replace(/^sha256:/, ''), 'hex');
    if (want.length === digest.length && timingSafeEqual(want, digest) && found === undefined) found = name;
  }
  return found;
}

export function cookieOf(req: IncomingMessage, name: string): string | undefined {
  const header = req.headers.cookie;
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i < 0) continue;
    if (part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

/** Whether the request came over TLS (directly, or through a proxy that says so). */
function isHttps(req: IncomingMessage): boolean {
  return (req.socket as { encrypted?: boolean }).encrypted === true || req.headers['x-forwarded-proto'] === 'https';
}

export function sessionCookie(req: IncomingMessage, sid: string, maxAge = SESSION_SECONDS): string {
  return `${SESSION_COOKIE}=${sid}; Path=/console; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${isHttps(req) ? '; Secure' : ''}`;
}

/** A signed-in session: the person, and a fingerprint of the token hash they signed in with. */
export interface Session {
  readonly person: string;
  readonly token: string;
}

export interface Sessions {
  create(person: string, tokenHash: string): Promise<string>;
  get(sid: string | undefined): Promise<Session | undefined>;
  end(sid: string | undefined): Promise<void>;
}

/**
 * What a session remembers of the token it was opened with: a hash of the configured hash (so
 * Redis holds nothing the config doesn't). A session is good only while the person's configured
 * token is still that one: a new token (config changed, bot restarted) ends every session of it.
 */
export function tokenFingerprint(configuredHash: string): string {
  return hashToken(`session:${configuredHash.replace(/^sha256:/, '').toLowerCase()}`);
}

/** Sessions in Redis, keyed by a hash of the session id (a leaked key list reveals no session). */
export function createSessions(redis: Redis, prefix: string): Sessions {
  const key = (sid: string) => `${prefix}console:session:${hashToken(sid)}`;
  const valid = (sid: string | undefined): sid is string => sid !== undefined && /^[A-Za-z0-9_-]{43}$/.test(sid);
  return {
    async create(person, tokenHash) {
      const sid = randomBytes(32).toString('base64url');
      await redis.set(key(sid), JSON.stringify({ person, token: tokenFingerprint(tokenHash) } satisfies Session), 'EX', SESSION_SECONDS);
      return sid;
    },
    async get(sid) {
      if (!valid(sid)) return undefined;
      const raw = await redis.get(key(sid));
      if (raw === null) return undefined;
      try {
        const v = JSON.parse(raw) as Partial<Session>;
        return typeof v.person === 'string' && typeof v.token === 'string' ? { person: v.person, token: v.token } : undefined;
      } catch {
        // A session from before sessions remembered their token: sign in again.
        return undefined;
      }
    },
    async end(sid) {
      if (valid(sid)) await redis.del(key(sid));
    },
  };
}

/**
 * Failed sign-ins are counted per token tried (its hash), in Redis so every replica counts
 * together: a client retrying a wrong token is slowed down, while people behind the same
 * ingress address, and anyone holding a valid token, are not. Guessing is defeated by the
 * token's length, not by this (see docs/console.md).
 */
export interface SignInLimit {
  blocked(token: string): Promise<boolean>;
  failed(token: string): Promise<void>;
}

export function createSignInLimit(redis: Redis, prefix: string, perMinute: number): SignInLimit {
  const key = (token: string) => `${prefix}console:signin-failed:${hashToken(token)}`;
  return {
    async blocked(token) {
      return Number((await redis.get(key(token))) ?? 0) >= perMinute;
    },
    async failed(token) {
      await redis.multi().incr(key(token)).expire(key(token), 60, 'NX').exec();
    },
  };
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

function hostnameOf(host: string): string {
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  const i = host.lastIndexOf(':');
  return (i < 0 ? host : host.slice(0, i)).toLowerCase();
}

/**
 * In local mode the console answers only to this machine: the request must come from a
 * loopback address (the server listens on nothing else, but a proxy or a wrong bind could
 * still hand it one from elsewhere), and name a loopback host (a page on some other site that
 * rebinds its name to 127.0.0.1 is refused).
 */
export function localProblem(req: IncomingMessage, config: Config): string | undefined {
  if (config.mode !== 'local') return undefined;
  const from = req.socket.remoteAddress;
  if (!isLoopbackAddress(from)) return `the console in local mode answers this machine only, not ${from ?? 'an unknown address'}`;
  const host = req.headers.host;
  if (host === undefined) return 'no Host header';
  const name = hostnameOf(host);
  if (LOOPBACK.has(name) || (name === config.server.host.toLowerCase() && isLoopbackBind(config.server.host))) return undefined;
  return `the console in local mode answers on loopback names only, not ${name}`;
}

/** Why a state-changing request is refused as possibly cross-site, if it is. */
export function csrfProblem(req: IncomingMessage): string | undefined {
  if (req.headers[CSRF_HEADER] !== '1') return `the ${CSRF_HEADER} header is missing`;
  const type = req.headers['content-type'] ?? '';
  if (!type.toLowerCase().startsWith('application/json')) return 'the body must be JSON';
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin') return `a ${site} request`;
  const origin = req.headers.origin;
  if (origin !== undefined) {
    let originHost: string;
    try {
      originHost = new URL(origin).host;
    } catch {
      return 'a malformed Origin';
    }
    if (originHost !== req.headers.host) return 'another origin';
  }
  return undefined;
}
