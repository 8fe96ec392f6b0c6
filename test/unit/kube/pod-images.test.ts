import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { digestOf, podRun } from '../../../src/kube/pod-images.ts';

const D = `sha256:${'a'.repeat(64)}`;

describe('digestOf', () => {
  it.each([
    [`registry.example.com/web@${D}`, D],
    [`docker.io/library/nginx@${D}`, D],
    [`docker-pullable://nginx@${D}`, D],
    [D, undefined], // a local image id, not a registry digest
    ['', undefined],
    [undefined, undefined],
  ])('%s → %s', (id, want) => {
    expect(digestOf(id)).toBe(want);
  });
});

describe('podRun', () => {
  it('pairs each container with its status, and reads readiness and times', () => {
    const pod: V1Pod = {
      metadata: { name: 'web-1' },
      spec: { containers: [{ name: 'web', image: 'registry.example.com/web:v2' }, { name: 'proxy', image: 'registry.example.com/proxy:1' }] },
      status: {
        startTime: new Date('2026-12-06T09:59:00Z'),
        conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: new Date('2026-12-06T10:00:00Z') }],
        containerStatuses: [{ name: 'web', image: 'registry.example.com/web:v2', imageID: `registry.example.com/web@${D}`, ready: true, restartCount: 0 }],
      },
    };
    expect(podRun(pod)).toEqual({
      name: 'web-1',
      ready: true,
      readySince: new Date('2026-12-06T10:00:00Z'),
      startedAt: new Date('2026-12-06T09:59:00Z'),
      containers: [
        { name: 'web', image: 'registry.example.com/web:v2', imageID: `registry.example.com/web@${D}`, digest: D, ready: true },
        { name: 'proxy', image: 'registry.example.com/proxy:1', imageID: undefined, digest: undefined, ready: false },
      ],
    });
  });
});
