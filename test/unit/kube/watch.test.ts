import { describe, expect, it } from 'vitest';
import { rolloutState } from '../../../src/kube/rollout.ts';
import { statusFromWorkload } from '../../../src/kube/status.ts';
import { parseStatKey, statKey, WatchStats, type WatchCount } from '../../../src/kube/watch-stats.ts';
import { workloadFromWire } from '../../../src/kube/watch-wire.ts';

describe('workloadFromWire', () => {
  // A Deployment as it arrives on the watch stream: JSON, condition times as strings.
  const wire = {
    kind: 'Deployment',
    apiVersion: 'apps/v1',
    metadata: { name: 'web', namespace: 'web-prod', resourceVersion: '812', generation: 3 },
    spec: { replicas: 3, template: { spec: { containers: [{ name: 'web', image: 'registry.example.com/web:v3' }] } } },
    status: {
      observedGeneration: 3,
      replicas: 4,
      updatedReplicas: 1,
      availableReplicas: 3,
      conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'ReplicaSet "web-3" has timed out progressing.', lastUpdateTime: '2026-11-25T10:00:20Z', lastTransitionTime: '2026-11-25T10:00:20Z' }],
    },
  };

  it('gives the condition times as Dates, so a rollout read off a watch is judged as one read by GET', () => {
    const w = workloadFromWire('Deployment', wire);
    if (w === undefined) throw new Error('not a workload');
    const s = statusFromWorkload('gz', w);
    expect(s.deadlineExceededAt).toEqual(new Date('2026-11-25T10:00:20Z'));
    expect(s.ref).toEqual({ namespace: 'web-prod', kind: 'Deployment', name: 'web' });
    expect(s.containers).toEqual([{ name: 'web', image: 'registry.example.com/web:v3' }]);
    expect(rolloutState(s, 3, new Date('2026-11-25T10:00:00Z')).phase).toBe('failed');
    expect(rolloutState(s, 3, new Date('2026-11-25T10:00:30Z')).phase).toBe('progressing');
  });

  it.each<[string, unknown]>([
    ['null', null],
    ['a string', 'web'],
    ['an object without metadata', { kind: 'Deployment' }],
  ])('refuses %s', (_what, object) => {
    expect(workloadFromWire('Deployment', object)).toBeUndefined();
  });

  it('keeps a StatefulSet without status as it is', () => {
    const w = workloadFromWire('StatefulSet', { metadata: { name: 'db', namespace: 'db-prod' }, spec: { replicas: 2 } });
    expect(w?.kind).toBe('StatefulSet');
    expect(w === undefined ? undefined : statusFromWorkload('gz', w).replicas.desired).toBe(2);
  });
});

describe('watch counts', () => {
  it.each<Pick<WatchCount, 'counter' | 'cluster' | 'kind' | 'detail'>>([
    { counter: 'events', cluster: 'gz', kind: 'Deployment', detail: 'MODIFIED' },
    { counter: 'restarts', cluster: 'nj-prod', kind: 'StatefulSet', detail: 'expired' },
    { counter: 'lists', cluster: 'gz', kind: 'Deployment', detail: 'watch-list' },
    { counter: 'fallback_polls', cluster: 'gz', kind: 'Deployment', detail: '' },
  ])('%o survives its Redis field name', (c) => {
    expect(parseStatKey(statKey(c))).toEqual(c);
  });

  it.each(['events|gz|Deployment', 'other|gz|Deployment|x', 'a|b|c|d|e'])('ignores the field %s', (key) => {
    expect(parseStatKey(key)).toBeUndefined();
  });

  it('hands each count out once, however many drain', () => {
    const stats = new WatchStats();
    stats.add('events', 'gz', 'Deployment', 'MODIFIED');
    stats.add('events', 'gz', 'Deployment', 'MODIFIED', 2);
    stats.add('restarts', 'gz', 'Deployment', 'closed');
    expect(stats.peek()).toHaveLength(2);
    expect(stats.drain()).toEqual([
      { counter: 'events', cluster: 'gz', kind: 'Deployment', detail: 'MODIFIED', value: 3 },
      { counter: 'restarts', cluster: 'gz', kind: 'Deployment', detail: 'closed', value: 1 },
    ]);
    expect(stats.drain()).toEqual([]);
  });
});
