import { randomBytes } from 'node:crypto';
import { validateConfig } from '../../../src/config/load.ts';
import type { Config } from '../../../src/config/schema.ts';
import type { OpRecord, OpStatus } from '../../../src/jobs/operations.ts';
import { startFakeSlackApi, type FakeMessage, type FakeSlackApi, type RecordedCall, type ResponseUrlPost } from '../../fakes/slack-api.ts';
import { blockActionBody, FAKE_TEAM_ID, postSigned, slashCommandBody } from '../../fakes/slack-sign.ts';
import { commandLine } from '../../../src/chat/slack/commands.ts';
import { BOT_USER, cluster } from '../support/cluster.ts';
import { waitFor } from '../support/workloads.ts';
import { startBot, type Bot } from './support.ts';

/**
 * A bot on the real Bolt receiver with the Slack Web API faked, driven the way Slack drives it:
 * signed slash commands and signed button clicks over HTTP, for tests that follow an operation
 * from the request to its live message. People are known by Slack id (U0<NAME>…).
 */
export const SLACK_IDS: Readonly<Record<string, string>> = {
  alice: 'U0ALICE01',
  bob: 'U0BOB0001',
  carol: 'U0CAROL01',
  dave: 'U0DAVE001',
  erin: 'U0ERIN001',
};

export interface RigConfig {
  readonly environments: Record<string, unknown>;
  readonly apps: Record<string, unknown>;
  readonly groups: Record<string, string[]>;
  readonly access: unknown[];
  /** Cluster names (default gz). */
  readonly clusters?: readonly string[];
}

export function rigConfig(secret: string, apiUrl: string, c: RigConfig): Config {
  const doc = {
    mode: 'production',
    people: Object.fromEntries(Object.entries(SLACK_IDS).map(([name, slack]) => [name, { slack }])),
    groups: c.groups,
    clusters: Object.fromEntries((c.clusters ?? ['gz']).map((n) => [n, { region: cluster(n).region, kubeconfig: cluster(n).kubeconfig, context: cluster(n).botContext }])),
    environments: c.environments,
    apps: c.apps,
    access: c.access,
    kubernetes: { identity: { kind: 'User', name: BOT_USER } },
    slack: { signingSecret: secret, botToken: TOKEN, teamId: FAKE_TEAM_ID, apiUrl },
  };
  const r = validateConfig(doc, {});
  if (!r.ok) throw new Error(`rig config is invalid: ${JSON.stringify(r.error)}`);
  return r.value;
}

const TOKEN = 'xoxb-test-0000-token';

export interface Rig {
  readonly bot: Bot;
  readonly fake: FakeSlackApi;
  readonly channel: string;
  /** A slash command as `who` typed it ("/deploy web v2 to staging"); resolves once Bolt answered the HTTP request. */
  slash(who: string, line: string): Promise<{ responseUrl: string; status: number; ack: string }>;
  /** A button click on the message `messageTs`. */
  click(who: string, action: string, value: string, messageTs: string): Promise<{ responseUrl: string; status: number }>;
  /** What the bot posted to a response_url (the private answer to a command or a click). */
  response(url: string, timeoutMs?: number): Promise<ResponseUrlPost>;
  /** The live message of an operation in the channel, once `ok` holds for it. */
  opMessage(opId: string, ok?: (text: string) => boolean, timeoutMs?: number): Promise<FakeMessage>;
  /** Every chat.postMessage / chat.update the bot sent about an operation, oldest first. */
  versions(opId: string): RecordedCall[];
  waitForOp(opId: string, statuses: readonly OpStatus[], timeoutMs?: number): Promise<OpRecord>;
  /** The operations a slash command line made ("/deploy web v2 to staging"), newest first. */
  opsOf(line: string): Promise<OpRecord[]>;
  /** The one operation a line made, once it exists. */
  opOf(line: string, timeoutMs?: number): Promise<OpRecord>;
  /** Restarts the bot on the same Redis prefix with another config (a config change is a restart). */
  restart(config: (secret: string, apiUrl: string) => Config): Promise<void>;
  stop(): Promise<void>;
}

export function textOf(m: { text?: unknown; blocks?: unknown }): string {
  return `${typeof m.text === 'string' ? m.text : ''}\n${JSON.stringify(m.blocks ?? [])}`;
}

