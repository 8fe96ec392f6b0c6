import { describe, expect, it } from 'vitest';
import { groupBase, groupId, groupValues, labelsFingerprint, partsFingerprint } from '../../../src/alerts/fingerprint.ts';
import { deliveries, listMatcher, routingLabels, type Route } from '../../../src/alerts/routing.ts';

const route = (id: string, channels: string[], matchers: Route['matchers'] = [], groupBy = ['alertname', 'env', 'app']): Route => ({ id, channels, matchers, groupBy, groupWaitMs: 30_000, repeatIntervalMs: 4 * 3600_000 });

describe('fingerprints', () => {
  it('do not depend on label order, and differ for different labels', () => {
    expect(labelsFingerprint({ a: '1', b: '2' })).toBe(labelsFingerprint({ b: '2', a: '1' }));
    expect(labelsFingerprint({ a: '1', b: '2' })).not.toBe(labelsFingerprint({ a: '1', b: '3' }));
    // "a=1b" vs "a1=b": length-prefixed parts don't collide.
    expect(labelsFingerprint({ a: '1b' })).not.toBe(labelsFingerprint({ a1: 'b' }));
    expect(labelsFingerprint({ a: '1' })).toMatch(/^[0-9a-f]{16}$/);
  });

  it.each([
    [['gz', 'shop', 'Deployment', 'web', 'BackOff'], ['gz', 'shop', 'Deployment', 'web', 'BackOff'], true],
    [['gz', 'shop', 'Deployment', 'web', 'BackOff'], ['gz', 'shop', 'Deployment', 'web', 'FailedMount'], false],
    [['gz', 'shop', 'Deployment', 'web', 'BackOff'], ['nj', 'shop', 'Deployment', 'web', 'BackOff'], false],
  ])('%j vs %j: same=%s', (a, b, same) => {
    expect(partsFingerprint('k8s', a) === partsFingerprint('k8s', b)).toBe(same);
  });
});

describe('group keys', () => {
  it.each([
    // same channel, route and group-by values → one group
    [['slack:C1', 'route:0', { alertname: 'A', env: 'prod' }], ['slack:C1', 'route:0', { env: 'prod', alertname: 'A' }], true],
    [['slack:C1', 'route:0', { alertname: 'A', env: 'prod' }], ['slack:C2', 'route:0', { alertname: 'A', env: 'prod' }], false],
    [['slack:C1', 'route:0', { alertname: 'A', env: 'prod' }], ['slack:C1', 'sub:x', { alertname: 'A', env: 'prod' }], false],
    [['slack:C1', 'route:0', { alertname: 'A', env: 'prod' }], ['slack:C1', 'route:0', { alertname: 'B', env: 'prod' }], false],
  ] as const)('%j vs %j: same=%s', (a, b, same) => {
    expect(groupBase(a[0], a[1], a[2]) === groupBase(b[0], b[1], b[2])).toBe(same);
  });

  it('values come from the group-by labels, missing ones empty; ids carry the epoch after the first', () => {
    expect(groupValues({ alertname: 'A', env: 'prod', instance: 'x' }, ['alertname', 'app'])).toEqual({ alertname: 'A', app: '' });
    expect(groupId('3f9c0a12b4', 1)).toBe('al-3f9c0a12b4');
    expect(groupId('3f9c0a12b4', 3)).toBe('al-3f9c0a12b4-3');
  });
});

describe('routing', () => {
  const cfg = { labels: { env: ['env', 'environment'], app: ['app', 'service'], traceId: ['trace_id'] } };
  it.each([
    [{ alertname: 'A', environment: 'prod', service: 'web' }, { alertname: 'A', environment: 'prod', service: 'web', env: 'prod', app: 'web' }],
    [{ alertname: 'A', env: 'dev', environment: 'prod' }, { alertname: 'A', env: 'dev', environment: 'prod' }],
  ])('routing labels of %j', (labels, want) => {
    expect(routingLabels({ labels }, cfg)).toEqual(want);
  });

  const prod = { name: 'env', op: '=', value: 'prod' } as const;
  const crit = { name: 'severity', op: '=', value: 'critical' } as const;
  const routes = [route('route:0', ['slack:C1', 'slack:C2'], [prod]), route('route:crit', ['slack:C2', 'lark:oc_3'], [crit]), route('sub:s1', ['slack:C1'], [])];
  it.each([
    [{ env: 'prod', severity: 'critical' }, [['slack:C1', 'route:0'], ['slack:C2', 'route:0'], ['lark:oc_3', 'route:crit']]],
    [{ env: 'dev', severity: 'critical' }, [['slack:C2', 'route:crit'], ['lark:oc_3', 'route:crit'], ['slack:C1', 'sub:s1']]],
    [{ env: 'dev', severity: 'info' }, [['slack:C1', 'sub:s1']]],
  ])('%j goes to %j (first route per channel)', (labels, want) => {
    expect(deliveries(labels, routes).map((d) => [d.channel, d.route.id])).toEqual(want);
  });

  it.each([
    [['web'], { name: 'app', op: '=', value: 'web' }],
    [['web', 'api.v2'], { name: 'app', op: '=~', value: 'web|api\\.v2' }],
  ])('list matcher of %j', (values, want) => {
    expect(listMatcher('app', values)).toEqual(want);
  });
});
