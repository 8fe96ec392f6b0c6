import { z } from 'zod';
import { PREFLIGHT_CHECKS } from '../core/preflight-checks.ts';
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
  /**
   * Outside local mode, the web console signs a person in with a personal token: this is the
   * token's SHA-256 (hex), so the config never holds the token itself.
   */
  consoleTokenHash: z
    .string()
    .regex(/^(sha256:)?[0-9a-f]{64}$/, { message: 'the SHA-256 of the token, as 64 hex digits (printf %s "$TOKEN" | sha256sum)' })
    .optional(),
});

/** The Prometheus that holds a cluster's pod metrics, for `/scale … suggest`. */
const prometheus = z.strictObject({
  url: z.url({ protocol: /^https?$/, message: 'an http(s) URL such as http://prometheus.monitoring:9090' }),
  /** Label matchers added to every query, for a Prometheus that several clusters share: { cluster: gz }. */
  labels: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: 'a label name such as cluster' }), z.string().max(200)).default({}),
  bearerToken: z.string().min(1).optional(),
});

const cluster = z.union([
  z.strictObject({
    region: name,
    kubeconfig: z.string().min(1).optional(),
    context: z.string().min(1).optional(),
    inCluster: z.literal(false).optional(),
    prometheus: prometheus.optional(),
  }),
  z.strictObject({ region: name, inCluster: z.literal(true), prometheus: prometheus.optional() }),
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
  /** Preflight findings (no readinessProbe, no PDB…): shown with the approval (warn) or refusing the request (block). */
  preflight: z.enum(['warn', 'block']).default('warn'),
  /** Preflight checks not made in this environment. */
  preflightSkip: z.array(z.enum(PREFLIGHT_CHECKS)).default([]),
});

const imageRepository = z.string().superRefine((s, ctx) => {
  const r = parseImageRef(s);
  if (!r.ok) ctx.addIssue({ code: 'custom', message: r.problem });
  else if (r.value.tag !== undefined || r.value.digest !== undefined) ctx.addIssue({ code: 'custom', message: 'give the repository only, without :tag or @digest' });
});

/**
 * An app's HTTP probe: between the batches of an upgrade, and after every deploy and promotion
 * (the probe gate: every `interval` once the rollout is done, until `successes` passes in a row;
 * failed when `window` runs out first).
 */
