import { describe, expect, it } from 'vitest';
import { parseAlertmanager, parseGeneric } from '../../../src/alerts/sources.ts';

/**
 * Labels and annotations are checked in one pass when they are valid (the storm path) and by
 * zod's record when they are not, so a bad one is reported exactly as before, at its path.
 */
const base = { status: 'firing', labels: { alertname: 'A', env: 'prod' }, annotations: { summary: 's' }, startsAt: '2026-05-01T10:00:00Z' };
const am = (alert: Record<string, unknown>) => parseAlertmanager({ version: '4', status: 'firing', alerts: [{ ...base, ...alert }] });

describe('label and annotation records', () => {
  it('passes valid ones through with their values', () => {
    const labels = { alertname: 'A', env: 'prod', app: 'web', instance: '10.0.0.1:9100' };
    const r = am({ labels, annotations: { summary: 'x'.repeat(10_000) } });
    expect(r.ok && r.alerts[0]?.labels).toEqual(labels);
    expect(r.ok && r.alerts[0]?.annotations['summary']).toHaveLength(10_000);
  });

  it.each([
    [{ labels: { a: 1 } }, 'alerts.0.labels.a: Invalid input: expected string, received number'],
    [{ labels: 'x' }, 'alerts.0.labels: Invalid input: expected record, received string'],
    [{ labels: null }, 'alerts.0.labels: Invalid input: expected record, received null'],
    [{ labels: { a: 'v'.repeat(10_001) } }, 'alerts.0.labels.a: Too big: expected string to have <=10000 characters'],
    [{ labels: { ['k'.repeat(201)]: 'v' } }, `alerts.0.labels.${'k'.repeat(201)}: Invalid key in record`],
    [{ labels: { 'bad-name': 'x' } }, 'alerts.0.labels.bad-name: "bad-name" is not a label name'],
    [{ labels: {} }, 'alerts.0.labels: an alert needs at least one label'],
    [{ annotations: { x: 2 } }, 'alerts.0.annotations.x: Invalid input: expected string, received number'],
    [{ annotations: { x: 'v'.repeat(10_001) } }, 'alerts.0.annotations.x: Too big: expected string to have <=10000 characters'],
    [{ annotations: Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`a${i}`, 'v'])) }, 'alerts.0.annotations: more than 100 annotations'],
  ])('%j: %s', (alert, problem) => {
    const r = am(alert);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems).toContain(problem);
  });

  it('drops a __proto__ label as zod does, and the generic webhook checks its labels the same way', () => {
    const r = am({ labels: JSON.parse('{"__proto__": "x", "a": "b"}') as unknown });
    expect(r.ok && r.alerts[0]?.labels).toEqual({ a: 'b' });
    const g = parseGeneric({ alerts: [{ name: 'X', labels: { a: 1 } }] }, new Date(0));
    expect(g).toEqual({ ok: false, problems: ['alerts.0.labels.a: Invalid input: expected string, received number'] });
  });
});
