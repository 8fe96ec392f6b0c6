import { describe, expect, it } from 'vitest';
import { commands } from '../../../commands/index.ts';
import { parseCommand } from '../../../src/core/parse.ts';
import type { HpaState } from '../../../src/kube/hpa.ts';
import { scaleLines } from '../../../src/scaling/actions.ts';
import { hpaLines } from '../../../src/scaling/hpa-lines.ts';
import { perPod, usageQuery, type StoredSuggestion } from '../../../src/scaling/suggest.ts';

describe('the queries of cpu= and memory=', () => {
  it.each([
    ['cpu', {}, 'sum by (pod) (rate(container_cpu_usage_seconds_total{namespace="web-staging",container!=""}[1m]))'],
    ['memory', {}, 'sum by (pod) (container_memory_working_set_bytes{namespace="web-staging",container!=""})'],
    ['cpu', { cluster: 'gz', team: 'a"b' }, 'sum by (pod) (rate(container_cpu_usage_seconds_total{namespace="web-staging",container!="",cluster="gz",team="a\\"b"}[1m]))'],
  ] as const)('%s with labels %j', (resource, labels, q) => {
    expect(usageQuery(resource, 'web-staging', labels, '1m')).toBe(q);
  });

  it("keeps only the workload's pods, sums several series of one pod, and skips other namespaces", () => {
    const s = (labels: Record<string, string>, value: number) => ({ labels, value });
    const got = perPod(
      [s({ pod: 'web-a' }, 1), s({ pod: 'web-a', container: 'proxy' }, 2), s({ pod: 'web-b', namespace: 'web-staging' }, 3), s({ pod: 'web-b', namespace: 'other' }, 100), s({ pod: 'api-x' }, 100), s({}, 100)],
      'web-staging',
      ['web-a', 'web-b', 'web-c'],
    );
    expect(got).toEqual(new Map([['web-a', 3], ['web-b', 3]]));
  });
});

describe('what Apply asks for', () => {
  const sug = (over: Partial<StoredSuggestion>): StoredSuggestion => ({ id: 'sug-1a2b', app: 'web', env: 'staging', replicas: { gz: 7, nj: 7 }, wholeEnv: true, basis: 'cpu', askedBy: 'alice', ...over });

  it.each([
    ['one count for the whole environment: one /scale', sug({}), [[undefined, 'scale app=web replicas=7 env=staging reason="applied suggestion sug-1a2b (cpu)"']]],
    ['counts that differ: one per cluster', sug({ replicas: { nj: 4, gz: 7 } }), [['gz', 'scale app=web replicas=7 env=staging cluster=gz reason="applied suggestion sug-1a2b (cpu)"'], ['nj', 'scale app=web replicas=4 env=staging cluster=nj reason="applied suggestion sug-1a2b (cpu)"']]],
    ['a suggestion for one cluster stays on it', sug({ replicas: { gz: 7 }, wholeEnv: false }), [['gz', 'scale app=web replicas=7 env=staging cluster=gz reason="applied suggestion sug-1a2b (cpu)"']]],
  ] as const)('%s', (_, s, want) => {
    expect(scaleLines(s).map((l) => [l.cluster, l.text])).toEqual(want);
  });

  it('carries the reason given with the suggestion, quoted so it parses back', () => {
    const [line] = scaleLines(sug({ reason: 'load test "phase 2", see OPS-12' }));
    const parsed = parseCommand(line?.text ?? '', commands);
    expect(parsed.ok ? parsed.value : parsed.error).toEqual({ verb: 'scale', args: { app: 'web', replicas: 7, env: 'staging', reason: 'load test "phase 2", see OPS-12' } });
  });
});

describe('HPA lines of /status', () => {
  const h: HpaState = {
    name: 'web',
    settings: { min: 2, max: 10, metrics: [{ kind: 'utilization', resource: 'cpu', percent: 50 }], scaleDownSeconds: 30 },
    currentReplicas: 4,
    desiredReplicas: 4,
    lastScaleTime: new Date('2026-01-01T10:00:00Z'),
    metrics: [{ name: 'cpu', current: '40%', target: '50%' }],
    conditions: [],
    lastEvent: { reason: 'SuccessfulRescale', message: 'New size: 4; reason: cpu resource utilization (percentage of request) above target', at: new Date('2026-01-01T10:00:01Z') },
    resourceVersion: '1',
  };

  it.each([
    ['scaling normally', h, ['HPA web: 4 now, 4 desired (min 2, max 10, scale-down window 30s); cpu 40% (target 50%)', '  last scaling event 2026-01-01 10:00:01 UTC: SuccessfulRescale: New size: 4; reason: cpu resource utilization (percentage of request) above target']],
    [
      'without metrics yet',
      { ...h, metrics: [{ name: 'cpu', current: undefined, target: '50%' }], lastEvent: undefined, lastScaleTime: undefined, conditions: [{ type: 'ScalingActive', status: 'False', reason: 'FailedGetResourceMetric', message: 'the HPA was unable to compute the replica count' }] },
      ['HPA web: 4 now, 4 desired (min 2, max 10, scale-down window 30s); cpu not measured yet (target 50%)', '  not scaling: FailedGetResourceMetric: the HPA was unable to compute the replica count'],
    ],
    ['at its bound', { ...h, lastEvent: undefined, conditions: [{ type: 'ScalingLimited', status: 'True', reason: 'TooFewReplicas', message: 'the desired replica count is less than the minimum replica count' }] }, ['HPA web: 4 now, 4 desired (min 2, max 10, scale-down window 30s); cpu 40% (target 50%)', '  limited: TooFewReplicas: the desired replica count is less than the minimum replica count', '  last scaled 2026-01-01 10:00:00 UTC']],
  ] as const)('%s', (_, state, want) => {
    expect(hpaLines(state)).toEqual(want);
  });
});
