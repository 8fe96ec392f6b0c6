import type { IncomingMessage, ServerResponse } from 'node:http';
import { App, HTTPReceiver, LogLevel, type Logger as BoltLogger } from '@slack/bolt';
import type { Config } from '../../config/schema.ts';
import type { Message } from '../../core/message.ts';
import { claim } from '../../jobs/dedupe.ts';
import type { Log } from '../../log.ts';
import type { Outbox } from '../../notify/outbox.ts';
import type { Metrics } from '../../server/metrics.ts';
import type { Services } from '../../service/services.ts';
import { platformIdOf, resolvePerson, within } from '../identity.ts';
import { carryOut, click, clickActionOf, precheck } from '../inbound.ts';
import { ACTION_ID, commandLine, SLASH_COMMANDS } from './commands.ts';
import { renderSlack } from './render.ts';
import { createSlackClient, createSlackSender } from './sender.ts';

/**
 * The Slack adapter: a Bolt 5 app on the HTTP receiver (mounted on the bot's own server) or in
 * Socket Mode. Every handler acks first: refusals that parse and policy find go into the ack
 * (ephemeral), everything else is carried out after it and answered through the outbox or the
 * request's response_url. Requests from another workspace are refused, and so are users whose
 * own team is another (Slack Connect guests); Slack user ids become config people by id, or by
 * an email Slack has confirmed (users.info).
 */
export type SlackConfig = NonNullable<Config['slack']>;

