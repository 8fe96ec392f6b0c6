import { createHmac, randomBytes } from 'node:crypto';

/**
 * Requests built exactly as Slack sends them to an app's Request URL: v0 signatures, the
 * form-encoded slash command body, the `payload=<json>` interactivity body and the
 * `event_callback` JSON envelope. The `*Payload` builders return the same content as objects,
 * which is what a Socket Mode envelope carries (see slack-socket.ts).
 */

export const FAKE_TEAM_ID = 'T000FAKE';
export const FAKE_APP_ID = 'A000FAKEAPP';
export const FAKE_BOT_USER_ID = 'U000FAKEBOT';
/** The deprecated verification token Slack still puts in every payload. */
export const FAKE_VERIFICATION_TOKEN = 'fakeVerificationToken000';

export type SlackContentType = 'application/x-www-form-urlencoded' | 'application/json';

export interface SlackSignatureHeaders {
  'x-slack-request-timestamp': string;
  'x-slack-signature': string;
}

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** `x-slack-signature` = `v0=` + hex(HMAC-SHA256(secret, `v0:${ts}:${rawBody}`)); ts in unix seconds. */
export function signSlack(secret: string, rawBody: string, ts: number = nowSeconds()): SlackSignatureHeaders {
  const signature = createHmac('sha256', secret).update(`v0:${ts}:${rawBody}`).digest('hex');
  return { 'x-slack-request-timestamp': String(ts), 'x-slack-signature': `v0=${signature}` };
}

/** A trigger_id shaped like Slack's: `<digits>.<digits>.<32 hex>`. */
export function fakeTriggerId(): string {
  return `${Date.now()}${Math.floor(Math.random() * 1000)}.${Math.floor(Math.random() * 1e12)}.${randomBytes(16).toString('hex')}`;
}

/** An action_ts / event_ts shaped like Slack's: seconds with 6 decimals. */
function slackTsNow(): string {
  const ms = Date.now();
  return `${Math.floor(ms / 1000)}.${String((ms % 1000) * 1000 + Math.floor(Math.random() * 1000)).padStart(6, '0')}`;
}

export interface SlashCommandInput {
  command: string;
  text: string;
  user_id: string;
  team_id: string;
  channel_id: string;
  response_url: string;
  trigger_id?: string;
  user_name?: string;
  channel_name?: string;
  team_domain?: string;
  api_app_id?: string;
  /** Only for Enterprise Grid installs; Slack then also sends enterprise_name. */
  enterprise_id?: string;
}

/** The fields of a slash command, in the order Slack sends them (all values are strings). */
export function slashCommandPayload(input: SlashCommandInput): Record<string, string> {
  return {
    token: FAKE_VERIFICATION_TOKEN,
    team_id: input.team_id,
    team_domain: input.team_domain ?? 'fake-team',
    ...(input.enterprise_id !== undefined ? { enterprise_id: input.enterprise_id, enterprise_name: 'Fake Enterprise' } : {}),
    channel_id: input.channel_id,
    channel_name: input.channel_name ?? 'ops',
    user_id: input.user_id,
    user_name: input.user_name ?? input.user_id.toLowerCase(),
    command: input.command,
    text: input.text,
    api_app_id: input.api_app_id ?? FAKE_APP_ID,
    is_enterprise_install: 'false',
    response_url: input.response_url,
    trigger_id: input.trigger_id ?? fakeTriggerId(),
  };
}

/** The exact `application/x-www-form-urlencoded` body Slack POSTs for a slash command. */
export function slashCommandBody(input: SlashCommandInput): string {
  return new URLSearchParams(slashCommandPayload(input)).toString();
}

export interface BlockActionInput {
  action_id: string;
  value: string;
  user_id: string;
  team_id: string;
  channel_id: string;
  /** The ts of the message the button is on. */
  message_ts: string;
  response_url: string;
  block_id?: string;
  trigger_id?: string;
  user_name?: string;
  channel_name?: string;
  api_app_id?: string;
  /** Set when the message is a thread reply. */
  thread_ts?: string;
  /** The clicked message's content as Slack echoes it back (text, blocks, …); merged into `message`. */
  message?: Record<string, unknown>;
  /** The button's label; Slack echoes it in the action. */
  button_text?: string;
  /** The clicker's own team (user.team_id) when it is not the workspace's: a Slack Connect member of another organisation. */
  user_team_id?: string;
}

