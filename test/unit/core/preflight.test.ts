import { describe, expect, it } from 'vitest';
import { preflight, preStopSeconds, type PdbLike, type PreflightInput, type QuotaLike, type WorkloadLike } from '../../../src/core/preflight.ts';
import type { PreflightCheck } from '../../../src/core/preflight-checks.ts';
import { parseQuantity } from '../../../src/core/quantity.ts';

interface Shape {
  replicas?: number;
  probe?: boolean;
  preStop?: { sleep?: { seconds: number }; exec?: { command: string[] } } | 'none';
  grace?: number;
  strategy?: { type?: string; rollingUpdate?: { maxUnavailable?: number | string; maxSurge?: number | string } };
  sts?: { maxUnavailable?: number | string };
  requests?: Record<string, string>;
}

/** A workload that passes every check unless told otherwise. */
function workload(s: Shape = {}): WorkloadLike {
  return {
    spec: {
      replicas: s.replicas ?? 3,
      ...(s.strategy === undefined ? {} : { strategy: s.strategy }),
      ...(s.sts === undefined ? {} : { updateStrategy: { type: 'RollingUpdate', rollingUpdate: s.sts } }),
      template: {
        metadata: { labels: { app: 'web', tier: 'front' } },
        spec: {
          terminationGracePeriodSeconds: s.grace ?? 30,
          containers: [
            {
              name: 'web',
              ...(s.probe === false ? {} : { readinessProbe: { httpGet: { path: '/ready', port: 8080 } } }),
              ...(s.preStop === 'none' ? {} : { lifecycle: { preStop: s.preStop ?? { sleep: { seconds: 5 } } } }),
              resources: { requests: s.requests ?? { cpu: '250m', memory: '256Mi' } },
            },
          ],
        },
      },
    },
  };
}

const pdb: PdbLike = { metadata: { name: 'web' }, spec: { selector: { matchLabels: { app: 'web' } } } };
const quota = (hard: Record<string, string>, used: Record<string, string>, scoped = false): QuotaLike => ({ metadata: { name: 'team' }, ...(scoped ? { spec: { scopes: ['BestEffort'] } } : {}), status: { hard, used } });

function run(over: Partial<PreflightInput> & { w?: Shape } = {}): { checks: PreflightCheck[]; texts: string[] } {
  const input: PreflightInput = {
    verb: 'deploy',
    kind: 'Deployment',
    name: 'web',
    after: workload(over.w),
    fromReplicas: 3,
    rolls: true,
    changedContainers: ['web'],
    images: ['registry.example.com/web:v1.4.2'],
    pdbs: [pdb],
    quotas: [],
    hpas: [],
    ...over,
  };
  const w = preflight(input);
  for (const x of w) expect(x.why.length, `${x.check} has a why`).toBeGreaterThan(20);
  return { checks: w.map((x) => x.check), texts: w.map((x) => x.text) };
}

