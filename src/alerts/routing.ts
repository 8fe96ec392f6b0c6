import type { AlertRouteConfig, AlertsConfig } from '../config/schema.ts';
import { firstLabel, type Alert, type Labels } from './model.ts';
import { escapeRegex, matchesAll, parseMatcher, type Matcher } from '../core/matchers.ts';

/**
 * Which channels an alert goes to, and how it is grouped there. Routes come from the config
 * (always) and from chat subscriptions (each one a route to its own channel). Per channel the
 * first route that matches wins, so a channel that is both configured and subscribed gets an
 * alert once. Pure.
 */
export interface Route {
  /** "route:0", "route:<name>", "sub:<id>": part of the group id. */
  readonly id: string;
  readonly channels: readonly string[];
  readonly matchers: readonly Matcher[];
  readonly groupBy: readonly string[];
  readonly groupWaitMs: number;
  readonly repeatIntervalMs: number;
}

export interface Subscription {
  readonly id: string;
  readonly channel: string;
  readonly matchers: readonly Matcher[];
  readonly by: string;
  readonly at: string;
}

export interface Delivery {
  readonly channel: string;
  readonly route: Route;
}

function mustParse(text: string): Matcher {
  const m = parseMatcher(text);
  if (!m.ok) throw new Error(m.problem); // the config schema checked these already
  return m.matcher;
}

/** A config route's `match` fields and `matchers` as one list of matchers. */
export function routeMatchers(r: AlertRouteConfig): Matcher[] {
  const out: Matcher[] = [];
  for (const [name, value] of Object.entries(r.match)) if (value !== undefined) out.push({ name, op: '=', value });
  for (const t of r.matchers) out.push(mustParse(t));
  return out;
}

export function configRoutes(cfg: AlertsConfig): Route[] {
  return cfg.routes.map((r, i) => ({
    id: `route:${r.name ?? String(i)}`,
    channels: r.channels,
    matchers: routeMatchers(r),
    groupBy: r.groupBy ?? cfg.defaults.groupBy,
    groupWaitMs: (r.groupWait ?? cfg.defaults.groupWait).seconds * 1000,
    repeatIntervalMs: (r.repeatInterval ?? cfg.defaults.repeatInterval).seconds * 1000,
  }));
}

export function subscriptionRoute(cfg: AlertsConfig, sub: Subscription): Route {
  return {
    id: `sub:${sub.id}`,
    channels: [sub.channel],
    matchers: sub.matchers,
    groupBy: cfg.defaults.groupBy,
    groupWaitMs: cfg.defaults.groupWait.seconds * 1000,
    repeatIntervalMs: cfg.defaults.repeatInterval.seconds * 1000,
  };
}

/**
 * The labels routing and grouping look at: the alert's own, plus `env` and `app` taken from
 * the configured alias labels (environment, service, …) when the alert has no such label.
 */
export function routingLabels(a: Pick<Alert, 'labels'>, cfg: Pick<AlertsConfig, 'labels'>): Labels {
  const out: Record<string, string> = { ...a.labels };
  const env = firstLabel(a.labels, cfg.labels.env);
  const app = firstLabel(a.labels, cfg.labels.app);
  if (out['env'] === undefined && env !== undefined) out['env'] = env;
  if (out['app'] === undefined && app !== undefined) out['app'] = app;
  return out;
}

/** First matching route per channel, in route order (config routes first, then subscriptions). */
export function deliveries(labels: Labels, routes: readonly Route[]): Delivery[] {
  const seen = new Set<string>();
  const out: Delivery[] = [];
  for (const route of routes) {
    if (!matchesAll(route.matchers, labels)) continue;
    for (const channel of route.channels) {
      if (seen.has(channel)) continue;
      seen.add(channel);
      out.push({ channel, route });
    }
  }
  return out;
}

/** The matchers of `/subscribe env=prod apps=web,api severity=critical`: lists become one regex. */
export function listMatcher(name: string, values: readonly string[]): Matcher {
  if (values.length === 1) return { name, op: '=', value: values[0] ?? '' };
  return { name, op: '=~', value: values.map(escapeRegex).join('|') };
}