/** A `block_actions` payload for one button click on a message, as Slack sends it. */
export function blockActionPayload(input: BlockActionInput): Record<string, unknown> {
  const userName = input.user_name ?? input.user_id.toLowerCase();
  return {
    type: 'block_actions',
    user: { id: input.user_id, username: userName, name: userName, team_id: input.user_team_id ?? input.team_id },
    api_app_id: input.api_app_id ?? FAKE_APP_ID,
    token: FAKE_VERIFICATION_TOKEN,
    container: {
      type: 'message',
      message_ts: input.message_ts,
      channel_id: input.channel_id,
      is_ephemeral: false,
      ...(input.thread_ts !== undefined ? { thread_ts: input.thread_ts } : {}),
    },
    trigger_id: input.trigger_id ?? fakeTriggerId(),
    team: { id: input.team_id, domain: 'fake-team' },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: input.channel_id, name: input.channel_name ?? 'ops' },
    message: {
      type: 'message',
      user: FAKE_BOT_USER_ID,
      ts: input.message_ts,
      ...(input.thread_ts !== undefined ? { thread_ts: input.thread_ts } : {}),
      ...input.message,
    },
    state: { values: {} },
    response_url: input.response_url,
    actions: [
      {
        action_id: input.action_id,
        block_id: input.block_id ?? 'actions',
        text: { type: 'plain_text', text: input.button_text ?? input.action_id, emoji: true },
        value: input.value,
        type: 'button',
        action_ts: slackTsNow(),
      },
    ],
  };
}

/** The exact form body (`payload=<json>`) Slack POSTs for a button click. */
export function blockActionBody(input: BlockActionInput): string {
  return new URLSearchParams({ payload: JSON.stringify(blockActionPayload(input)) }).toString();
}

export interface AppMentionInput {
  event_id: string;
  user: string;
  team_id: string;
  channel: string;
  text: string;
  ts: string;
  thread_ts?: string;
  /** The bot user the event is delivered to (authorizations[0].user_id). */
  bot_user_id?: string;
  api_app_id?: string;
  /** The author's own team (event.user_team) when it is not the workspace's: a Slack Connect member of another organisation. */
  user_team?: string;
}

/** An `event_callback` envelope carrying an `app_mention` event. */
export function appMentionEventPayload(input: AppMentionInput): Record<string, unknown> {
  return {
    token: FAKE_VERIFICATION_TOKEN,
    team_id: input.team_id,
    context_team_id: input.team_id,
    context_enterprise_id: null,
    api_app_id: input.api_app_id ?? FAKE_APP_ID,
    event: {
      type: 'app_mention',
      user: input.user,
      text: input.text,
      ts: input.ts,
      team: input.user_team ?? input.team_id,
      user_team: input.user_team ?? input.team_id,
      source_team: input.user_team ?? input.team_id,
      channel: input.channel,
      event_ts: input.ts,
      ...(input.thread_ts !== undefined ? { thread_ts: input.thread_ts } : {}),
    },
    type: 'event_callback',
    event_id: input.event_id,
    event_time: Math.floor(Number(input.ts)) || nowSeconds(),
    authorizations: [
      { enterprise_id: null, team_id: input.team_id, user_id: input.bot_user_id ?? FAKE_BOT_USER_ID, is_bot: true, is_enterprise_install: false },
    ],
    is_ext_shared_channel: input.user_team !== undefined && input.user_team !== input.team_id,
    event_context: `4-${Buffer.from(`${input.team_id}:${input.channel}`).toString('base64url')}`,
  };
}

/** The exact JSON body Slack POSTs for an app_mention event. */
export function appMentionEventBody(input: AppMentionInput): string {
  return JSON.stringify(appMentionEventPayload(input));
}

export interface PostSignedOptions {
  secret: string;
  /** Sent verbatim (Bolt compares it strictly). Defaults to JSON for a body starting with `{`, else form. */
  contentType?: SlackContentType;
  /** Request timestamp in unix seconds (default now); e.g. now − 301 for a stale request. */
  ts?: number;
  /** Adds `X-Slack-Retry-Num` and `X-Slack-Retry-Reason` (Events API redeliveries). */
  retryNum?: number;
  retryReason?: string;
  signal?: AbortSignal;
}

/** POSTs `body` to `url` signed with `secret`, with the headers Slack sends. */
export function postSigned(url: string, body: string, opts: PostSignedOptions): Promise<Response> {
  const contentType = opts.contentType ?? (body.trimStart().startsWith('{') ? 'application/json' : 'application/x-www-form-urlencoded');
  const headers: Record<string, string> = {
    'content-type': contentType,
    'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
    accept: '*/*',
    ...signSlack(opts.secret, body, opts.ts),
  };
  if (opts.retryNum !== undefined) {
    headers['x-slack-retry-num'] = String(opts.retryNum);
    headers['x-slack-retry-reason'] = opts.retryReason ?? 'http_timeout';
  }
  return fetch(url, { method: 'POST', headers, body, ...(opts.signal !== undefined ? { signal: opts.signal } : {}) });
}
