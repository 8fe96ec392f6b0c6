import type { Command } from '../../commands/index.ts';
import { message, type Message } from '../core/message.ts';
import { Outbox } from '../notify/outbox.ts';
import type { Services } from '../service/services.ts';
import { ackGroup, silenceByLabels, silenceGroup } from './actions.ts';
import { formatMatcher, parseMatcher, type Matcher } from '../core/matchers.ts';
import { listMatcher, routeMatchers } from './routing.ts';
import { Subscriptions } from './subscriptions.ts';

/**
 * The alert verbs typed in chat: subscribe, unsubscribe, subscriptions, silence, ack. Policy
 * already allowed the verb (src/service/requests.ts, reached through src/service/dispatch.ts);
 * subscriptions belong to the channel the command was typed in, so they need one.
 */
type SubArgs = {
  topic?: string;
  env?: string;
  apps?: string[];
  severity?: string;
  alertname?: string;
  namespace?: string;
  cluster?: string;
  m1?: string;
  m2?: string;
  m3?: string;
  m4?: string;
};

/** `key=value` is equality; a value written `~regex` is a regex match (`namespace=~team-.*`). */
function keyed(name: string, value: string): Matcher {
  return value.startsWith('~') ? { name, op: '=~', value: value.slice(1) } : { name, op: '=', value };
}

export function subscriptionMatchers(a: SubArgs): { ok: true; matchers: Matcher[] } | { ok: false; problem: string } {
  const out: Matcher[] = [];
  if (a.env !== undefined) out.push({ name: 'env', op: '=', value: a.env });
  if (a.apps !== undefined && !a.apps.includes('*')) out.push(listMatcher('app', a.apps));
  if (a.severity !== undefined) out.push({ name: 'severity', op: '=', value: a.severity });
  for (const name of ['alertname', 'namespace', 'cluster'] as const) {
    const v = a[name];
    if (v !== undefined) out.push(keyed(name, v));
  }
  for (const w of [a.m1, a.m2, a.m3, a.m4]) {
    if (w === undefined) continue;
    const m = parseMatcher(w);
    if (!m.ok) return { ok: false, problem: m.problem };
    out.push(m.matcher);
  }
  for (const m of out) {
    const check = parseMatcher(formatMatcher(m));
    if (!check.ok) return { ok: false, problem: check.problem };
  }
  return { ok: true, matchers: out };
}

function describe(ms: readonly Matcher[]): string {
  return ms.length === 0 ? 'every alert' : ms.map(formatMatcher).join(' ');
}

function noChannel(verb: string): Message {
  return message('Not in a channel', 'info', { text: `/${verb} sets what a chat channel receives: type it in that Slack or Lark channel.` });
}

export async function alertAnswer(s: Services, command: Command, actor: string, channel: string | undefined): Promise<Message | undefined> {
  const subs = new Subscriptions(s.redis, s.prefix);
  switch (command.verb) {
    case 'subscribe':
    case 'unsubscribe': {
      const a = command.args as SubArgs;
      const topic = a.topic ?? 'alerts';
      if (channel === undefined) return noChannel(command.verb);
      if (topic === 'operations' || topic === 'approvals') {
        return message('Not available yet', 'info', { text: `Only alerts can be subscribed to so far; operations show in the channel they were asked in.` });
      }
      const parsed = subscriptionMatchers(a);
      if (!parsed.ok) return message("That filter doesn't work", 'error', { text: parsed.problem });
      if (command.verb === 'subscribe') {
        const r = await subs.add(channel, parsed.matchers, actor, s.clock());
        if (!r.created) return message('Already subscribed', 'info', { text: `This channel already receives ${describe(parsed.matchers)} (${r.sub.id}, by ${r.sub.by}).` });
        await s.audit.append({ at: s.clock(), kind: 'setting', actor, summary: `${actor} subscribed ${channel} to alerts: ${describe(parsed.matchers)}`, detail: { channel, subscription: r.sub.id, matchers: parsed.matchers.map(formatMatcher) } });
        return message('Subscribed', 'succeeded', { text: `This channel now receives alerts matching ${describe(parsed.matchers)} (${r.sub.id}). /unsubscribe with the same filter to stop.` });
      }
      const explicit = parsed.matchers.length > 0;
      const gone = await subs.remove(channel, explicit ? parsed.matchers : undefined);
      if (gone.length === 0) return message('Not subscribed', 'info', { text: explicit ? `This channel has no subscription to exactly ${describe(parsed.matchers)}. /subscriptions lists them.` : 'This channel has no alert subscriptions from chat.' });
      await s.audit.append({ at: s.clock(), kind: 'setting', actor, summary: `${actor} unsubscribed ${channel} from ${gone.map((g) => describe(g.matchers)).join('; ')}`, detail: { channel, removed: gone.map((g) => g.id) } });
      return message('Unsubscribed', 'succeeded', { text: `Removed ${gone.length} subscription(s): ${gone.map((g) => describe(g.matchers)).join('; ')}. Routes in the config still apply.` });
    }
    case 'subscriptions': {
      if (channel === undefined) return noChannel('subscriptions');
      const mine = await subs.of(channel);
      const routes = s.config.alerts.routes.map((r, i) => ({ r, i })).filter(({ r }) => r.channels.includes(channel));
      const lines = [
        ...routes.map(({ r, i }) => `config route ${r.name ?? i}: ${describe(routeMatchers(r))}`),
        ...mine.map((m) => `${m.id}: ${describe(m.matchers)} (by ${m.by}, ${m.at.slice(0, 10)})`),
      ];
      return message('Alert subscriptions of this channel', 'info', { sections: [{ lines: lines.length > 0 ? lines : ['none: /subscribe severity=critical env=prod'] }] });
    }
    case 'ack':
      return ackGroup(s, new Outbox({ redis: s.redis, prefix: s.prefix }), command.args.alert, actor, command.args.reason);
    case 'silence': {
      const a = command.args;
      if (a.alert !== undefined) return silenceGroup(s, new Outbox({ redis: s.redis, prefix: s.prefix }), a.alert, a.for.seconds, actor, a.reason);
      const labels: Record<string, string> = {};
      if (a.app !== undefined) labels['app'] = a.app;
      if (a.env !== undefined) labels['env'] = a.env;
      if (a.alertname !== undefined) labels['alertname'] = a.alertname;
      return silenceByLabels(s, labels, a.for.seconds, actor, a.reason);
    }
    default:
      return undefined;
  }
}
