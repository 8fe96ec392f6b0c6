import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../src/config/load.ts';

const base = {
  people: { alice: { slack: 'U0ALICE01' } },
  clusters: { gz: { region: 'gz' } },
  environments: { prod: { clusters: ['gz'], registries: ['registry.example.com'] } },
  apps: { web: { image: 'registry.example.com/team/web' } },
};

function problems(alerts: unknown, mode?: 'local' | 'production'): string[] {
  const r = validateConfig({ ...base, ...(mode === undefined ? {} : { mode }), alerts }, {});
  return r.ok ? [] : r.error.map((p: { path: string; message: string }) => `${p.path}: ${p.message}`);
}

describe('config: alerts', () => {
  it('defaults: group by alertname/env/app, 30s wait, 4h repeat, 10 new groups a minute, no webhooks', () => {
    const r = validateConfig(base, {});
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const a = r.value.alerts;
    expect(a.defaults.groupBy).toEqual(['alertname', 'env', 'app']);
    expect([a.defaults.groupWait.seconds, a.defaults.repeatInterval.seconds]).toEqual([30, 4 * 3600]);
    expect(a.storm.newGroupsPerMinute).toBe(10);
    expect(a.sources).toEqual({});
  });

  it('takes a full section', () => {
    expect(
      problems({
        routes: [{ name: 'prod', match: { env: 'prod' }, matchers: ['severity=~"critical|warning"', 'team!=infra'], channels: ['slack:C0123ABCD', 'lark:oc_abc'], groupBy: ['alertname'], groupWait: '10s', repeatInterval: '1h' }],
        sources: { alertmanager: { bearerToken: 'x' }, webhook: { username: 'u', password: 'p' } },
        alertmanager: { url: 'http://alertmanager:9093' },
        storm: { newGroupsPerMinute: 20, quietFor: '2m', channels: { 'slack:C0123ABCD': 5 } },
        links: { runbook: 'https://runbooks.example.com/{alertname}', logs: 'https://logs.example.com/{namespace}/{app}' },
        correlation: { window: '30m' },
        kubernetes: [{ cluster: 'gz', namespaces: ['shop-prod'], reasons: ['BackOff'] }],
        probes: [{ name: 'shop', url: 'https://shop.example.com/healthz', interval: '30s', bodyMustNotContain: 'ERROR', labels: { env: 'prod' } }],
      }),
    ).toEqual([]);
  });

  it.each([
    [{ routes: [{ matchers: ['severity=~"(bad"'], channels: ['slack:C0123ABCD'] }] }, 'alerts.routes[0].matchers[0]'],
    [{ sources: { webhook: { username: 'u' } } }, 'username and password'],
    [{ sources: { webhook: { bearerToken: 't', username: 'u', password: 'p' } } }, 'not both'],
    [{ links: { runbook: 'https://rb/{secret}' } }, 'unknown placeholder {secret}'],
    [{ kubernetes: [{ cluster: 'hk' }] }, 'alerts.kubernetes[0].cluster'],
    [{ probes: [{ name: 'x', url: 'ftp://x' }] }, 'alerts.probes[0].url'],
    [{ storm: { newGroupsPerMinute: 0 } }, 'alerts.storm.newGroupsPerMinute'],
    [{ nope: 1 }, 'nope'],
    // RE2, Alertmanager's dialect: what it can't compile is refused, naming the pattern.
    [{ routes: [{ matchers: ['alertname=~"(?=Disk)\\w+"'], channels: ['slack:C0123ABCD'] }] }, 'alerts.routes[0].matchers[0]: alertname=~"(?=Disk)\\w+": not a regular expression in RE2 syntax'],
    [{ routes: [{ matchers: ['team=~"(a)\\1"'], channels: ['slack:C0123ABCD'] }] }, 'team=~"(a)\\1": not a regular expression in RE2 syntax'],
    [{ routes: [{ matchers: [`team=~"${'a|'.repeat(101)}a"`], channels: ['slack:C0123ABCD'] }] }, 'the value of team is longer than 200 characters'],
    [{ routes: [{ matchers: ['x=~"(?:(?:a|aa|aaa|aaaa){50}){20}"'], channels: ['slack:C0123ABCD'] }] }, 'too complex'],
    // Production (the default mode): an alert webhook needs credentials or says it goes without.
    [{ sources: { alertmanager: {} } }, 'alerts.sources.alertmanager: no credentials: in production mode anyone who can reach the bot could post alerts'],
    [{ sources: { alertmanager: { bearerToken: 't' }, webhook: {} } }, 'alerts.sources.webhook: no credentials'],
    [{ sources: { webhook: { bearerToken: 't', allowUnauthenticated: true } } }, 'allowUnauthenticated: true with credentials'],
  ])('refuses %j', (alerts, want) => {
    expect(problems(alerts).join('\n')).toContain(want);
  });

  it.each([
    ['production, said on purpose', { sources: { alertmanager: { allowUnauthenticated: true }, webhook: { allowUnauthenticated: true } } }, 'production'],
    ['local mode (loopback only)', { sources: { alertmanager: {}, webhook: {} } }, 'local'],
    ['production with credentials', { sources: { alertmanager: { bearerToken: 't' }, webhook: { username: 'u', password: 'p' } } }, 'production'],
  ] as const)('takes webhooks without credentials only on purpose: %s', (_what, alerts, mode) => {
    expect(problems(alerts, mode)).toEqual([]);
  });
});