export interface SlackAdapter {
  readonly app: App;
  /** HTTP mode: the request handler for POST /slack/events (signature checked by Bolt). */
  readonly requestListener: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  readonly sender: ReturnType<typeof createSlackSender>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface SlackAdapterOptions {
  readonly s: Services;
  readonly outbox: Outbox;
  readonly slack: SlackConfig;
  readonly log: Log;
  readonly metrics?: Metrics | undefined;
  /** Tests shorten Bolt's 3 s wait for an ack that never comes. */
  readonly unhandledRequestTimeoutMillis?: number;
}

/** How long a slash command waits for users.info before it acks and answers later (Slack wants the ack within 3 s). */
const USER_LOOKUP_MS = 1500;

function boltLogger(log: Log): BoltLogger {
  let level = LogLevel.WARN;
  return {
    debug: () => undefined,
    info: () => undefined,
    warn: (...m: unknown[]) => log.warn({ slack: m.map(String).join(' ') }, 'bolt'),
    error: (...m: unknown[]) => log.error({ slack: m.map(String).join(' ') }, 'bolt'),
    setLevel: (l: LogLevel) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}

/** The team a request came from, wherever its payload type keeps it. */
function teamOf(body: unknown): string | undefined {
  const b = body as { team_id?: unknown; team?: { id?: unknown } | null; user?: { team_id?: unknown } };
  for (const v of [b.team_id, b.team?.id, b.user?.team_id]) if (typeof v === 'string' && v !== '') return v;
  return undefined;
}

export function createSlackAdapter(o: SlackAdapterOptions): SlackAdapter {
  const { s, outbox, slack, log } = o;
  const logger = boltLogger(log);
  const clientOptions = { ...(slack.apiUrl === undefined ? {} : { slackApiUrl: slack.apiUrl }), retryConfig: { retries: 0 }, timeout: 10_000 };
  const receiver =
    slack.mode === 'http'
      ? new HTTPReceiver({
          signingSecret: slack.signingSecret ?? '',
          endpoints: '/slack/events',
          logger,
          ...(o.unhandledRequestTimeoutMillis === undefined ? {} : { unhandledRequestTimeoutMillis: o.unhandledRequestTimeoutMillis }),
        })
      : undefined;
  const app = new App({
    token: slack.botToken,
    logger,
    clientOptions,
    deferInitialization: true,
    ...(receiver === undefined ? { socketMode: true, appToken: slack.appToken ?? '' } : { receiver }),
  });
  const client = createSlackClient(slack.botToken, slack.apiUrl);
  const slackIdOf = (person: string) => platformIdOf(s.config, 'slack', person);
  const sender = createSlackSender(client, slackIdOf);
  const render = (m: Message, seed: string) => renderSlack(m, { slackIdOf, blockIdSeed: seed });
  /**
   * The config person a Slack user is, if any: only a user of the workspace the bot serves (the
   * payload's word for the user's team, else users.info's), by id, else by an email Slack has
   * confirmed (identity.ts).
   */
  const who = (userId: string, userTeam: string | undefined) =>
    resolvePerson(s, 'slack', userId, {
      team: { serves: slack.teamId, fromPayload: userTeam },
      lookup: async (id) => {
        const r = await client.users.info({ user: id });
        const u = r.user;
        if (u === undefined) throw new Error('users.info returned no user');
        return { team: u.team_id, verifiedEmail: u.is_email_confirmed === true ? u.profile?.email : undefined };
      },
    });

  // Deny by default: nothing from another workspace reaches a handler.
  app.use(async (args) => {
    const team = teamOf(args.body);
    if (team === slack.teamId) {
      await args.next();
      return;
    }
    log.warn({ team }, 'slack request from another workspace refused');
    if ('ack' in args && typeof args.ack === 'function') {
      const ack = args.ack as (r?: unknown) => Promise<void>;
      await ack({ response_type: 'ephemeral', text: 'This bot serves another Slack workspace; nothing was done.' });
    }
  });

  for (const name of SLASH_COMMANDS) {
    app.command(`/${name}`, async ({ command, ack, respond }) => {
      const text = commandLine(command.command, command.text);
      // A slash command says only where it was typed, not whose team the user is on: that takes
      // users.info (cached for an hour). Slack wants the ack within 3 s: a lookup still running
      // after USER_LOOKUP_MS gets an empty ack first, and the answer follows by response_url.
      // Who the user is never depends on how fast the lookup was.
      const lookup = who(command.user_id, undefined);
      const early = await within(USER_LOOKUP_MS, lookup.then((actor) => ({ actor })), undefined);
      if (early === undefined) await ack();
      const acked = early === undefined;
      const actor = early === undefined ? await lookup : early.actor;
      const pre = await precheck(s, text, actor);
      if (pre.kind === 'stop') {
        o.metrics?.commands.inc({ platform: 'slack', outcome: 'answered' });
        const answer = { response_type: 'ephemeral' as const, ...render(pre.message, command.trigger_id) };
        if (acked) await respond(answer);
        else await ack(answer);
        return;
      }
      o.metrics?.commands.inc({ platform: 'slack', outcome: 'carried_out' });
      if (!acked) await ack();
      try {
        const done = await carryOut(s, outbox, { channel: `slack:${command.channel_id}`, actor, text, deliveryId: `slack-cmd:${command.trigger_id}` });
        const note = done.live ? done.tell : done.message;
        if (note !== undefined) await respond({ response_type: 'ephemeral', ...render(note, `${command.trigger_id}-r`) });
      } catch (e) {
        log.error({ err: e, command: name }, 'slash command failed after its ack');
        await respond({ response_type: 'ephemeral', text: 'Something went wrong on my side after I took your request; nothing may have been done. Check /ops jobs, and try again.' });
      }
    });
  }

  app.event('app_mention', async ({ event, body }) => {
    const eventId = (body as { event_id?: string }).event_id ?? `${event.channel}:${event.ts}`;
    // Events are retried (X-Slack-Retry-Num) and redelivered: one event acts once.
    if (!(await claim(s.redis, s.prefix, `slack-event:${eventId}`, '1')).first) return;
    const channel = `slack:${event.channel}`;
    const threadRef = event.thread_ts ?? event.ts;
    const actor = event.user === undefined ? undefined : await who(event.user, event.user_team);
    const pre = await precheck(s, event.text, actor);
    if (pre.kind === 'stop') {
      o.metrics?.commands.inc({ platform: 'slack', outcome: 'answered' });
      await outbox.post(channel, pre.message, { dedupeId: `slack-event:${eventId}:answer`, threadRef });
      return;
    }
    o.metrics?.commands.inc({ platform: 'slack', outcome: 'carried_out' });
    const done = await carryOut(s, outbox, { channel, actor, text: event.text, deliveryId: `slack-event:${eventId}`, threadRef });
    if (!done.live) await outbox.post(channel, done.message, { dedupeId: `slack-event:${eventId}:answer`, threadRef });
  });

  app.action(ACTION_ID, async ({ ack, body, action, respond }) => {
    await ack();
    const kind = clickActionOf((action as { action_id: string }).action_id);
    const value = (action as { value?: string }).value;
    if (kind === undefined || value === undefined || body.type !== 'block_actions') return;
    o.metrics?.clicks.inc({ platform: 'slack', action: kind });
    const actor = await who(body.user.id, body.user.team_id);
    const channel = `slack:${body.channel?.id ?? body.container.channel_id as string}`;
    // Slack makes a trigger id per interaction and stamps the action's time; a replay repeats both.
    const deliveryId = `slack-click:${body.trigger_id}:${(action as { action_ts?: string }).action_ts ?? ''}`;
    const reply = await click(s, outbox, kind, { value, actor, channel, deliveryId });
    if (reply !== undefined) await respond({ response_type: 'ephemeral', replace_original: false, ...render(reply.message, `${value}-${body.user.id}`) });
  });

  app.error((e) => {
    log.error({ err: e }, 'slack handler failed');
    return Promise.resolve();
  });

  return {
    app,
    requestListener: receiver?.requestListener,
    sender,
    async start() {
      await app.init();
      if (receiver === undefined) await app.start();
    },
    async stop() {
      if (receiver === undefined) await app.stop();
    },
  };
}
