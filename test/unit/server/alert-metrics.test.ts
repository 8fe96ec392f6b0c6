import { describe, expect, it } from 'vitest';
import { countAlertMessage, countAlertReceived, countAlertStorm } from '../../../src/server/alert-metrics.ts';
import { createMetrics } from '../../../src/server/metrics.ts';

/** Each alert event moves its counters once, with bounded labels (the channel's platform, never its id). */
async function values(name: string): Promise<Record<string, number>> {
  const m = metrics.registry.getSingleMetric(name);
  const out: Record<string, number> = {};
  for (const v of (await m?.get())?.values ?? []) out[Object.values(v.labels).join(',')] = v.value;
  return out;
}
const metrics = createMetrics(undefined);

describe('alert counters', () => {
  it('count received alerts by source, and the already-known ones as deduplicated', async () => {
    const rows = [['alertmanager', 'new'], ['alertmanager', 'same'], ['alertmanager', 'count'], ['webhook', 'resolved'], ['kubernetes', 'refire'], ['probe', 'ignored']] as const;
    for (const [source, t] of rows) countAlertReceived(metrics, source, t);
    expect(await values('chatops_alerts_received_total')).toEqual({ alertmanager: 3, webhook: 1, kubernetes: 1, probe: 1 });
    expect(await values('chatops_alerts_deduplicated_total')).toEqual({ alertmanager: 2 });
  });

  it('count messages and storms by the platform of the channel', async () => {
    countAlertMessage(metrics, 'slack:C0ALERTS', 'posted');
    countAlertMessage(metrics, 'slack:C0OTHER', 'posted');
    countAlertMessage(metrics, 'lark:oc_1', 'updated');
    countAlertMessage(metrics, 'weird-channel', 'storm_summary');
    countAlertStorm(metrics, 'console:alerts', true);
    countAlertStorm(metrics, 'console:alerts', false);
    expect(await values('chatops_alert_messages_total')).toEqual({ 'slack,posted': 2, 'lark,updated': 1, 'other,storm_summary': 1 });
    expect(await values('chatops_alert_storms_total')).toEqual({ console: 1 });
    expect(await values('chatops_alert_storm_groups_total')).toEqual({ console: 2 });
  });

  it('do nothing without metrics', () => {
    expect(() => countAlertMessage(undefined, 'slack:C1', 'posted')).not.toThrow();
  });
});
