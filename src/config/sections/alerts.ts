import { z } from 'zod';
import { parseDuration, type Duration } from '../../core/duration.ts';
import { channel, durationField, labelName, linkTemplate, name, secret } from './fields.ts';

/**
 * The `alerts` section: routes to channels, grouping and storm limits, the webhook sources and
 * their credentials, Alertmanager's API, Kubernetes Warning events and HTTP probes. Route
 * matchers are checked as matchers after the schema (alert-matchers.ts).
 */

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
  .strictObject({ bearerToken: secret.optional(), username: secret.optional(), password: secret.optional(), allowUnauthenticated: z.boolean().optional() })
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
const alertLink = linkTemplate(ALERT_LINK_PLACEHOLDERS);

const KUBE_REASONS = ['BackOff', 'CrashLoopBackOff', 'OOMKilled', 'FailedScheduling', 'Unhealthy', 'FailedMount'];

export const alertsSection = z.strictObject({
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
  alertmanager: z.strictObject({ url: z.url(), bearerToken: secret.optional(), username: secret.optional(), password: secret.optional() }).optional(),
  /** Which labels name the environment, the app and a trace id, first found wins. */
  labels: z
    .strictObject({
      env: z.array(labelName).min(1).default(['env', 'environment']),
      app: z.array(labelName).min(1).default(['app', 'service', 'app_kubernetes_io_name']),
      traceId: z.array(labelName).min(1).default(['trace_id', 'traceId', 'traceID']),
    })
    .default({ env: ['env', 'environment'], app: ['app', 'service', 'app_kubernetes_io_name'], traceId: ['trace_id', 'traceId', 'traceID'] }),
  /** Link templates for alert messages (the trace, logs and job templates come from `links`). */
  links: z.strictObject({ runbook: alertLink.optional(), logs: alertLink.optional(), dashboard: alertLink.optional() }).default({}),
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
