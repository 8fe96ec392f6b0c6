import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.ts';
import { defaultConfigPath } from '../../../src/config/paths.ts';
import { sampleWorkloads } from '../../../src/kube/sample-apps.ts';

describe('sample workloads of the embedded config', () => {
  it('puts every app of every environment on each of its clusters, at v1.0.0', () => {
    const r = loadConfig(defaultConfigPath(), {});
    if (!r.ok) throw new Error(JSON.stringify(r.error));
    const w = sampleWorkloads(r.value);
    const names = w.map((x) => `${x.cluster}/${x.namespace}/${x.kind}/${x.name}`);
    expect(names).toContain('gz/web-prod/Deployment/web');
    expect(names).toContain('nj/web-prod/Deployment/web');
    expect(names).toContain('nj/cache-staging/StatefulSet/cache');
    expect(names).not.toContain('gz/cache-dev/StatefulSet/cache'); // cache runs in staging and prod only
    expect(names).not.toContain('nj/web-dev/Deployment/web'); // dev is on gz only
    expect(new Set(names).size).toBe(names.length);
    expect(w.find((x) => x.name === 'web')?.image).toBe('registry.example.com/web:v1.0.0');
    expect(w.find((x) => x.name === 'worker')?.container).toBe('worker');
  });
});
