import { describe, expect, it } from 'vitest';
import type { PodReason } from '../../../src/kube/pod-reason.ts';
import { podReason } from '../../../src/kube/pod-reason.ts';

type Pod = Parameters<typeof podReason>[0];
type ContainerStatus = NonNullable<NonNullable<Pod['status']>['containerStatuses']>[number];

function cs(name: string, s: Partial<ContainerStatus>): ContainerStatus {
  return { name, image: `${name}:1`, imageID: '', ready: false, restartCount: 0, ...s };
}

function pod(phase: string, statuses: ContainerStatus[], conditions: { type: string; status: string; reason?: string; message?: string }[] = []): Pod {
  return { metadata: { name: 'web-1' }, status: { phase, containerStatuses: statuses, conditions } };
}

const ready = [{ type: 'Ready', status: 'True' }];

describe('podReason', () => {
  it.each<[string, Pod, string | undefined]>([
    ['a Ready pod', pod('Running', [cs('web', { ready: true, state: { running: {} } })], ready), undefined],
    ['CrashLoopBackOff', pod('Running', [cs('web', { restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff' } } })]), 'CrashLoopBackOff'],
    ['ImagePullBackOff', pod('Pending', [cs('web', { state: { waiting: { reason: 'ImagePullBackOff' } } })]), 'ImagePullBackOff'],
    ['ErrImagePull', pod('Pending', [cs('web', { state: { waiting: { reason: 'ErrImagePull' } } })]), 'ErrImagePull'],
    [
      'OOMKilled wins over the CrashLoopBackOff it causes',
      pod('Running', [cs('web', { restartCount: 4, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 137, reason: 'OOMKilled' } } })]),
      'OOMKilled',
    ],
    ['Unschedulable', pod('Pending', [], [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/2 nodes are available' }]), 'Unschedulable'],
    ['Pending without a better reason', pod('Pending', [cs('web', { state: { waiting: { reason: 'ContainerCreating' } } })]), 'Pending'],
    ['Running but not ready', pod('Running', [cs('web', { state: { running: {} } })], [{ type: 'Ready', status: 'False', reason: 'ContainersNotReady' }]), 'ContainersNotReady'],
    ['a crashed container', pod('Running', [cs('web', { state: { terminated: { exitCode: 2, reason: 'Error' } } })]), 'Error'],
    ['evicted', { metadata: { name: 'x' }, status: { phase: 'Failed', reason: 'Evicted' } }, 'Evicted'],
    ['being deleted', { metadata: { name: 'x', deletionTimestamp: new Date(0) }, status: { phase: 'Running' } }, 'Terminating'],
    [
      'one bad container among good ones',
      pod('Running', [cs('proxy', { ready: true, state: { running: {} } }), cs('web', { restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff' } } })]),
      'CrashLoopBackOff',
    ],
  ])('%s', (_what, p, reason) => {
    const r: PodReason | undefined = podReason(p);
    expect(r?.reason).toBe(reason);
  });
});
