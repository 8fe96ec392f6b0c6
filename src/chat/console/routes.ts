import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { redactMessage } from '../../core/redact.ts';
import { claim } from '../../jobs/dedupe.ts';
import type { Log } from '../../log.ts';
import type { Outbox } from '../../notify/outbox.ts';
import type { Handler } from '../../server/http.ts';
import type { Metrics } from '../../server/metrics.ts';
import type { Services } from '../../service/services.ts';
import { carryOut, click, clickActionOf, precheck } from '../inbound.ts';
import { consoleAccess, cookieOf, createSignInLimit, csrfProblem, localProblem, personForToken, SESSION_COOKIE, sessionCookie, tokenFingerprint, type Sessions } from './auth.ts';
import { alertChannels, buildDashboard } from './dashboard.ts';
import type { ConsoleHub } from './hub.ts';
import { HttpError, pathAfter, query, readJson, sendError, sendJson, sendStatic, SECURITY_HEADERS, str, STATIC_FILES, type StaticFile } from './http.ts';
import { CONSOLE_CHANNEL, DEFAULT_CHANNEL, type ConsoleStore } from './store.ts';

/**
 * The console's HTTP routes. A typed line goes through precheck and carryOut and a click
 * through click(): the same code Slack and Lark use, with the person the console knows (the
 * local chooser, or the signed-in session). As with a mention in Slack, a line that is carried
 * out shows in the channel with its answer or its operation's live message (through the
 * outbox); what precheck refuses (a typo, a verb you may not use, help) and what a click tells
 * the clicker come back in the response, for that person alone. The pages follow their channel
 * by Server-Sent Events.
 */
export interface RouteDeps {
  readonly s: Services;
  readonly outbox: Outbox;
  readonly store: ConsoleStore;
  readonly hub: ConsoleHub;
  readonly sessions: Sessions;
  readonly log: Log;
  /** Commands and clicks are counted as Slack's and Lark's are (absent in tests that build routes alone). */
  readonly metrics?: Metrics | undefined;
}

const FAILED_LOGINS_PER_MINUTE = 10;

/** The page's id for a command or click (a retried request repeats it), or a new one. */
function requestId(body: Record<string, unknown>): string {
  const rid = str(body, 'id', 64) ?? randomBytes(12).toString('hex');
  if (!/^[A-Za-z0-9_-]{8,64}$/.test(rid)) throw new HttpError(400, 'id must be 8-64 letters, digits, _ or -');
  return rid;
}

