import { z } from 'zod';
import { commands } from '../../commands/index.ts';
import { parseDuration, type Duration } from '../core/duration.ts';
import { parseImageRef } from '../core/image-ref.ts';

/**
 * The bot's one configuration file, as a zod schema. Shapes are checked here; references
 * between sections (an environment naming a cluster, a rule naming a group) are checked in
 * references.ts so that every problem is reported at once, each with its path.
 */

const NAME = /^[a-z0-9](?:[a-z0-9._-]{0,61}[a-z0-9])?$/;
const name = z.string().regex(NAME, { message: 'lowercase letters, digits, . _ -, up to 63 characters' });
const nameMap = <T extends z.ZodType>(value: T) =>
  z.record(z.string(), value).superRefine((rec, ctx) => {
    for (const key of Object.keys(rec)) {
      if (!NAME.test(key)) ctx.addIssue({ code: 'custom', path: [key], message: `"${key}" is not a valid name (lowercase letters, digits, . _ -)` });
    }
  });

export const durationField = z.union([z.string(), z.number()]).transform((v, ctx): Duration => {
  const d = parseDuration(typeof v === 'number' ? `${v}s` : v);
  if (d === undefined) {
    ctx.addIssue({ code: 'custom', message: `"${v}" is not a duration such as 30m or 2h` });
    return z.NEVER;
  }
  return d;
});

const timeZone = z.string().refine(
  (tz) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  },
  { message: 'not an IANA time zone such as Asia/Shanghai or Europe/Berlin' },
);

const person = z.strictObject({
  name: z.string().min(1).optional(),
  slack: z.string().regex(/^[UW][A-Z0-9]{2,}$/, { message: 'a Slack user id such as U0123ABCD' }).optional(),
  lark: z.string().regex(/^ou_[A-Za-z0-9]+$/, { message: 'a Lark open_id such as ou_7d8a6e6df7621556ce0d21922b676706' }).optional(),
  email: z.email().optional(),
});

const cluster = z.union([
  z.strictObject({
    region: name,
    kubeconfig: z.string().min(1).optional(),
    context: z.string().min(1).optional(),
    inCluster: z.literal(false).optional(),
  }),
  z.strictObject({ region: name, inCluster: z.literal(true) }),
]);

const registryHost = z.string().regex(/^[a-zA-Z0-9.-]+(?::\d+)?(?:\/[a-z0-9._/-]+)?$/, { message: 'a registry host such as registry.example.com' });

const environment = z.strictObject({
  clusters: z.array(z.string()).min(1, { message: 'an environment needs at least one cluster' }),
  namespace: z
    .string()
    .regex(/^[a-z0-9{}-]+$/, { message: 'a namespace or a pattern such as "{app}-{env}"' })
    .default('{app}-{env}'),
  registries: z.array(registryHost).min(1, { message: 'list the registries this environment may pull from' }),
  autoRollback: z.boolean().default(false),
  /** Whether an Approve click asks "are you sure?" first; unset means yes for prod* environments. */
  confirmApprovals: z.boolean().optional(),
});

const imageRepository = z.string().superRefine((s, ctx) => {
  const r = parseImageRef(s);
  if (!r.ok) ctx.addIssue({ code: 'custom', message: r.problem });
  else if (r.value.tag !== undefined || r.value.digest !== undefined) ctx.addIssue({ code: 'custom', message: 'give the repository only, without :tag or @digest' });
});

