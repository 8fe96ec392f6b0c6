import { describe, expect, it } from 'vitest';
import { ago, correlationText, groupMessage, statusFor, stormMessage, type GroupView } from '../../../src/alerts/message.ts';
import type { Alert } from '../../../src/alerts/model.ts';

const T0 = Date.parse('2026-05-01T10:00:00Z');

function alert(instance: string, status: Alert['status'] = 'firing', extra: Partial<Alert> = {}): Alert {
  return {
    fingerprint: `am-${instance}`,
    source: 'alertmanager',
    status,
    labels: { alertname: 'HighErrorRate', env: 'prod', app: 'web', severity: 'critical', instance },
    annotations: { summary: `errors on ${instance}` },
    startsAt: '2026-05-01T10:00:00.000Z',
    ...extra,
  };
}

function view(alerts: Alert[], extra: Partial<GroupView> = {}): GroupView {
  return { id: 'al-3f9c0a12b4', values: { alertname: 'HighErrorRate', env: 'prod', app: 'web' }, alerts, createdAt: T0, now: T0 + 60_000, links: [], env: 'prod', app: 'web', ...extra };
}

describe('groupMessage', () => {
  it('a firing group: title, counts, the alerts told apart by their differing labels, ack and silence buttons', () => {
    const m = groupMessage(view([alert('web-1'), alert('web-2'), alert('web-3', 'resolved')]));
    expect(m.title).toBe('HighErrorRate: web in prod');
    expect(m.status).toBe('failed');
    expect(m.text).toContain('2 firing, 1 resolved');
    expect(m.sections?.[0]?.lines).toEqual(['FIRING: HighErrorRate — instance=web-1 — errors on web-1', 'FIRING: HighErrorRate — instance=web-2 — errors on web-2', 'resolved: HighErrorRate — instance=web-3 — errors on web-3']);
    expect(m.buttons.map((b) => [b.action, b.value])).toEqual([
      ['ack', 'al-3f9c0a12b4'],
      ['silence', 'al-3f9c0a12b4~1h'],
      ['silence', 'al-3f9c0a12b4~4h'],
      ['silence', 'al-3f9c0a12b4~24h'],
    ]);
    expect(m.thread).toEqual({ key: 'alert:al-3f9c0a12b4', update: true });
  });

  it('all resolved: "Resolved:", success, no buttons', () => {
    const m = groupMessage(view([alert('web-1', 'resolved')]));
    expect(m.title).toBe('Resolved: HighErrorRate: web in prod');
    expect(m.status).toBe('succeeded');
    expect(m.buttons).toEqual([]);
  });

  it('acknowledged and silenced: who and until when; no Acknowledge button', () => {
    const m = groupMessage(view([alert('web-1')], { ack: { by: 'bob', at: T0 + 30_000 }, silence: { by: 'carol', until: T0 + 4 * 3600_000 } }));
    expect(m.fields).toContainEqual({ label: 'Acknowledged', value: 'by bob at 10:00 UTC' });
    expect(m.fields).toContainEqual({ label: 'Silenced', value: 'by carol until 14:00 UTC' });
    expect(m.buttons.some((b) => b.action === 'ack')).toBe(false);
  });

  it('after a deploy: names it and offers a rollback with a confirmation', () => {
    const m = groupMessage(view([alert('web-1')], { correlation: { opId: 'op-1a2b', kind: 'deploy', app: 'web', env: 'prod', by: 'alice', version: 'v1.4.2', at: T0 - 12 * 60_000, status: 'succeeded' } }));
    expect(m.fields).toContainEqual({ label: 'Recent change', value: 'deployed v1.4.2 12 min ago by alice, operation op-1a2b' });
    const rb = m.buttons.find((b) => b.action === 'rollback');
    expect(rb).toMatchObject({ value: 'al-3f9c0a12b4', style: 'danger' });
    expect(rb?.confirm).toContain('Roll back web in prod?');
  });

  it('a single Kubernetes alert says how often it was seen', () => {
    const m = groupMessage(view([alert('x', 'firing', { source: 'kubernetes', count: 7 })]));
    expect(m.text).toContain('seen 7 times');
  });

  it.each([
    ['critical', false, 'failed'],
    ['warning', false, 'error'],
    ['info', false, 'info'],
    [undefined, false, 'info'],
    ['critical', true, 'succeeded'],
  ] as const)('severity %s, resolved %s → %s', (sev, resolved, want) => {
    expect(statusFor(sev, resolved)).toBe(want);
  });

  it.each([
    [30_000, '30 s'],
    [12 * 60_000, '12 min'],
    [3 * 3600_000, '3 h'],
    [3 * 86400_000, '3 d'],
  ])('ago(%d) = %s', (ms, want) => {
    expect(ago(0, ms)).toBe(want);
  });

  it('correlation text without a version', () => {
    expect(correlationText({ opId: 'op-9', kind: 'restart', app: 'web', env: 'prod', by: 'bob', at: T0, status: 'succeeded' }, T0 + 5 * 60_000)).toBe('restarted 5 min ago by bob, operation op-9');
  });
});

describe('stormMessage', () => {
  const entries = Array.from({ length: 40 }, (_, i) => ({ id: `al-${i}`, title: `Alert${i}: web in prod`, firing: i < 37 ? 2 : 0, total: 2 }));
  it('counts every group, lists the open ones first, points to the thread for the rest', () => {
    const m = stormMessage(10, entries, T0, T0);
    expect(m.title).toBe('37 alert groups firing');
    expect(m.fields).toEqual([
      { label: 'Groups', value: '40' },
      { label: 'Firing', value: '37' },
    ]);
    const lines = m.sections?.[0]?.lines ?? [];
    expect(lines).toHaveLength(31);
    expect(lines.at(-1)).toBe('… 10 more groups: see the thread');
    expect(m.text).toContain('74 alerts firing in 37 groups; 3 groups resolved');
  });

  it('over when all resolved', () => {
    const m = stormMessage(10, entries.map((e) => ({ ...e, firing: 0 })), T0, T0);
    expect(m.title).toBe('Alert storm over: 40 groups, all resolved');
    expect(m.status).toBe('succeeded');
  });
});
