import { describe, expect, it } from 'vitest';
import { deadlinesBefore, rolloutState } from '../../../src/kube/rollout.ts';
import type { WorkloadStatus } from '../../../src/kube/status.ts';

type Partial2 = { [K in keyof WorkloadStatus]?: K extends 'replicas' ? Partial<WorkloadStatus['replicas']> : WorkloadStatus[K] };

function status(kind: 'Deployment' | 'StatefulSet', s: Partial2): WorkloadStatus {
  const replicas = { desired: 3, current: 3, updated: 3, ready: 3, available: 3, unavailable: 0, ...s.replicas };
  return {
    cluster: 'gz',
    ref: { namespace: 'ns', kind, name: 'web' },
    containers: [],
    generation: 2,
    observedGeneration: 2,
    conditions: [],
    revision: undefined,
    currentRevision: undefined,
    updateRevision: undefined,
    partition: undefined,
    strategy: 'RollingUpdate',
    paused: false,
    ...s,
    replicas,
  };
}

const deadline = { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'ReplicaSet "web-1" has timed out progressing.' };

describe('rolloutState', () => {
  it.each<[string, WorkloadStatus, string, string | RegExp]>([
    ['Deployment: change not observed yet', status('Deployment', { observedGeneration: 1 }), 'progressing', /controller to pick up/],
    ['Deployment: new pods still being created', status('Deployment', { replicas: { updated: 1, current: 4 } }), 'progressing', '1 of 3 new pods updated'],
    ['Deployment: old pods still there', status('Deployment', { replicas: { current: 4 } }), 'progressing', '1 old pods pending termination'],
    ['Deployment: new pods not yet available', status('Deployment', { replicas: { available: 2 } }), 'progressing', '2 of 3 updated pods available'],
    ['Deployment: done', status('Deployment', {}), 'complete', '3 of 3 pods updated and available'],
    ['Deployment: scaled down, pods still there', status('Deployment', { replicas: { desired: 1, current: 4, updated: 4, ready: 4, available: 4 } }), 'progressing', '3 extra pods pending termination'],
    ['Deployment: past its deadline', status('Deployment', { conditions: [deadline], replicas: { updated: 1, current: 4 } }), 'failed', /progress deadline \(ReplicaSet "web-1" has timed out progressing.\)/],
    ['StatefulSet: pods not ready', status('StatefulSet', { replicas: { ready: 2 }, currentRevision: 'a', updateRevision: 'b' }), 'progressing', '2 of 3 pods ready'],
    ['StatefulSet: revision still moving', status('StatefulSet', { replicas: { updated: 1 }, currentRevision: 'a', updateRevision: 'b' }), 'progressing', '1 of 3 pods updated'],
    ['StatefulSet: done', status('StatefulSet', { currentRevision: 'b', updateRevision: 'b' }), 'complete', '3 pods updated and ready'],
    ['StatefulSet: scaled down, pods still there', status('StatefulSet', { replicas: { desired: 1, current: 4, ready: 4 }, currentRevision: 'b', updateRevision: 'b' }), 'progressing', '3 extra pods pending termination'],
    ['StatefulSet: partition 2, ordinal 2 done', status('StatefulSet', { partition: 2, replicas: { updated: 1 }, currentRevision: 'a', updateRevision: 'b' }), 'complete', '1 pods with ordinal >= 2 updated'],
    ['StatefulSet: partition 1, one of two done', status('StatefulSet', { partition: 1, replicas: { updated: 1 }, currentRevision: 'a', updateRevision: 'b' }), 'progressing', '1 of 2 pods above the partition updated'],
    ['StatefulSet: OnDelete', status('StatefulSet', { strategy: 'OnDelete', currentRevision: 'a', updateRevision: 'b' }), 'complete', /only when they are deleted/],
  ])('%s', (_what, s, phase, message) => {
    const state = rolloutState(s);
    expect(state.phase).toBe(phase);
    if (typeof message === 'string') expect(state.message).toBe(message);
    else expect(state.message).toMatch(message);
    expect(state.reason).toBe(phase === 'failed' ? 'ProgressDeadlineExceeded' : undefined);
  });

  it('waits for the generation the write produced even before the status shows it', () => {
    expect(rolloutState(status('Deployment', { generation: 2, observedGeneration: 2 }), 3).phase).toBe('progressing');
  });

  it.each([
    ['before this rollout began: the previous rollout\'s, ignored', '2026-11-25T10:00:00Z', 'progressing'],
    ['after this rollout began: this rollout failed', '2026-11-25T10:00:20Z', 'failed'],
  ])('a deadline exceeded %s', (_what, at, phase) => {
    const s = status('Deployment', { conditions: [deadline], deadlineExceededAt: new Date(at), replicas: { updated: 1, current: 4 } });
    expect(rolloutState(s, 0, new Date('2026-11-25T10:00:10Z')).phase).toBe(phase);
  });

  // The previous rollout timed out at 10:00:09.4 (stored as 10:00:09); this one began at 10:00:09.6.
  const previous = new Date('2026-11-25T10:00:09Z');
  const started = Date.parse('2026-11-25T10:00:09.600Z');
  it.each<[string, Date | undefined, string, string]>([
    ['not seen at the first read: only the one-second allowance applies (and cannot tell)', undefined, '2026-11-25T10:00:09Z', 'failed'],
    ['seen at the first read: that condition is stale', previous, '2026-11-25T10:00:09Z', 'progressing'],
    ['seen at the first read, then a new one: this rollout failed', previous, '2026-11-25T10:00:30Z', 'failed'],
  ])('a deadline exceeded just before the rollout began, %s', (_what, firstSeen, at, phase) => {
    const s = status('Deployment', { conditions: [deadline], deadlineExceededAt: new Date(at), replicas: { updated: 1, current: 4 } });
    expect(rolloutState(s, 0, deadlinesBefore(started, firstSeen)).phase).toBe(phase);
  });
});
