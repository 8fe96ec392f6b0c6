import { z } from 'zod';
import { defineCommand } from '../src/core/command-spec.ts';
import { duration, id, name, nameList, reason } from './fields.ts';

export const lock = defineCommand({
  verb: 'lock',
  summary: 'Lock an environment, or one app in it, so that nobody else changes it (rollback is still allowed).',
  usage: 'lock <env> | lock <app> in <env> [for=<duration>] [--reason "<why>"]',
  examples: ['/lock prod for 2h --reason "database migration"', '/lock web in prod --reason "load test"'],
  kind: 'setting',
  produces: 'setting lock',
  positional: [{ key: 'target' }],
  keywords: { in: 'env', for: 'for' },
  aliases: { environment: 'env', app: 'target', ttl: 'for' },
  args: z.object({ target: name, env: name.optional(), for: duration.optional(), reason: reason.optional() }),
  argHelp: {
    target: { expect: 'an environment, or an app followed by "in <env>"' },
    env: { expect: 'an environment such as prod' },
    for: { expect: 'a duration such as 2h' },
    reason: { expect: 'a reason in quotes' },
  },
});

export const unlock = defineCommand({
  verb: 'unlock',
  summary: 'Remove a lock.',
  usage: 'unlock <env> | unlock <app> in <env>',
  examples: ['/unlock prod', '/unlock web in prod'],
  kind: 'setting',
  produces: 'setting unlock',
  positional: [{ key: 'target' }],
  keywords: { in: 'env' },
  aliases: { environment: 'env', app: 'target' },
  args: z.object({ target: name, env: name.optional() }),
  argHelp: { target: { expect: 'an environment, or an app followed by "in <env>"' }, env: { expect: 'an environment such as prod' } },
});

export const freeze = defineCommand({
  verb: 'freeze',
  summary: 'Freeze changes to an environment for a while (rollback stays allowed). Scheduled freezes live in the config.',
  usage: 'freeze <env> for <duration> --reason "<why>"',
  examples: ['/freeze prod for 4h --reason "incident 2311"'],
  kind: 'setting',
  produces: 'setting freeze',
  positional: [{ key: 'env' }],
  keywords: { for: 'for' },
  aliases: { environment: 'env', ttl: 'for' },
  args: z.object({ env: name, for: duration, reason }),
  argHelp: { env: { expect: 'an environment such as prod' }, for: { expect: 'a duration such as 4h' }, reason: { expect: 'a reason in quotes' } },
});

const topics = z
  .string()
  .transform((s) => s.toLowerCase())
  .pipe(z.enum(['alerts', 'operations', 'approvals', 'all']));

/** A label matcher typed as one word: severity!=info, team!~"infra|db", "team=~pay.*" (quoted when it has =~). */
const MATCHER_WORD = /^[A-Za-z_][A-Za-z0-9_]*(?:=~|!~|!=|=).+$/s;
const matcherWord = z.string().regex(MATCHER_WORD, { message: 'a label matcher such as severity!=info or "team=~pay.*"' });
/** A label value, or `~regex` for a regular expression (namespace=~team-.*). */
const labelValue = z.string().regex(/^~?[^\s]{1,200}$/, { message: 'a value, or ~ and a regular expression' });

const subHelp = {
  topic: { expect: 'alerts, operations, approvals or all' },
  env: { expect: 'an environment such as prod' },
  apps: { expect: 'a list of apps such as web,api' },
  severity: { expect: 'critical, warning or info' },
  alertname: { expect: 'an alert name, or ~ and a regular expression' },
  namespace: { expect: 'a namespace, or ~ and a regular expression' },
  cluster: { expect: 'a cluster, or ~ and a regular expression' },
  m1: { expect: 'a label matcher such as severity!=info or "team=~pay.*"' },
  m2: { expect: 'a label matcher' },
  m3: { expect: 'a label matcher' },
  m4: { expect: 'a label matcher' },
} as const;