const probe = z
  .strictObject({
    url: z.string().regex(/^https?:\/\//, { message: 'an http(s) URL template such as https://web.{region}.example.com/healthz' }),
    expectStatus: z.number().int().min(100).max(599).default(200),
    bodyMustNotContain: z.string().min(1).optional(),
    timeout: durationField.default(parseDuration('5s') as Duration),
    interval: durationField.default(parseDuration('10s') as Duration),
    successes: z.number().int().min(1).max(100).default(3),
    window: durationField.default(parseDuration('60s') as Duration),
  })
  .superRefine((p, ctx) => {
    // The last of `successes` passes in a row comes (successes - 1) intervals after the first.
    const fastest = (p.successes - 1) * p.interval.seconds;
    if (p.window.seconds < fastest) {
      ctx.addIssue({ code: 'custom', path: ['window'], message: `${p.successes} passes every ${p.interval.toString()} take at least ${fastest} s, longer than the window (${p.window.toString()}): the gate could never pass` });
    }
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

/** Secrets of the alert sources (the general `secret` is declared further down). */
const alertSecret = z.string().min(1);
const labelName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: 'a label name such as severity or app' });
/** How a route groups and repeats; unset fields come from alerts.defaults. */
const alertTiming = {
  groupBy: z.array(labelName).max(20).optional(),
  groupWait: durationField.optional(),
  repeatInterval: durationField.optional(),
};

const alertRoute = z.strictObject({
  name: z.string().min(1).max(100).optional(),
  match: z
    .strictObject({ env: z.string().optional(), app: z.string().optional(), severity: z.enum(['critical', 'warning', 'info']).optional(), alertname: z.string().optional() })
    .default({}),
  /**
   * Alertmanager-style matchers, all of which must match too: severity=~"critical|warning",
   * team!=infra. Checked as matchers (RE2) after the schema, in alert-matchers.ts.
   */
  matchers: z.array(z.string()).max(50).default([]),
  channels: z.array(channel).min(1),
  ...alertTiming,
});

/**
 * Who may post to an alert webhook: a bearer token, or a user name and password (basic auth),
 * or, with `allowUnauthenticated: true` (refused in production mode without it), anyone.
 */
const webhookAuth = z
  .strictObject({ bearerToken: alertSecret.optional(), username: alertSecret.optional(), password: alertSecret.optional(), allowUnauthenticated: z.boolean().optional() })
  .refine((a) => (a.username === undefined) === (a.password === undefined), { message: 'give both username and password, or neither' })
  .refine((a) => a.bearerToken === undefined || a.username === undefined, { message: 'use a bearer token or basic auth, not both' })
  .refine((a) => a.allowUnauthenticated !== true || (a.bearerToken === undefined && a.username === undefined), { message: 'allowUnauthenticated: true with credentials: drop one of them' });

const alertProbe = z.strictObject({
  name: name,
  url: z.string().regex(/^https?:\/\/[^/?#\s]+/, { message: 'an http(s) URL such as https://shop.example.com/healthz' }),
  interval: durationField.default(parseDuration('30s') as Duration),
  timeout: durationField.default(parseDuration('5s') as Duration),
  expectStatus: z.number().int().min(100).max(599).default(200),
  bodyMustNotContain: z.string().min(1).optional(),
  /** Failed checks in a row before it alerts (1: at once). */
  failuresBeforeAlert: z.number().int().min(1).max(100).default(1),
  /** Labels of the alert (env, app, severity …), for routing and the message. */
  labels: z.record(labelName, z.string().max(200)).default({}),
});

const ALERT_LINK_PLACEHOLDERS = ['traceId', 'app', 'env', 'jobId', 'cluster', 'region', 'namespace', 'alertname', 'severity'];
const alertLinkTemplate = z.string().superRefine((s, ctx) => {
  if (!/^https?:\/\//.test(s)) ctx.addIssue({ code: 'custom', message: 'a link template starts with http:// or https://' });
  for (const m of s.matchAll(/\{([^}]*)\}/g)) {
    if (!ALERT_LINK_PLACEHOLDERS.includes(m[1] ?? '')) ctx.addIssue({ code: 'custom', message: `unknown placeholder {${m[1]}}; known: ${ALERT_LINK_PLACEHOLDERS.map((p) => `{${p}}`).join(' ')}` });
  }
});

const KUBE_REASONS = ['BackOff', 'CrashLoopBackOff', 'OOMKilled', 'FailedScheduling', 'Unhealthy', 'FailedMount'];

const alertsSection = z.strictObject({
  routes: z.array(alertRoute).default([]),
  defaults: z
    .strictObject({
      groupBy: z.array(labelName).max(20).default(['alertname', 'env', 'app']),
      groupWait: durationField.default(parseDuration('30s') as Duration),
      repeatInterval: durationField.default(parseDuration('4h') as Duration),
    })
    .default({ groupBy: ['alertname', 'env', 'app'], groupWait: parseDuration('30s') as Duration, repeatInterval: parseDuration('4h') as Duration }),
  storm: z
    .strictObject({
      /** New alert groups a channel gets per minute before one summary message takes over. */
      newGroupsPerMinute: z.number().int().min(1).max(1000).default(10),
      /** The storm ends after this long without a new group over the rate. */
      quietFor: durationField.default(parseDuration('5m') as Duration),
      /** Per channel: a different rate. */
      channels: z.record(channel, z.number().int().min(1).max(1000)).default({}),
    })
    .default({ newGroupsPerMinute: 10, quietFor: parseDuration('5m') as Duration, channels: {} }),
  /** The webhooks; each is served only when it is listed here (`{}` = no authentication). */
  sources: z.strictObject({ alertmanager: webhookAuth.optional(), webhook: webhookAuth.optional() }).default({}),
  /** Alertmanager's API, for the Silence buttons and /silence. */
  alertmanager: z.strictObject({ url: z.url(), bearerToken: alertSecret.optional(), username: alertSecret.optional(), password: alertSecret.optional() }).optional(),
  /** Which labels name the environment, the app and a trace id, first found wins. */
  labels: z
    .strictObject({
      env: z.array(labelName).min(1).default(['env', 'environment']),
      app: z.array(labelName).min(1).default(['app', 'service', 'app_kubernetes_io_name']),
      traceId: z.array(labelName).min(1).default(['trace_id', 'traceId', 'traceID']),
    })
    .default({ env: ['env', 'environment'], app: ['app', 'service', 'app_kubernetes_io_name'], traceId: ['trace_id', 'traceId', 'traceID'] }),
  /** Link templates for alert messages (the trace, logs and job templates come from `links`). */
  links: z.strictObject({ runbook: alertLinkTemplate.optional(), logs: alertLinkTemplate.optional(), dashboard: alertLinkTemplate.optional() }).default({}),
  /** An alert about an app the bot changed this recently names the change and offers a rollback. */
  correlation: z.strictObject({ window: durationField.default(parseDuration('1h') as Duration) }).default({ window: parseDuration('1h') as Duration }),
  /** Warning events watched on these clusters (one replica watches at a time). */
  kubernetes: z
    .array(
      z.strictObject({
        cluster: z.string(),
        /** Default: the namespaces the config's apps run in on that cluster. */
        namespaces: z.array(z.string().regex(/^[a-z0-9-]{1,63}$/, { message: 'a namespace name' })).min(1).optional(),
        reasons: z.array(z.string().min(1)).min(1).default(KUBE_REASONS),
        severity: z.enum(['critical', 'warning', 'info']).default('warning'),
        /** An event source that stays quiet this long counts as resolved. */
        resolveAfter: durationField.default(parseDuration('10m') as Duration),
      }),
    )
    .default([]),
  probes: z.array(alertProbe).default([]),
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
  /** The operation queue: how long one that needed no approval may wait for its turn before it expires. */
  queue: z.strictObject({ maxWait: durationField.default(parseDuration('1h') as Duration) }).default({ maxWait: parseDuration('1h') as Duration }),
  locks: z.strictObject({ defaultTtl: durationField.default(parseDuration('4h') as Duration), maxTtl: durationField.default(parseDuration('7d') as Duration) }).default({
    defaultTtl: parseDuration('4h') as Duration,
    maxTtl: parseDuration('7d') as Duration,
  }),
  alerts: alertsSection.default(() => alertsSection.parse({})),
  links: z.strictObject({ trace: linkTemplate.optional(), logs: linkTemplate.optional(), job: linkTemplate.optional() }).default({}),
  /** `/scale … suggest`: the rate window of CPU use, how long an Apply button works, the query timeout. */
  scaling: z
    .strictObject({
      rateWindow: durationField.default(parseDuration('1m') as Duration),
      suggestionExpires: durationField.default(parseDuration('1h') as Duration),
      queryTimeout: durationField.default(parseDuration('10s') as Duration),
    })
    .default({ rateWindow: parseDuration('1m') as Duration, suggestionExpires: parseDuration('1h') as Duration, queryTimeout: parseDuration('10s') as Duration }),
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
      /** The long connection refuses any other shape, so a typo is caught here rather than at start. */
      appId: z.string().regex(/^cli_[0-9a-f]{16}$/, { message: 'a Lark/Feishu app id such as cli_a1b2c3d4e5f60718' }),
      appSecret: secret,
      /** Webhook mode: the signature key and the key events are encrypted with (required there). */
      encryptKey: secret.optional(),
      /** Webhook mode: every event's header.token must equal it (required there). */
      verificationToken: secret.optional(),
      /** The one tenant (organisation) served; events from any other are refused. */
      tenantKey: secret,
      /** `feishu` (open.feishu.cn), `lark` (open.larksuite.com) or another base URL (tests). */
      domain: z.union([z.enum(['feishu', 'lark']), z.string().regex(/^https?:\/\/[^\s]+$/, { message: 'feishu, lark, or a base URL such as http://127.0.0.1:8080' })]).default('feishu'),
      mode: z.enum(['webhook', 'ws']).default('webhook'),
    })
    .superRefine((l, ctx) => {
      if (l.mode !== 'webhook') return;
      if (l.encryptKey === undefined) ctx.addIssue({ code: 'custom', path: ['encryptKey'], message: 'webhook mode needs the Encrypt Key (LARK_ENCRYPT_KEY): without one Lark signs nothing and the bot could not tell its events from forgeries' });
      if (l.verificationToken === undefined) ctx.addIssue({ code: 'custom', path: ['verificationToken'], message: 'webhook mode needs the Verification Token (LARK_VERIFICATION_TOKEN) to check each event' });
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
export type PrometheusConfig = NonNullable<ClusterConfig['prometheus']>;
export type AccessRule = Config['access'][number];
export type FreezeConfig = Config['freezes'][number];
export type PersonConfig = Config['people'][string];
export type AlertsConfig = Config['alerts'];
export type AlertRouteConfig = AlertsConfig['routes'][number];
export type AlertProbeConfig = AlertsConfig['probes'][number];