describe('preflight', () => {
  it('a well-set workload passes', () => {
    expect(run().checks).toEqual([]);
  });

  it.each<[string, Partial<PreflightInput> & { w?: Shape }, PreflightCheck[], string?]>([
    ['no readinessProbe on the changed container', { w: { probe: false } }, ['readiness'], 'container web has no readinessProbe'],
    ['no readinessProbe, but the container is not changed', { w: { probe: false }, changedContainers: ['proxy'] }, []],
    ['no readinessProbe on a scale up (new pods of every container)', { verb: 'scale', rolls: false, changedContainers: undefined, w: { probe: false, replicas: 5 } }, ['readiness']],
    ['no readinessProbe on a scale down (no new pods)', { verb: 'scale', rolls: false, changedContainers: undefined, w: { probe: false, replicas: 2 } }, []],
    ['no preStop hook', { w: { preStop: 'none' } }, ['prestop'], 'container web has no preStop hook'],
    ['a grace period no longer than the preStop sleep', { w: { grace: 5 } }, ['prestop'], 'container web: terminationGracePeriodSeconds 5 is not longer than its preStop sleep of 5 s'],
    ['an exec sleep preStop with room to spare', { w: { preStop: { exec: { command: ['sh', '-c', 'sleep 10'] } }, grace: 30 } }, []],
    ['maxUnavailable 1 of 1 replica', { w: { replicas: 1, strategy: { rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } } } }, ['rollout'], 'a rolling update may take all 1 ready pod down at once (maxUnavailable 1)'],
    ['maxUnavailable 100%', { w: { strategy: { rollingUpdate: { maxUnavailable: '100%' } } } }, ['rollout']],
    ['1 replica with the default 25% (rounds down to 0)', { w: { replicas: 1 } }, []],
    ['Recreate', { w: { strategy: { type: 'Recreate' } } }, ['rollout'], 'strategy Recreate stops all 3 pods before the new ones start'],
    ['a one-pod StatefulSet', { kind: 'StatefulSet', w: { replicas: 1 } }, ['rollout']],
    ['a three-pod StatefulSet', { kind: 'StatefulSet', w: { replicas: 3, sts: { maxUnavailable: 1 } } }, []],
    ['no PDB for 3 replicas', { pdbs: [] }, ['pdb'], 'no PodDisruptionBudget covers its 3 pods'],
    ['a PDB selecting other pods', { pdbs: [{ spec: { selector: { matchLabels: { app: 'api' } } } }] }, ['pdb']],
    ['a PDB by expression', { pdbs: [{ spec: { selector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['front', 'back'] }] } } }] }, []],
    ['a PDB without a selector selects nothing', { pdbs: [{ spec: {} }] }, ['pdb']],
    ['no PDB for 1 replica is fine', { pdbs: [], w: { replicas: 1, strategy: { rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } } } }, []],
    ['PDBs not read: not checked', { pdbs: undefined }, []],
    ['the mutable tag latest', { images: ['registry.example.com/web:latest'] }, ['mutable-tag'], 'image registry.example.com/web:latest uses the mutable tag "latest"'],
    ['no tag at all', { images: ['registry.example.com/web'] }, ['mutable-tag']],
    ['latest pinned by digest', { images: [`registry.example.com/web:latest@sha256:${'a'.repeat(64)}`] }, []],
    ['an HPA owning the replicas of a scale', { verb: 'scale', rolls: false, changedContainers: undefined, w: { replicas: 4 }, hpas: [{ metadata: { name: 'web' }, spec: { scaleTargetRef: { kind: 'Deployment', name: 'web' }, minReplicas: 2, maxReplicas: 10 } }] }, ['hpa'], 'HorizontalPodAutoscaler web owns its replicas (min 2, max 10)'],
    ['an HPA does not matter to a deploy', { hpas: [{ spec: { scaleTargetRef: { kind: 'Deployment', name: 'web' }, maxReplicas: 10 } }] }, []],
  ])('%s', (_name, over, checks, text) => {
    const r = run(over);
    expect(r.checks).toEqual(checks);
    if (text !== undefined) expect(r.texts).toContain(text);
  });

  it.each<[string, Partial<PreflightInput> & { w?: Shape }, string[]]>([
    ['pods: a scale from 3 to 5 against 4 allowed with 3 used', { verb: 'scale', rolls: false, changedContainers: undefined, w: { replicas: 5 }, quotas: [quota({ pods: '4' }, { pods: '3' })] }, ['ResourceQuota team: pods would be 5 of 4 (3 used, 2 more pods)']],
    ['pods: the same scale fits in 5', { verb: 'scale', rolls: false, changedContainers: undefined, w: { replicas: 5 }, quotas: [quota({ pods: '5' }, { pods: '3' })] }, []],
    ['memory: a rollout surge of one pod of 256Mi past 1Gi with 900Mi used', { quotas: [quota({ 'requests.memory': '1Gi' }, { 'requests.memory': '900Mi' })] }, ['ResourceQuota team: requests.memory would be 1.13Gi of 1Gi (900Mi used, 1 more pod counting the rollout surge)']],
    ['cpu: a scale by 2 pods of 1.5 cores within 4 with 0.5 used', { verb: 'scale', rolls: false, changedContainers: undefined, w: { replicas: 5, requests: { cpu: '1.5' } }, quotas: [quota({ cpu: '4' }, { cpu: '500m' })] }, []],
    ['a scoped quota is not guessed at', { verb: 'scale', rolls: false, changedContainers: undefined, w: { replicas: 5 }, quotas: [quota({ pods: '1' }, { pods: '1' }, true)] }, []],
    ['a quota the controller has not counted yet is skipped', { verb: 'scale', rolls: false, changedContainers: undefined, w: { replicas: 5 }, quotas: [{ metadata: { name: 'q' }, status: { hard: { pods: '1' } } }] }, []],
    ['a scale down charges nothing', { verb: 'scale', rolls: false, changedContainers: undefined, w: { replicas: 2 }, quotas: [quota({ pods: '1' }, { pods: '3' })] }, []],
  ])('quota: %s', (_name, over, texts) => {
    const r = run(over);
    expect(r.texts.filter((t) => t.startsWith('ResourceQuota'))).toEqual(texts);
  });

  it('skips the checks the environment turns off', () => {
    expect(run({ w: { probe: false, preStop: 'none' }, pdbs: [], images: ['r/web:latest'], skip: new Set<PreflightCheck>(['readiness', 'pdb']) }).checks).toEqual(['prestop', 'mutable-tag']);
  });
});

describe('parseQuantity and preStopSeconds', () => {
  it.each<[string, number | undefined]>([
    ['500m', 0.5],
    ['2', 2],
    ['1.5Gi', 1.5 * 2 ** 30],
    ['256Mi', 256 * 2 ** 20],
    ['1k', 1000],
    ['1e3', 1000],
    ['0.1', 0.1],
    ['10Zi', undefined],
    ['', undefined],
  ])('%s → %s', (q, n) => {
    expect(parseQuantity(q)).toBe(n);
  });

  it.each<[Parameters<typeof preStopSeconds>[0], number | undefined]>([
    [{ sleep: { seconds: 7 } }, 7],
    [{ exec: { command: ['/bin/sh', '-c', 'sleep 15 && nginx -s quit'] } }, 15],
    [{ exec: { command: ['/app/drain'] } }, undefined],
  ])('%j sleeps %s s', (hook, s) => {
    expect(preStopSeconds(hook)).toBe(s);
  });
});
