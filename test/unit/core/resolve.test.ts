import { beforeAll, describe, expect, it } from 'vitest';
import { commands } from '../../../commands/index.ts';
import { loadConfig } from '../../../src/config/load.ts';
import type { Config } from '../../../src/config/schema.ts';
import { parseCommand } from '../../../src/core/parse.ts';
import { resolve, type Plan } from '../../../src/core/resolve.ts';

let config: Config;
beforeAll(() => {
  const r = loadConfig(new URL('../../fixtures/policy-config.yaml', import.meta.url).pathname, {});
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  config = r.value;
});

function plan(line: string): Plan | string {
  const p = parseCommand(line, commands);
  if (!p.ok) throw new Error(`test line does not parse: ${line}: ${p.error.message}`);
  const r = resolve(config, p.value);
  return r.ok ? r.value : r.error.code;
}

describe('resolve', () => {
  it.each([
    ['/deploy web v1.4.2 to prod', 'registry.example.com/web:v1.4.2', ['gz-prod', 'hk-prod', 'nj-prod', 'tj-prod']],
    ['/deploy web v1.4.2 to prod cluster=nj-prod', 'registry.example.com/web:v1.4.2', ['nj-prod']],
    [`/deploy web@sha256:${'b'.repeat(64)} to prod`, `registry.example.com/web@sha256:${'b'.repeat(64)}`, ['gz-prod', 'hk-prod', 'nj-prod', 'tj-prod']],
    ['/deploy web image=registry.example.com/web:2 env=prod', 'registry.example.com/web:2', ['gz-prod', 'hk-prod', 'nj-prod', 'tj-prod']],
    ['/deploy web image=mirror.example.cn/library/web:2 env=prod', undefined, undefined],
  ])('%s', (line, image, clusters) => {
    const p = plan(line);
    if (image === undefined) {
      expect(p).toBe('E_IMAGE_REPO_MISMATCH');
      return;
    }
    expect(typeof p === 'string' ? p : { image: p.image, clusters: p.targets.map((t) => t.cluster).sort() }).toEqual({ image, clusters });
  });

  it.each([
    ['/promote web from staging to prod', ['gz-prod', 'hk-prod', 'nj-prod', 'tj-prod']],
    ['/promote web from staging to prod cluster=nj-prod --reason "release 2"', ['nj-prod']],
  ])('%s: the target env\'s workloads, the source env kept for binding', (line, clusters) => {
    const p = plan(line);
    expect(typeof p === 'string' ? p : { verb: p.verb, env: p.env, from: p.promoteFrom, image: p.image, clusters: p.targets.map((t) => t.cluster).sort() }).toEqual({
      verb: 'promote',
      env: 'prod',
      from: 'staging',
      image: undefined,
      clusters,
    });
  });

  it('fills the namespace pattern per app and env', () => {
    const p = plan('/scale api 3 in staging');
    expect(typeof p === 'string' ? p : p.targets.map((t) => [t.cluster, t.namespace, t.kind, t.workload])).toEqual([['gz-staging', 'api-staging', 'Deployment', 'api']]);
  });

  it.each([
    ['/deploy wbe v1 to prod', 'E_UNKNOWN_APP'],
    ['/deploy web v1 to production', 'E_UNKNOWN_ENV'],
    ['/deploy web v1 to prod cluster=sh-prod', 'E_UNKNOWN_CLUSTER'],
    ['/deploy web v1 to prod cluster=gz-staging', 'E_CLUSTER_NOT_IN_ENV'],
    ['/deploy legacy v1 to prod', 'E_APP_NOT_IN_ENV'],
    ['/deploy web image=docker.io/library/web:1 env=prod', 'E_REGISTRY_NOT_ALLOWED'],
    ['/deploy web image=registry.example.com/api:1 env=prod', 'E_IMAGE_REPO_MISMATCH'],
    ['/scale api 11 in prod', 'E_REPLICAS_RANGE'],
    ['/autoscale api in prod min=2 max=11 cpu=50%', 'E_REPLICAS_RANGE'],
    ['/autoscale web in prod cluster=gz-staging off', 'E_CLUSTER_NOT_IN_ENV'],
    ['/scale wbe in prod suggest cpu=50%', 'E_UNKNOWN_APP'],
    ['/upgrade registry.example.com/base:2 apps=web,api env=prod batches=gz,nj', 'E_UNBATCHED'],
    ['/upgrade registry.example.com/base:2 apps=web env=prod batches=gz,sh,nj,tj,hk', 'E_UNKNOWN_BATCH'],
    ['/upgrade registry.example.com/base:2 apps=web env=prod batches=gz+web,nj', 'E_BAD_BATCHES'],
    ['/upgrade evil.example.com/base:2 apps=web env=prod batches=100%', 'E_REGISTRY_NOT_ALLOWED'],
    ['/promote web from staging to staging', 'E_BAD_PROMOTION'],
    ['/promote web from stagin to prod', 'E_UNKNOWN_ENV'],
    ['/promote legacy from staging to prod', 'E_APP_NOT_IN_ENV'],
    ['/promote web from staging to prod cluster=gz-staging', 'E_CLUSTER_NOT_IN_ENV'],
    ['/lock web', 'E_NEEDS_ENV'],
    ['/lock prdo', 'E_UNKNOWN_ENV'],
  ])('%s → %s', (line, code) => {
    expect(plan(line)).toBe(code);
  });

  it.each([
    ['/scale web in prod suggest cpu=50%', { suggest: { kind: 'resource', resource: 'cpu', target: { kind: 'utilization', percent: 50 } }, replicas: undefined }],
    ['/scale web in prod suggest memory=512Mi', { suggest: { kind: 'resource', resource: 'memory', target: { kind: 'average', value: '512Mi' } }, replicas: undefined }],
    ['/scale web in prod suggest metric="sum by (pod) (up)" target=2', { suggest: { kind: 'metric', query: 'sum by (pod) (up)', target: '2' }, replicas: undefined }],
    ['/autoscale web in prod off', { autoscale: 'off' }],
    [
      '/autoscale web in prod min=2 max=20 cpu=50% memory=512Mi metric=rps target=100 scaledown=30s',
      {
        autoscale: {
          min: 2,
          max: 20,
          metrics: [{ kind: 'utilization', resource: 'cpu', percent: 50 }, { kind: 'average', resource: 'memory', value: '512Mi' }, { kind: 'pods', metric: 'rps', value: '100' }],
          scaleDownSeconds: 30,
        },
      },
    ],
  ])('%s', (line, want) => {
    const p = plan(line);
    expect(typeof p === 'string' ? p : { ...(p.suggest === undefined ? {} : { suggest: p.suggest, replicas: p.replicas }), ...(p.autoscale === undefined ? {} : { autoscale: p.autoscale }) }).toEqual(want);
  });

  it('suggests the name that was meant', () => {
    const p = parseCommand('/deploy wbe v1 to prod', commands);
    const r = p.ok ? resolve(config, p.value) : undefined;
    expect(r?.ok === false ? r.error.suggestions : r).toEqual(['web']);
  });

  it('batches by region, in the order given', () => {
    const p = plan('/upgrade registry.example.com/base:2 apps=web,api env=prod batches=gz,nj,tj,hk');
    expect(typeof p === 'string' ? p : p.batches?.map((b) => b.map((t) => `${t.app}@${t.cluster}`))).toEqual([
      ['api@gz-prod', 'web@gz-prod'],
      ['api@nj-prod', 'web@nj-prod'],
      ['api@tj-prod', 'web@tj-prod'],
      ['api@hk-prod', 'web@hk-prod'],
    ]);
  });

  it('batches by app groups', () => {
    const p = plan('/upgrade registry.example.com/base:2 apps=web,api,worker env=prod batches=worker,web+api');
    expect(typeof p === 'string' ? p : p.batches?.map((b) => b.length)).toEqual([4, 8]);
  });

  it.each([
    // 3 apps × 4 clusters = 12 workloads; cumulative shares rounded up.
    ['10%,50%,100%', [2, 4, 6]],
    ['1%,2%,100%', [1, 11]], // 2% adds nobody after 1%: skipped
    ['100%', [12]],
    ['34%,67%,100%', [5, 4, 3]],
  ])('percentages %s give batch sizes %j', (batches, sizes) => {
    const p = plan(`/upgrade registry.example.com/base:2 apps=web,api,worker env=prod batches=${batches}`);
    expect(typeof p === 'string' ? p : p.batches?.map((b) => b.length)).toEqual(sizes);
    if (typeof p !== 'string') expect(p.targets).toHaveLength(12);
  });
});