export function consoleRoutes(d: RouteDeps): Record<string, Handler> {
  const { s, outbox, store, hub, sessions, log, metrics } = d;
  const config = s.config;
  const access = consoleAccess(config);
  const signIns = createSignInLimit(s.redis, s.prefix, FAILED_LOGINS_PER_MINUTE);

  /** Who is asking (undefined: nobody signed in); throws for a request that must not go on. */
  const whoIs = async (req: IncomingMessage, chosen: string | undefined): Promise<string | undefined> => {
    if (access === 'chooser') {
      if (chosen === undefined) return undefined;
      if (!Object.hasOwn(config.people, chosen)) throw new HttpError(400, `No person "${chosen}" in the config.`);
      return chosen;
    }
    if (access === 'closed') throw new HttpError(403, 'The console is closed: no person has a console token (people.<name>.consoleTokenHash).');
    const sid = cookieOf(req, SESSION_COOKIE);
    const session = await sessions.get(sid);
    if (session === undefined) return undefined;
    const { person } = session;
    // The person's token changed (or was taken away) since this session began: it is over.
    const configured = Object.hasOwn(config.people, person) ? config.people[person]?.consoleTokenHash : undefined;
    if (configured === undefined || tokenFingerprint(configured) !== session.token) {
      await sessions.end(sid);
      return undefined;
    }
    if (chosen !== undefined && chosen !== person) throw new HttpError(403, `You are signed in as ${person}; switching person is only possible in local mode.`);
    return person;
  };

  const mustBe = async (req: IncomingMessage, chosen: string | undefined): Promise<string> => {
    const who = await whoIs(req, chosen);
    if (who === undefined) throw new HttpError(401, access === 'chooser' ? 'Choose who you are first.' : 'Sign in first.');
    return who;
  };

  /** Reads need a signed-in person outside local mode; in local mode the page reads freely. */
  const mayRead = async (req: IncomingMessage): Promise<void> => {
    if (access !== 'chooser') await mustBe(req, undefined);
  };

  const channelOf = (raw: string | null | undefined): string => {
    const c = raw === null || raw === undefined || raw === '' ? DEFAULT_CHANNEL : raw;
    if (!CONSOLE_CHANNEL.test(c)) throw new HttpError(400, 'A channel is console:<name> (letters, digits, . _ -).');
    return c;
  };

  /** Every console request: the host check; for POSTs the CSRF checks; errors as JSON. */
  const guard =
    (kind: 'read' | 'write', fn: (req: IncomingMessage, res: ServerResponse) => Promise<void>): Handler =>
    async (req, res) => {
      try {
        const local = localProblem(req, config);
        if (local !== undefined) throw new HttpError(403, local);
        if (kind === 'write') {
          const csrf = csrfProblem(req);
          if (csrf !== undefined) {
            req.resume();
            throw new HttpError(403, `Refused: ${csrf}.`);
          }
        }
        await fn(req, res);
      } catch (e) {
        if (!(e instanceof HttpError)) throw e;
        if (e.status >= 403) log.warn({ path: req.url?.split('?')[0], status: e.status, problem: e.message }, 'console request refused');
        if (!res.headersSent) sendError(res, e);
        else res.end();
      }
    };

  const page = (name: StaticFile): Handler =>
    guard('read', (_req, res) => {
      sendStatic(res, name);
      return Promise.resolve();
    });

  const channelsFor = async (): Promise<string[]> => {
    const known = await store.channels();
    return [...new Set([DEFAULT_CHANNEL, ...known.filter((c) => c.startsWith('console:')), ...alertChannels(config, known)])];
  };

  /** An SSE response: headers, a retry hint, a heartbeat, and cleanup when the page goes. */
  const sse = (req: IncomingMessage, res: ServerResponse, start: (send: (event: string, data: unknown) => void) => () => void): void => {
    res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'text/event-stream; charset=utf-8', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write('retry: 2000\n\n');
    const send = (event: string, data: unknown) => {
      if (!res.writableEnded) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    };
    const stop = start(send);
    const beat = setInterval(() => {
      if (!res.writableEnded) res.write(': keep-alive\n\n');
    }, 15_000);
    const end = () => {
      clearInterval(beat);
      stop();
    };
    req.on('close', end);
    res.on('close', end);
  };

  const routes: Record<string, Handler> = {
    'GET /console': (_req, res) => {
      res.writeHead(302, { ...SECURITY_HEADERS, location: '/console/' });
      res.end();
    },
    'GET /console/': page('index.html'),
    'GET /console/dashboard': page('dashboard.html'),

    'GET /console/api/session': guard('read', async (req, res) => {
      const me = access === 'closed' ? undefined : await whoIs(req, undefined);
      const open = access === 'chooser' || me !== undefined;
      sendJson(res, 200, {
        mode: config.mode,
        access,
        me: me ?? null,
        operator: access === 'chooser' ? (config.operator ?? null) : null,
        people: open && access === 'chooser' ? Object.entries(config.people).map(([name, p]) => ({ name, display: p.name ?? name })) : [],
        channels: open ? await channelsFor() : [],
      });
    }),

    'POST /console/api/login': guard('write', async (req, res) => {
      if (access !== 'tokens') throw new HttpError(access === 'chooser' ? 400 : 403, access === 'chooser' ? 'Local mode needs no sign-in: choose who you are.' : 'The console is closed: no person has a console token.');
      const body = await readJson(req);
      const token = str(body, 'token', 1024) ?? '';
      if (await signIns.blocked(token)) throw new HttpError(429, 'Too many failed sign-ins with this token; wait a minute.');
      const person = personForToken(config, token);
      const tokenHash = person === undefined ? undefined : config.people[person]?.consoleTokenHash;
      if (person === undefined || tokenHash === undefined) {
        await signIns.failed(token);
        log.warn({ ip: req.socket.remoteAddress }, 'console sign-in with an unknown token');
        throw new HttpError(401, 'That token belongs to nobody in the config.');
      }
      const sid = await sessions.create(person, tokenHash);
      log.info({ person }, 'console sign-in');
      sendJson(res, 200, { me: person }, { 'set-cookie': sessionCookie(req, sid) });
    }),

    'POST /console/api/logout': guard('write', async (req, res) => {
      req.resume();
      await sessions.end(cookieOf(req, SESSION_COOKIE));
      sendJson(res, 200, { me: null }, { 'set-cookie': sessionCookie(req, '', 0) });
    }),

    'GET /console/api/messages': guard('read', async (req, res) => {
      await mayRead(req);
      const channel = channelOf(query(req).get('channel'));
      sendJson(res, 200, { channel, entries: await store.list(channel) });
    }),

    'GET /console/api/events': guard('read', async (req, res) => {
      await mayRead(req);
      const channel = channelOf(query(req).get('channel'));
      sse(req, res, (send) => {
        // Subscribe first, then the snapshot: a change in between arrives twice, never not at all.
        const off = hub.onChannel(channel, (id) => {
          store.get(channel, id).then(
            (e) => e !== undefined && send('entry', e),
            (e: unknown) => log.warn({ err: e }, 'console entry read failed'),
          );
        });
        store.list(channel).then(
          (entries) => send('snapshot', { channel, entries }),
          (e: unknown) => log.warn({ err: e }, 'console snapshot failed'),
        );
        return off;
      });
    }),

    'POST /console/api/command': guard('write', async (req, res) => {
      const body = await readJson(req);
      const actor = await mustBe(req, str(body, 'as', 64));
      const channel = channelOf(str(body, 'channel', 80));
      const text = (str(body, 'text', 4000) ?? '').trim();
      if (text === '') throw new HttpError(400, 'Type a command, e.g. help or /deploy web v1.4.2 to prod.');
      const rid = requestId(body);
      const pre = await precheck(s, text, actor);
      metrics?.commands.inc({ platform: 'console', outcome: pre.kind === 'stop' ? 'answered' : 'carried_out' });
      if (pre.kind === 'stop') {
        sendJson(res, 200, { live: false, reply: redactMessage(pre.message) });
        return;
      }
      // What was typed shows in the channel (once per request), so everyone watching sees who asked for what.
      const deliveryId = `console:${actor}:${rid}`;
      if ((await claim(s.redis, s.prefix, `${deliveryId}:said`, '1')).first) await store.putSaid(channel, actor, text);
      const done = await carryOut(s, outbox, { channel, actor, text, deliveryId });
      // Answers (a status, a decision typed as /approve) follow the line in the channel, as a
      // mention's answer does in Slack; an operation's own message is already there.
      if (!done.live) await outbox.post(channel, done.message, { dedupeId: `${deliveryId}:answer` });
      sendJson(res, 200, { live: done.live, opId: done.reply.opId ?? null, reply: null });
    }),

    'POST /console/api/click': guard('write', async (req, res) => {
      const body = await readJson(req);
      const actor = await mustBe(req, str(body, 'as', 64));
      const channel = channelOf(str(body, 'channel', 80));
      const action = clickActionOf(str(body, 'action', 40) ?? '');
      const value = str(body, 'value', 200);
      if (action === undefined || value === undefined || value === '') throw new HttpError(400, 'Unknown button.');
      const rid = requestId(body);
      metrics?.clicks.inc({ platform: 'console', action });
      const reply = await click(s, outbox, action, { value, actor, channel, deliveryId: `console-click:${actor}:${rid}` });
      sendJson(res, 200, { reply: reply === undefined ? null : redactMessage(reply.message), opId: reply?.opId ?? null });
    }),

    'GET /console/api/dashboard': guard('read', async (req, res) => {
      await mayRead(req);
      sendJson(res, 200, redactMessage(await buildDashboard(s, store)));
    }),

    'GET /console/api/dashboard/events': guard('read', async (req, res) => {
      await mayRead(req);
      sse(req, res, (send) => {
        // Changes come in bursts (every rollout step): tell the page at most twice a second.
        let timer: NodeJS.Timeout | undefined;
        const off = hub.onAnything(() => {
          timer ??= setTimeout(() => {
            timer = undefined;
            send('changed', { at: new Date().toISOString() });
          }, 500);
        });
        send('changed', { at: new Date().toISOString() });
        return () => {
          off();
          if (timer !== undefined) clearTimeout(timer);
        };
      });
    }),

    // The config's job links (links.job: http://127.0.0.1:3000/ops/{jobId}) open the dashboard.
    'GET /ops/*': (req, res) => {
      const id = pathAfter(req, '/ops/');
      if (id === undefined) {
        sendError(res, new HttpError(400, 'That link is malformed (a bad %-escape in the path).'));
        return;
      }
      const target = /^[A-Za-z0-9_-]{1,80}$/.test(id) ? `/console/dashboard#${id}` : '/console/dashboard';
      res.writeHead(302, { ...SECURITY_HEADERS, location: target });
      res.end();
    },
  };
  for (const name of STATIC_FILES) {
    if (name.endsWith('.html')) continue;
    routes[`GET /console/static/${name}`] = page(name);
  }
  return routes;
}