const probe = z.strictObject({
  url: z.string().regex(/^https?:\/\//, { message: 'an http(s) URL template such as https://web.{region}.example.com/healthz' }),
  expectStatus: z.number().int().min(100).max(599).default(200),
  bodyMustNotContain: z.string().min(1).optional(),
  timeout: durationField.default(parseDuration('5s') as Duration),
});

const app = z.strictObject({
  workload: z.strictObject({ kind: z.enum(['Deployment', 'StatefulSet']).default('Deployment'), name: name.optional() }).default({ kind: 'Deployment' }),
  container: z.string().min(1).optional(),
  image: imageRepository,
  maxReplicas: z.number().int().min(0).max(10000).default(50),
  envs: z.array(z.string()).optional(),
  probe: probe.optional(),
});

const subject = z.string().regex(/^(\*|group:[a-z0-9._-]+|[a-z0-9](?:[a-z0-9._-]{0,61}[a-z0-9])?)$/, {
  message: 'a person, group:<name> or "*"',
});

export const POLICY_VERBS = Object.entries(commands)
  .filter(([, spec]) => spec.kind !== 'meta' && spec.kind !== 'approval' && spec.kind !== 'decision')
  .map(([verb]) => verb);

const approval = z.strictObject({
  count: z.number().int().min(1).max(10).default(1),
  from: z.array(subject).min(1, { message: 'say who may approve' }),
  expires: durationField.default(parseDuration('1h') as Duration),
});

const accessRule = z.strictObject({
  name: z.string().min(1).optional(),
  who: z.array(subject).min(1),
  verbs: z.array(z.string()).min(1),
  envs: z.array(z.string()).min(1).default(['*']),
  apps: z.array(z.string()).min(1).default(['*']),
  approval: approval.optional(),
});

const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, { message: 'a time of day such as 18:00' });
const localDateTime = z.string().regex(/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}$/, { message: 'a local date and time such as 2026-12-24 00:00' });
const weekday = z.enum(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']);

const freeze = z.union([
  z.strictObject({
    name: z.string().min(1),
    envs: z.array(z.string()).min(1),
    timezone: timeZone,
    start: localDateTime,
    end: localDateTime,
    reason: z.string().min(1).optional(),
  }),
  z.strictObject({
    name: z.string().min(1),
    envs: z.array(z.string()).min(1),
    timezone: timeZone,
    weekly: z.strictObject({ days: z.array(weekday).min(1), from: clock, to: clock }),
    reason: z.string().min(1).optional(),
  }),
]);

const channel = z.string().regex(/^(slack|lark|console):[A-Za-z0-9_.-]+$/, { message: 'a channel such as slack:C0123ABCD, lark:oc_… or console:ops' });

const alertRoute = z.strictObject({
  match: z
    .strictObject({ env: z.string().optional(), app: z.string().optional(), severity: z.enum(['critical', 'warning', 'info']).optional(), alertname: z.string().optional() })
    .default({}),
  channels: z.array(channel).min(1),
});

const LINK_PLACEHOLDERS = ['traceId', 'app', 'env', 'jobId', 'cluster', 'region', 'namespace'];
const linkTemplate = z.string().superRefine((s, ctx) => {
  if (!/^https?:\/\//.test(s)) ctx.addIssue({ code: 'custom', message: 'a link template starts with http:// or https://' });
  for (const m of s.matchAll(/\{([^}]*)\}/g)) {
    if (!LINK_PLACEHOLDERS.includes(m[1] ?? '')) ctx.addIssue({ code: 'custom', message: `unknown placeholder {${m[1]}}; known: ${LINK_PLACEHOLDERS.map((p) => `{${p}}`).join(' ')}` });
  }
});

const secret = z.string().min(1);

export const configSchema = z.strictObject({
  mode: z.enum(['local', 'production']).default('production'),
  operator: z.string().optional(),
  people: nameMap(person),
  groups: nameMap(z.array(z.string())).default({}),
  clusters: nameMap(cluster),
  environments: nameMap(environment),
  apps: nameMap(app),
  access: z.array(accessRule).default([]),
  freezes: z.array(freeze).default([]),
  locks: z.strictObject({ defaultTtl: durationField.default(parseDuration('4h') as Duration), maxTtl: durationField.default(parseDuration('7d') as Duration) }).default({
    defaultTtl: parseDuration('4h') as Duration,
    maxTtl: parseDuration('7d') as Duration,
  }),
  alerts: z.strictObject({ routes: z.array(alertRoute).default([]) }).default({ routes: [] }),
  links: z.strictObject({ trace: linkTemplate.optional(), logs: linkTemplate.optional(), job: linkTemplate.optional() }).default({}),
  slack: z
    .strictObject({
      /** HTTP mode verifies every request with it; Socket Mode authenticates the socket instead. */
      signingSecret: secret.optional(),
      botToken: secret.regex(/^xoxb-/, { message: 'a bot token starts with xoxb-' }),
      appToken: secret.regex(/^xapp-/, { message: 'an app-level token starts with xapp-' }).optional(),
      /** The workspace the bot serves; requests from any other team are refused. */
      teamId: z.string().regex(/^T[A-Z0-9]{2,}$/, { message: 'a Slack team id such as T0123ABCD' }),
      mode: z.enum(['http', 'socket']).default('http'),
      apiUrl: z.url().optional(),
    })
    .superRefine((s, ctx) => {
      if (s.mode === 'http' && s.signingSecret === undefined) ctx.addIssue({ code: 'custom', path: ['signingSecret'], message: 'HTTP mode needs the signing secret (SLACK_SIGNING_SECRET) to verify requests' });
      if (s.mode === 'socket' && s.appToken === undefined) ctx.addIssue({ code: 'custom', path: ['appToken'], message: 'Socket Mode needs an app-level token (SLACK_APP_TOKEN, xapp-…)' });
    })
    .optional(),
  lark: z
    .strictObject({
      appId: secret,
      appSecret: secret,
      verificationToken: secret.optional(),
      encryptKey: secret.optional(),
      domain: z.enum(['feishu', 'lark']).default('feishu'),
      mode: z.enum(['webhook', 'websocket']).default('webhook'),
      apiUrl: z.url().optional(),
    })
    .optional(),
  redis: z.strictObject({ url: z.string().regex(/^rediss?:\/\//, { message: 'a redis:// or rediss:// URL' }) }).optional(),
  kubernetes: z
    .strictObject({
      identity: z
        .union([
          z.strictObject({ kind: z.literal('User'), name: z.string().min(1) }),
          z.strictObject({ kind: z.literal('ServiceAccount'), namespace: name, name }),
        ])
        .default({ kind: 'ServiceAccount', namespace: 'chatops', name: 'chatops-bot' }),
    })
    .default({ identity: { kind: 'ServiceAccount', namespace: 'chatops', name: 'chatops-bot' } }),
  server: z.strictObject({ host: z.string().default('127.0.0.1'), port: z.number().int().min(0).max(65535).default(3000) }).default({ host: '127.0.0.1', port: 3000 }),
});

export type Config = z.output<typeof configSchema>;
export type AppConfig = Config['apps'][string];
export type EnvironmentConfig = Config['environments'][string];
export type ClusterConfig = Config['clusters'][string];
export type AccessRule = Config['access'][number];
export type FreezeConfig = Config['freezes'][number];
export type PersonConfig = Config['people'][string];
