import type { Services } from '../service/services.ts';
import { alertLinks } from './links.ts';
import type { Correlation, GroupView } from './message.ts';
import type { Alert } from './model.ts';
import { routingLabels } from './routing.ts';
import type { AlertStore, GroupRecord } from './store.ts';

/** The view of a group that the message builder needs, read from the store. */
export async function loadGroupView(s: Services, store: AlertStore, g: GroupRecord, now: number): Promise<{ view: GroupView; alerts: Alert[] }> {
  const members = await store.members(g.id);
  const fps = Object.keys(members);
  const stored = await store.records.alerts(fps);
  const alerts = fps
    .map((fp) => {
      const a = stored.get(fp);
      const status = members[fp] ?? 'firing';
      return a === undefined ? undefined : { ...a, status };
    })
    .filter((a): a is Alert => a !== undefined)
    .sort((a, b) => a.startsAt.localeCompare(b.startsAt) || a.fingerprint.localeCompare(b.fingerprint));
  const cfg = s.config.alerts;
  const labels = alerts.map((a) => routingLabels(a, cfg));
  const pick = (name: 'env' | 'app'): string | undefined => {
    const values = new Set(labels.map((l) => l[name]));
    const v = [...values][0];
    return values.size === 1 && v !== undefined && v !== '' ? v : undefined;
  };
  const env = pick('env');
  const app = pick('app');
  const correlation = g.correlation === undefined || g.correlation === '' ? undefined : (JSON.parse(g.correlation) as Correlation);
  const view: GroupView = {
    id: g.id,
    values: g.values,
    alerts,
    createdAt: g.createdAt,
    now,
    ack: g.ackBy === undefined ? undefined : { by: g.ackBy, at: g.ackAt ?? now },
    silence: g.silencedBy === undefined ? undefined : { by: g.silencedBy, until: g.silencedUntil ?? now },
    correlation,
    links: alertLinks({ alerts, env, app, jobId: correlation?.opId }, s.config.links, cfg),
    env,
    app,
  };
  return { view, alerts };
}