/** The value of the first button whose action is `action` (a "-2" suffix ignored). */
export function buttonValue(m: { blocks?: unknown }, action: string): string | undefined {
  for (const block of (m.blocks ?? []) as { type?: string; elements?: { action_id?: string; value?: string }[] }[]) {
    if (block.type !== 'actions') continue;
    for (const e of block.elements ?? []) if (e.action_id?.replace(/-\d+$/, '') === action) return e.value;
  }
  return undefined;
}

export async function startRig(config: (secret: string, apiUrl: string) => Config, channel = 'C0TRUST01', worker: { rolloutTimeoutMs?: number } = {}): Promise<Rig> {
  const secret = `secret-${randomBytes(8).toString('hex')}`;
  // users.info knows every rig person as a member of the served workspace (slash commands need it).
  const fake = await startFakeSlackApi({ token: TOKEN, users: Object.fromEntries(Object.entries(SLACK_IDS).map(([name, id]) => [id, { team_id: FAKE_TEAM_ID, name }])) });
  const prefix = `chat-${randomBytes(4).toString('hex')}:`;
  let bot = await startBot(config(secret, fake.url), { prefix }, worker);
  let responses = 0;
  /** When each line was last sent (for records from before `request` was kept). */
  const sent = new Map<string, number>();
  const events = () => `${bot.api.url}/slack/events`;
  const calls = (opId: string) => fake.calls.filter((c) => (c.method === 'chat.postMessage' || c.method === 'chat.update') && c.args['channel'] === channel && textOf(c.args).includes(opId));
  const rig: Rig = {
    get bot() {
      return bot;
    },
    fake,
    channel,
    async slash(who, line) {
      const [command = '', ...rest] = line.trim().split(/\s+/);
      const responseUrl = fake.responseUrl(`r${++responses}`);
      sent.set(commandLine(command, rest.join(' ')), Date.now() - 5);
      const body = slashCommandBody({ command, text: rest.join(' '), user_id: SLACK_IDS[who] ?? who, team_id: FAKE_TEAM_ID, channel_id: channel, response_url: responseUrl });
      const res = await postSigned(events(), body, { secret });
      return { responseUrl, status: res.status, ack: await res.text() };
    },
    async click(who, action, value, messageTs) {
      const responseUrl = fake.responseUrl(`r${++responses}`);
      const body = blockActionBody({ action_id: action, value, user_id: SLACK_IDS[who] ?? who, team_id: FAKE_TEAM_ID, channel_id: channel, message_ts: messageTs, response_url: responseUrl });
      const res = await postSigned(events(), body, { secret });
      return { responseUrl, status: res.status };
    },
    response(url, timeoutMs = 15_000) {
      const id = url.split('/').at(-1) ?? '';
      return waitFor(`a response on ${id}`, () => fake.responses.find((r) => r.id === id), timeoutMs, 50);
    },
    opMessage(opId, ok = () => true, timeoutMs = 30_000) {
      return waitFor(`the live message of ${opId}`, () => fake.messages(channel).find((m) => textOf(m).includes(opId) && ok(textOf(m))), timeoutMs, 100);
    },
    versions: calls,
    waitForOp(opId, statuses, timeoutMs = 120_000) {
      return waitFor(
        `operation ${opId} to be ${statuses.join(' or ')}`,
        async () => {
          const op = await bot.api.s.ops.get(opId);
          return op !== undefined && statuses.includes(op.status) ? op : undefined;
        },
        timeoutMs,
        200,
      );
    },
    async opsOf(line) {
      const [command = '', ...rest] = line.trim().split(/\s+/);
      const typed = commandLine(command, rest.join(' '));
      const [verb, app] = typed.split(/\s+/);
      const since = sent.get(typed) ?? Infinity;
      // Records that keep their request match on it; older ones by kind, app and time.
      const sameTarget = (r: OpRecord) => r.kind === verb && (verb === 'upgrade' || r.app === app);
      return bot.api.s.ops.list(1000, (r) => (r.request === undefined ? sameTarget(r) && Date.parse(r.createdAt) >= since : r.request === typed));
    },
    opOf(line, timeoutMs = 20_000) {
      return waitFor(`the operation of "${line}"`, async () => (await rig.opsOf(line))[0], timeoutMs, 100);
    },
    async restart(next) {
      await bot.stop();
      bot = await startBot(next(secret, fake.url), { prefix }, worker);
    },
    async stop() {
      await bot.stop();
      await fake.close();
    },
  };
  return rig;
}
