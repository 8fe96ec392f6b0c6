import { describe, expect, it } from 'vitest';
import { authorized } from '../../../src/alerts/http.ts';
import { eventAlert, eventFingerprint, reasonOf } from '../../../src/alerts/kube-source.ts';
import { alertLinks, traceIdOf } from '../../../src/alerts/links.ts';
import { configuredHostsOnly } from '../../../src/alerts/probes.ts';
import { commonLabels, silenceMatchers } from '../../../src/alerts/silences.ts';
import { parseAlertmanager, parseGeneric } from '../../../src/alerts/sources.ts';
import { subscriptionMatchers } from '../../../src/alerts/answers.ts';
import { versionOf } from '../../../src/alerts/correlation.ts';
import { ownerByName } from '../../../src/kube/events.ts';
import { parseDuration, type Duration } from '../../../src/core/duration.ts';

const amAlert = { status: 'firing', labels: { alertname: 'A', env: 'prod' }, annotations: {}, startsAt: '2026-05-01T10:00:00Z', endsAt: '0001-01-01T00:00:00Z', generatorURL: 'http://prom/graph', fingerprint: 'abc123' };
const am = (over: Record<string, unknown> = {}, alerts: unknown[] = [amAlert]) => ({ version: '4', status: 'firing', receiver: 'x', groupLabels: {}, commonLabels: {}, commonAnnotations: {}, externalURL: 'http://am', alerts, ...over });

describe('parseAlertmanager', () => {
  it('takes a version 4 payload; fingerprint from Alertmanager; Go zero end is none', () => {
    const r = parseAlertmanager(am());
    expect(r).toEqual({ ok: true, alerts: [{ fingerprint: 'am-abc123', source: 'alertmanager', status: 'firing', labels: { alertname: 'A', env: 'prod' }, annotations: {}, startsAt: '2026-05-01T10:00:00.000Z', endsAt: undefined, generatorURL: 'http://prom/graph' }] });
  });

  it.each([
    ['version 3', am({ version: '3' }), 'version'],
    ['no alerts', am({}, []), 'alerts'],
    ['a bad time', am({}, [{ ...amAlert, startsAt: 'soon' }]), 'alerts.0.startsAt'],
    ['a bad label name', am({}, [{ ...amAlert, labels: { 'bad-name': 'x' } }]), 'alerts.0.labels.bad-name'],
    ['no labels', am({}, [{ ...amAlert, labels: {} }]), 'alerts.0.labels'],
    ['a bad status', am({}, [{ ...amAlert, status: 'pending' }]), 'alerts.0.status'],
    ['not an object', 'hello', '(payload)'],
  ])('refuses %s', (_n, body, path) => {
    const r = parseAlertmanager(body);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems.join('\n')).toContain(path);
  });
});

describe('parseGeneric', () => {
  const now = new Date('2026-05-01T12:00:00Z');
  it('name and severity become labels, summary an annotation, a missing start is now', () => {
    const r = parseGeneric({ alerts: [{ name: 'DiskFull', severity: 'warning', labels: { env: 'prod' }, summary: 'disk 95%' }] }, now);
    expect(r.ok && r.alerts[0]).toMatchObject({ source: 'webhook', status: 'firing', labels: { env: 'prod', alertname: 'DiskFull', severity: 'warning' }, annotations: { summary: 'disk 95%' }, startsAt: '2026-05-01T12:00:00.000Z' });
  });
  it.each([
    [{ alerts: [{ name: 'bad name!' }] }],
    [{ alerts: [{ name: 'X', extra: 1 }] }],
    [{ alerts: [{ name: 'X', severity: 'huge' }] }],
    [{ alerts: [] }],
    [{}],
  ])('refuses %j', (body) => {
    expect(parseGeneric(body, now).ok).toBe(false);
  });
});

describe('webhook authentication', () => {
  const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;
  it.each([
    [{}, undefined, true],
    [{ bearerToken: 's3cret' }, 'Bearer s3cret', true],
    [{ bearerToken: 's3cret' }, 'bearer s3cret', true],
    [{ bearerToken: 's3cret' }, 'Bearer s3cre', false],
    [{ bearerToken: 's3cret' }, undefined, false],
    [{ bearerToken: 's3cret' }, basic('s3cret', ''), false],
    [{ username: 'am', password: 'pw' }, basic('am', 'pw'), true],
    [{ username: 'am', password: 'pw' }, basic('am', 'pw2'), false],
    [{ username: 'am', password: 'pw' }, basic('xx', 'pw'), false],
    [{ username: 'am', password: 'p:w' }, basic('am', 'p:w'), true],
    [{ username: 'am', password: 'pw' }, 'Bearer pw', false],
  ])('%j with %s → %s', (auth, header, want) => {
    expect(authorized(auth, header)).toBe(want);
  });
});