describe('pods= on a deploy', () => {
  /** The fixture with a StatefulSet app, db. */
  function withDb(): Config {
    const web = config.apps['web'];
    if (web === undefined) throw new Error('fixture has no web');
    return { ...config, apps: { ...config.apps, db: { ...web, image: 'registry.example.com/db', workload: { kind: 'StatefulSet', name: 'db' } } } };
  }
  function planDb(line: string): Plan | string {
    const p = parseCommand(line, commands);
    if (!p.ok) throw new Error(`test line does not parse: ${line}: ${p.error.message}`);
    const r = resolve(withDb(), p.value);
    return r.ok ? r.value : r.error.code;
  }

  it('keeps the batches as typed and the gate (manual unless given) for binding', () => {
    const p = planDb('/deploy db v2 to prod pods=1,50%,100%');
    expect(typeof p === 'string' ? p : [p.pods, p.gate, p.targets.map((t) => t.kind)]).toEqual([['1', '50%', '100%'], 'manual', ['StatefulSet', 'StatefulSet', 'StatefulSet', 'StatefulSet']]);
  });

  it.each([
    ['/deploy web v2 to prod pods=1,50%,100%', 'E_PODS_NOT_STATEFULSET'],
    ['/deploy db v2 to prod gate=auto', 'E_GATE_WITHOUT_BATCHES'],
    ['/deploy db v2 to prod bake=5m', 'E_GATE_WITHOUT_BATCHES'],
  ])('%s → %s', (line, code) => {
    expect(planDb(line)).toBe(code);
  });

  it('keeps bake= in seconds', () => {
    const p = planDb('/deploy db v2 to prod pods=1,100% gate=auto bake=5m');
    expect(typeof p === 'string' ? p : [p.gate, p.bake]).toEqual(['auto', 300]);
  });

  it('points a Deployment at whole-workload batches or a canary', () => {
    const p = parseCommand('/deploy web v2 to prod pods=1,100%', commands);
    const r = p.ok ? resolve(config, p.value) : undefined;
    expect(r?.ok === false ? `${r.error.message} ${r.error.expected ?? ''}` : r).toMatch(/web is a Deployment.*batches=10%,50%,100%/);
  });
});
