import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../src/config/load.ts';
import type { Config } from '../../../src/config/schema.ts';
import { followPort } from '../../../src/local/port.ts';
import { startedBy, usesLocalClusters, withLocalPrometheus } from '../../../src/local/services.ts';

function config(clusters: Record<string, unknown>, extra: Record<string, unknown> = {}): Config {
  const r = validateConfig(
    {
      mode: 'local',
      people: { alice: {} },
      clusters,
      environments: { prod: { clusters: Object.keys(clusters), registries: ['registry.example.com'] } },
      apps: { web: { image: 'registry.example.com/web', probe: { url: 'http://127.0.0.1:3000/sample-probe/{region}/web' } }, api: { image: 'registry.example.com/api', probe: { url: 'http://probe.example.com:3000/x' } } },
      links: { job: 'http://127.0.0.1:3000/ops/{jobId}', trace: 'http://127.0.0.1:16686/trace/{traceId}', logs: 'http://localhost:3000/logs?app={app}' },
      ...extra,
    },
    {},
  );
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return r.value;
}

describe('local mode: the local control plane or not', () => {
  const root = '/repo/';
  it.each([
    ['the embedded default (relative to the project)', { gz: { region: 'gz', kubeconfig: '.data/cluster/kubeconfig.yaml', context: 'gz' } }, '/repo', {}, true],
    ['the same file, absolute', { gz: { region: 'gz', kubeconfig: '/repo/.data/cluster/kubeconfig.yaml' } }, '/elsewhere', {}, true],
    ['a kubeconfig of your own', { gz: { region: 'gz', kubeconfig: '/home/me/.kube/config' } }, '/repo', {}, false],
    ['the default kubeconfig', { gz: { region: 'gz' } }, '/repo', {}, false],
    ['in the cluster', { gz: { region: 'gz', inCluster: true } }, '/repo', {}, false],
    ['another cluster state folder', { gz: { region: 'gz', kubeconfig: '/tmp/c/kubeconfig.yaml' } }, '/repo', { CHATOPS_CLUSTER_DIR: '/tmp/c' }, true],
  ])('%s', (_name, clusters, cwd, env, want) => {
    expect(usesLocalClusters(config(clusters), root, cwd, env)).toBe(want);
  });

  it("gives the local clusters their own Prometheus from clusters.json, unless the config names one or reaches them otherwise", () => {
    const info = (name: string, prometheus?: string) => ({ name, region: name, server: '', auditLog: '', adminContext: `${name}-admin`, botContext: name, kubeconfig: '/repo/.data/cluster/kubeconfig.yaml', ...(prometheus === undefined ? {} : { prometheus }) });
    const c = config({
      gz: { region: 'gz', kubeconfig: '.data/cluster/kubeconfig.yaml', context: 'gz' },
      nj: { region: 'nj', kubeconfig: '.data/cluster/kubeconfig.yaml', context: 'nj-admin' },
      own: { region: 'gz', kubeconfig: '.data/cluster/kubeconfig.yaml', context: 'gz', prometheus: { url: 'http://prometheus.example.com:9090' } },
      mine: { region: 'gz', kubeconfig: '/home/me/.kube/config', context: 'gz' },
    });
    const out = withLocalPrometheus(c, [info('gz', 'http://127.0.0.1:28990'), info('nj', 'http://127.0.0.1:29990')], (p) => p === '.data/cluster/kubeconfig.yaml');
    expect(Object.fromEntries(Object.entries(out.clusters).map(([n, x]) => [n, x.prometheus?.url]))).toEqual({
      gz: 'http://127.0.0.1:28990',
      nj: 'http://127.0.0.1:29990',
      own: 'http://prometheus.example.com:9090',
      mine: undefined,
    });
    // clusters.json from before the metrics components: nothing to give.
    expect(withLocalPrometheus(c, [info('gz'), info('nj')], () => true).clusters['gz']?.prometheus).toBeUndefined();
  });

  it('reads which clusters up.sh started', () => {
    expect(startedBy('[cluster 10:00:00] ready in 21.3s (started: gz nj); kubeconfig …')).toEqual(['gz', 'nj']);
    expect(startedBy('[cluster 10:00:00] all clusters already up (0.4s)')).toEqual([]);
  });
});

describe('local URLs follow the port the bot listens on', () => {
  it('rewrites loopback links and probes on the configured port, and nothing else', () => {
    const c = followPort(config({ gz: { region: 'gz' } }), 3000, 41234);
    expect(c.links.job).toBe('http://127.0.0.1:41234/ops/{jobId}');
    expect(c.links.logs).toBe('http://localhost:41234/logs?app={app}');
    expect(c.links.trace).toBe('http://127.0.0.1:16686/trace/{traceId}');
    expect(c.apps['web']?.probe?.url).toBe('http://127.0.0.1:41234/sample-probe/{region}/web');
    expect(c.apps['api']?.probe?.url).toBe('http://probe.example.com:3000/x');
  });

  it('leaves the config as it is when the port did not move', () => {
    const c = config({ gz: { region: 'gz' } });
    expect(followPort(c, 3000, 3000)).toBe(c);
  });
});