describe('Kubernetes events → alerts', () => {
  const ev = { cluster: 'gz', namespace: 'shop', uid: 'u1', reason: 'BackOff', message: 'Back-off restarting failed container', count: 2, involved: { kind: 'Pod', name: 'web-7d9c8b6f4-x2x9k' }, owner: { kind: 'Deployment', name: 'web' }, firstSeen: '2026-05-01T10:00:00.000Z', lastSeen: '2026-05-01T10:01:00.000Z' };
  const src = { cluster: 'gz', reasons: ['BackOff', 'OOMKilled', 'FailedScheduling', 'Unhealthy', 'FailedMount', 'CrashLoopBackOff'], severity: 'warning' as const, resolveAfter: parseDuration('10m') as Duration };
  it.each([
    ['BackOff', '', 'BackOff'],
    ['Killing', 'Container web OOMKilled', 'OOMKilled'],
    ['Failed', 'Error: CrashLoopBackOff', 'CrashLoopBackOff'],
    ['Pulled', 'pulled image', undefined],
  ])('reason %s / %s → %s', (reason, message, want) => {
    expect(reasonOf({ reason, message }, src.reasons)).toBe(want);
  });

  it('one fingerprint per owner and reason: another pod of the same Deployment is the same alert', () => {
    const other = { ...ev, uid: 'u2', involved: { kind: 'Pod', name: 'web-7d9c8b6f4-abcde' } };
    expect(eventFingerprint(ev, 'BackOff')).toBe(eventFingerprint(other, 'BackOff'));
    expect(eventFingerprint(ev, 'BackOff')).not.toBe(eventFingerprint(ev, 'Unhealthy'));
    const a = eventAlert(ev, 'BackOff', src, { app: 'web', env: 'prod' }, 5, ev.firstSeen);
    expect(a.labels).toEqual({ alertname: 'BackOff', severity: 'warning', cluster: 'gz', namespace: 'shop', kind: 'Deployment', workload: 'web', app: 'web', env: 'prod' });
    expect(a.count).toBe(5);
  });

  it.each([
    ['Pod', 'web-7d9c8b6f4-x2x9k', { kind: 'Deployment', name: 'web' }],
    ['Pod', 'my-api-5b8c9d7f6c-q8w4z', { kind: 'Deployment', name: 'my-api' }],
    ['Pod', 'db-2', { kind: 'StatefulSet', name: 'db' }],
    ['ReplicaSet', 'web-7d9c8b6f4', { kind: 'Deployment', name: 'web' }],
    ['Node', 'gz-node-1', { kind: 'Node', name: 'gz-node-1' }],
  ])('owner of %s %s by name', (kind, name, want) => {
    expect(ownerByName(kind, name)).toEqual(want);
  });
});

describe('silences, links, versions, subscriptions', () => {
  it('silence matchers are the labels all alerts share', () => {
    const alerts = [{ labels: { alertname: 'A', env: 'prod', instance: '1' } }, { labels: { alertname: 'A', env: 'prod', instance: '2' } }];
    expect(commonLabels(alerts)).toEqual({ alertname: 'A', env: 'prod' });
    expect(silenceMatchers(alerts)).toEqual([
      { name: 'alertname', value: 'A', isRegex: false, isEqual: true },
      { name: 'env', value: 'prod', isRegex: false, isEqual: true },
    ]);
  });

  it('links: runbook annotation, generator URL, trace from a label, logs and job templates', () => {
    const alerts = [{ fingerprint: 'f', source: 'alertmanager' as const, status: 'firing' as const, labels: { alertname: 'A', trace_id: '4bf92f3577b34da6' }, annotations: { runbook_url: 'https://rb/a' }, startsAt: 'x', generatorURL: 'http://prom/g' }];
    const links = alertLinks({ alerts, env: 'prod', app: 'web', jobId: 'op-1' }, { trace: 'https://t/{traceId}', logs: 'https://l/{env}/{app}', job: 'https://j/{jobId}' }, { links: {}, labels: { env: ['env'], app: ['app'], traceId: ['trace_id'] } });
    expect(links).toEqual([
      { label: 'Runbook', url: 'https://rb/a' },
      { label: 'Prometheus', url: 'http://prom/g' },
      { label: 'Trace', url: 'https://t/4bf92f3577b34da6' },
      { label: 'Logs', url: 'https://l/prod/web' },
      { label: 'Operation', url: 'https://j/op-1' },
    ]);
    expect(traceIdOf([{ ...alerts[0], labels: { trace_id: 'short' } }] as never, ['trace_id'])).toBeUndefined();
  });

  it.each([
    ['registry.example.com/team/web:v1.4.2', 'v1.4.2'],
    ['localhost:5000/web', undefined],
    ['web@sha256:0123456789abcdef0123', 'sha256:0123456789ab'],
    [undefined, undefined],
  ])('version of %s', (image, want) => {
    expect(versionOf(image)).toBe(want);
  });

  it.each([
    [{ env: 'prod', apps: ['web'], severity: 'critical' }, ['env=prod', 'app=web', 'severity=critical']],
    [{ apps: ['web', 'api'], namespace: '~team-.*' }, ['app=~"web|api"', 'namespace=~"team-.*"']],
    [{ m1: 'severity!=info', m2: 'team=~"pay.*"' }, ['severity!=info', 'team=~"pay.*"']],
    [{ apps: ['*'] }, []],
  ])('subscription matchers of %j', (args, want) => {
    const r = subscriptionMatchers(args);
    expect(r.ok && r.matchers.map((m) => `${m.name}${m.op}${m.op.includes('~') || m.value.includes('|') ? JSON.stringify(m.value) : m.value}`)).toEqual(want);
  });

  it('a bad regex in a subscription is refused', () => {
    expect(subscriptionMatchers({ namespace: '~(' }).ok).toBe(false);
  });

  it('probes reach only the hosts the config names', async () => {
    const seen: string[] = [];
    const inner = ((input: string | URL | Request) => {
      seen.push(input instanceof Request ? input.url : input.toString());
      return Promise.resolve(new Response('ok'));
    }) as typeof fetch;
    const f = configuredHostsOnly([{ url: 'http://127.0.0.1:8080/healthz' }] as never, inner);
    await f('http://127.0.0.1:8080/other');
    await expect(f('http://169.254.169.254/latest/meta-data')).rejects.toThrow(/not a host the config names/);
    await expect(f('http://127.0.0.1:9999/')).rejects.toThrow(/not a host/);
    expect(seen).toEqual(['http://127.0.0.1:8080/other']);
  });
});