const isMatcherWord = (w: string) => MATCHER_WORD.test(w);
const subPositional = [{ key: 'topic', accepts: (w: string) => !isMatcherWord(w) }, ...(['m1', 'm2', 'm3', 'm4'] as const).map((key) => ({ key, accepts: isMatcherWord }))];
const subArgs = z.object({
  topic: topics.optional(),
  env: name.optional(),
  apps: nameList.optional(),
  severity: z.enum(['critical', 'warning', 'info']).optional(),
  alertname: labelValue.optional(),
  namespace: labelValue.optional(),
  cluster: labelValue.optional(),
  m1: matcherWord.optional(),
  m2: matcherWord.optional(),
  m3: matcherWord.optional(),
  m4: matcherWord.optional(),
});

export const subscribe = defineCommand({
  verb: 'subscribe',
  summary: 'Have this channel receive alerts, optionally only those whose labels match (=, !=, =~, !~).',
  usage: 'subscribe [alerts] [env=<env>] [apps=<a,b>] [severity=<level>] [alertname|namespace|cluster=<value|~regex>] [<label>!=<value>] ["<label>=~<regex>"]',
  examples: ['/subscribe alerts env=prod severity=critical', '/subscribe severity=critical env=prod app=web', '/subscribe env=prod severity!=info "team=~pay.*"'],
  kind: 'setting',
  produces: 'setting subscribe',
  positional: subPositional,
  keywords: { in: 'env', for: 'apps' },
  aliases: { environment: 'env', app: 'apps' },
  args: subArgs,
  argHelp: subHelp,
});

export const unsubscribe = defineCommand({
  verb: 'unsubscribe',
  summary: 'Stop this channel receiving alerts: the subscription with exactly these filters, or all of them.',
  usage: 'unsubscribe [alerts] [the filters of /subscribe]',
  examples: ['/unsubscribe alerts env=prod', '/unsubscribe'],
  kind: 'setting',
  produces: 'setting unsubscribe',
  positional: subPositional,
  keywords: { in: 'env', for: 'apps' },
  aliases: { environment: 'env', app: 'apps' },
  args: subArgs,
  argHelp: subHelp,
});

export const subscriptions = defineCommand({
  verb: 'subscriptions',
  summary: 'List what this channel is subscribed to.',
  usage: 'subscriptions',
  examples: ['/subscriptions'],
  kind: 'query',
  produces: 'query subscriptions',
  positional: [],
  args: z.object({}),
  argHelp: {},
});

export const silence = defineCommand({
  verb: 'silence',
  summary: 'Silence an alert (by id) or matching alerts (by app, env, alert name) for a while.',
  usage: 'silence <alert id> | silence app=<app> env=<env> [alertname=<name>] for=<duration> [--reason "<why>"]',
  examples: ['/silence al-3f9c for 2h --reason "known, fix deploying"', '/silence app=web env=staging for 30m'],
  kind: 'setting',
  produces: 'setting silence',
  positional: [{ key: 'alert' }],
  keywords: { for: 'for', in: 'env' },
  aliases: { environment: 'env', ttl: 'for', name: 'alertname' },
  args: z
    .object({ alert: id.optional(), app: name.optional(), env: name.optional(), alertname: z.string().regex(/^[A-Za-z0-9_:.-]{1,100}$/).optional(), for: duration, reason: reason.optional() })
    .refine((a) => a.alert !== undefined || a.app !== undefined || a.alertname !== undefined, {
      message: 'name an alert id, or an app or alert name to match',
      path: ['alert'],
    }),
  argHelp: {
    alert: { expect: 'an alert id, or app= / alertname= to match' },
    app: { expect: 'an app name' },
    env: { expect: 'an environment' },
    alertname: { expect: 'an alert name such as HighErrorRate' },
    for: { expect: 'a duration such as 2h' },
    reason: { expect: 'a reason in quotes' },
  },
});

export const ack = defineCommand({
  verb: 'ack',
  summary: 'Acknowledge an alert: you are on it. It stays open but stops repeating.',
  usage: 'ack <alert id> [--reason "<note>"]',
  examples: ['/ack al-3f9c'],
  kind: 'setting',
  produces: 'setting ack',
  positional: [{ key: 'alert' }],
  args: z.object({ alert: id, reason: reason.optional() }),
  argHelp: { alert: { expect: 'an alert id such as al-3f9c' }, reason: { expect: 'a note in quotes' } },
});

