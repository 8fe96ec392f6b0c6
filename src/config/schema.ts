import { z } from 'zod';
import { parseDuration, type Duration } from '../core/duration.ts';
import { accessRule, freeze, person } from './sections/access.ts';
import { alertsSection } from './sections/alerts.ts';
import { lark, slack } from './sections/chat.ts';
import { durationField, linkTemplate, name, nameMap } from './sections/fields.ts';
import { app, cluster, environment } from './sections/targets.ts';

/**
 * The bot's one configuration file, as a zod schema. Shapes are checked here; references
 * between sections (an environment naming a cluster, a rule naming a group) are checked in
 * references.ts, and alert matchers in alert-matchers.ts, so that every problem is reported at
 * once, each with its path. The larger sections have a file each under sections/; the schema
 * and its sections import only leaves (zod, and core's parsers of durations and image names).
 */

const LINK_PLACEHOLDERS = ['traceId', 'app', 'env', 'jobId', 'cluster', 'region', 'namespace'];
const link = linkTemplate(LINK_PLACEHOLDERS);

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
  links: z.strictObject({ trace: link.optional(), logs: link.optional(), job: link.optional() }).default({}),
  /** `/scale … suggest`: the rate window of CPU use, how long an Apply button works, the query timeout. */
  scaling: z
    .strictObject({
      rateWindow: durationField.default(parseDuration('1m') as Duration),
      suggestionExpires: durationField.default(parseDuration('1h') as Duration),
      queryTimeout: durationField.default(parseDuration('10s') as Duration),
    })
    .default({ rateWindow: parseDuration('1m') as Duration, suggestionExpires: parseDuration('1h') as Duration, queryTimeout: parseDuration('10s') as Duration }),
  slack: slack.optional(),
  lark: lark.optional(),
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
