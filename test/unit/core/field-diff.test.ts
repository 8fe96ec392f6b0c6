import { describe, expect, it } from 'vitest';
import { describeChange, diffObjects, formatPath, formatValue, valueAt, type FieldChange, type FieldPath, type Json } from '../../../src/core/field-diff.ts';
import { changedBy, describeDrift, driftsOf, ownerOf, type ManagedFieldsEntry } from '../../../src/core/field-owner.ts';

/** A Deployment as the apiserver returns it: defaulted fields, server-set metadata and status. */
function deployment(over: { image?: string; replicas?: number; env?: string; annotations?: Record<string, string>; probe?: boolean; rv?: string; generation?: number } = {}): Json {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'web',
      namespace: 'web-prod',
      uid: 'u-1',
      resourceVersion: over.rv ?? '100',
      generation: over.generation ?? 4,
      creationTimestamp: '2026-12-01T10:00:00Z',
      labels: { app: 'web' },
      annotations: { 'deployment.kubernetes.io/revision': '4', ...(over.annotations ?? {}) },
      managedFields: [{ manager: 'kubectl', operation: 'Update', time: over.rv === undefined ? '2026-12-01T10:00:00Z' : '2026-12-06T10:04:00Z' }],
    },
    spec: {
      replicas: over.replicas ?? 3,
      selector: { matchLabels: { app: 'web' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } },
      template: {
        metadata: { creationTimestamp: null, labels: { app: 'web' } },
        spec: {
          containers: [
            {
              name: 'web',
              image: over.image ?? 'registry.example.com/web:v1',
              env: [{ name: 'RELEASE', value: over.env ?? 'v1' }],
              imagePullPolicy: 'IfNotPresent',
              terminationMessagePath: '/dev/termination-log',
              ...(over.probe === true ? { readinessProbe: { httpGet: { path: '/ready', port: 8080 }, periodSeconds: 5 } } : {}),
            },
            { name: 'proxy', image: 'registry.example.com/proxy:1.0', imagePullPolicy: 'IfNotPresent' },
          ],
          restartPolicy: 'Always',
          terminationGracePeriodSeconds: 30,
        },
      },
    },
    status: { replicas: 3, updatedReplicas: 3, readyReplicas: 3, observedGeneration: over.generation ?? 4 },
  };
}

const image: FieldPath = ['spec', 'template', 'spec', 'containers', { key: 'name', value: 'web' }, 'image'];
const cause: FieldPath = ['metadata', 'annotations', 'kubernetes.io/change-cause'];

describe('diffObjects', () => {
  it.each<[string, Json, Json, FieldChange[]]>([
    ['nothing changed', deployment(), deployment(), []],
    ['server-set fields only (resourceVersion, generation, status, managedFields, timestamps)', deployment(), deployment({ rv: '200', generation: 5 }), []],
    ['an image, by container name', deployment(), deployment({ image: 'registry.example.com/web:v2' }), [{ path: image, from: 'registry.example.com/web:v1', to: 'registry.example.com/web:v2' }]],
    ['replicas', deployment(), deployment({ replicas: 50 }), [{ path: ['spec', 'replicas'], from: 3, to: 50 }]],
    [
      'an env var inside a container, by name',
      deployment(),
      deployment({ env: 'v2' }),
      [{ path: ['spec', 'template', 'spec', 'containers', { key: 'name', value: 'web' }, 'env', { key: 'name', value: 'RELEASE' }, 'value'], from: 'v1', to: 'v2' }],
    ],
    ['an annotation added', deployment(), deployment({ annotations: { 'kubernetes.io/change-cause': 'chatops op-1' } }), [{ path: cause, to: 'chatops op-1' }]],
    ['an annotation removed', deployment({ annotations: { 'kubernetes.io/change-cause': 'old' } }), deployment(), [{ path: cause, from: 'old' }]],
    [
      'the first pod annotation: the map appears, shown key by key',
      deployment(),
      (() => {
        const d = deployment() as { spec: { template: { metadata: Record<string, Json> } } };
        d.spec.template.metadata['annotations'] = { 'kubectl.kubernetes.io/restartedAt': 'op-1' };
        return d;
      })(),
      [{ path: ['spec', 'template', 'metadata', 'annotations', 'kubectl.kubernetes.io/restartedAt'], to: 'op-1' }],
    ],
    [
      'a readinessProbe added is one change of the whole probe',
      deployment(),
      deployment({ probe: true }),
      [{ path: ['spec', 'template', 'spec', 'containers', { key: 'name', value: 'web' }, 'readinessProbe'], to: { httpGet: { path: '/ready', port: 8080 }, periodSeconds: 5 } }],
    ],
  ])('%s', (_name, before, after, want) => {
    expect(diffObjects(before, after)).toEqual(want);
  });

  it('compares lists without a merge key as one value, and keyed items added or removed as one change each', () => {
    const a = { spec: { args: ['--a'], containers: [{ name: 'web', image: 'x:1' }] } };
    const b = { spec: { args: ['--a', '--b'], containers: [{ name: 'web', image: 'x:1' }, { name: 'log', image: 'y:1' }] } };
    expect(diffObjects(a, b)).toEqual([
      { path: ['spec', 'args'], from: ['--a'], to: ['--a', '--b'] },
      { path: ['spec', 'containers', { key: 'name', value: 'log' }], to: { name: 'log', image: 'y:1' } },
    ]);
  });

  it('treats Dates and model objects as the JSON the apiserver sent', () => {
    expect(diffObjects({ spec: { at: new Date('2026-01-01T00:00:00Z') } }, { spec: { at: '2026-01-01T00:00:00.000Z' } })).toEqual([]);
  });
});

describe('paths and values', () => {
  it.each<[FieldPath, string]>([
    [image, 'spec.template.spec.containers[web].image'],
    [cause, 'metadata.annotations["kubernetes.io/change-cause"]'],
    [['spec', 'template', 'spec', 'containers', { key: 'name', value: 'web' }, 'volumeMounts', { key: 'mountPath', value: '/data' }], 'spec.template.spec.containers[web].volumeMounts[mountPath=/data]'],
  ])('formatPath %j', (path, want) => {
    expect(formatPath(path)).toBe(want);
  });

  it.each<[FieldChange, string]>([
    [{ path: image, from: 'r/web:v1', to: 'r/web:v2' }, 'container web image: r/web:v1 → r/web:v2'],
    [{ path: ['spec', 'replicas'], from: 3, to: 50 }, 'replicas: 3 → 50'],
    [{ path: cause, to: 'chatops op-1: deploy' }, 'annotation kubernetes.io/change-cause: (none) → chatops op-1: deploy'],
    [{ path: ['spec', 'template', 'metadata', 'annotations', 'kubectl.kubernetes.io/restartedAt'], from: 'a', to: 'b' }, 'pod annotation kubectl.kubernetes.io/restartedAt: a → b'],
    [{ path: ['spec', 'strategy', 'type'], from: 'RollingUpdate', to: 'Recreate' }, 'spec.strategy.type: RollingUpdate → Recreate'],
  ])('describeChange %#', (c, want) => {
    expect(describeChange(c)).toBe(want);
  });

  it('cuts long values and shows objects as compact JSON', () => {
    expect(formatValue({ a: 1 })).toBe('{"a":1}');
    expect(formatValue('x'.repeat(500))).toHaveLength(120);
    expect(formatValue(undefined)).toBe('(none)');
  });

  it('valueAt finds list items by their key and misses what is not there', () => {
    const d = deployment();
    expect(valueAt(d, image)).toBe('registry.example.com/web:v1');
    expect(valueAt(d, ['spec', 'template', 'spec', 'containers', { key: 'name', value: 'nope' }, 'image'])).toBeUndefined();
    expect(valueAt(d, cause)).toBeUndefined();
  });
});

/** The managedFields of a Deployment whose image kubectl-edit changed after its creator made it, and an HPA scaled it. */
const managed: ManagedFieldsEntry[] = [
  {
    manager: 'kubernetes-client-javascript',
    operation: 'Update',
    time: '2026-12-06T09:00:00Z',
    fieldsV1: { 'f:spec': { 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"web"}': { '.': {}, 'f:name': {} } } } } } },
  },
  { manager: 'kube-controller-manager', operation: 'Update', subresource: 'status', time: '2026-12-06T10:10:00Z', fieldsV1: { 'f:status': { 'f:replicas': {} }, 'f:spec': { 'f:replicas': {} } } },
  { manager: 'kubectl-edit', operation: 'Update', time: '2026-12-06T10:04:31Z', fieldsV1: { 'f:spec': { 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"web"}': { 'f:image': {} } } } } } } },
  { manager: 'kube-controller-manager', operation: 'Update', subresource: 'scale', time: null, fieldsV1: { 'f:spec': { 'f:replicas': {} } } },
];

describe('ownerOf and drifts', () => {
  it.each<[FieldPath, string | undefined]>([
    [image, 'kubectl-edit'],
    [['spec', 'replicas'], 'kube-controller-manager'],
    [cause, undefined],
  ])('%j is owned by %s (status writers never count)', (path, manager) => {
    expect(ownerOf(managed, path)?.manager).toBe(manager);
  });

  it('says who changed a field that moved, and when', () => {
    const live = deployment({ image: 'registry.example.com/web:hand' });
    const drifts = driftsOf(live, [{ path: image, from: 'registry.example.com/web:v1', to: 'registry.example.com/web:v2' }, { path: ['spec', 'replicas'], from: 3, to: 5 }], managed);
    expect(drifts.map(describeDrift)).toEqual(['container web image is registry.example.com/web:hand now, not registry.example.com/web:v1 (changed by kubectl-edit at 10:04 UTC)']);
  });

  it('a field already at the change\'s "to" has not drifted: the change is done there', () => {
    expect(driftsOf(deployment({ image: 'registry.example.com/web:v2' }), [{ path: image, from: 'registry.example.com/web:v1', to: 'registry.example.com/web:v2' }], managed)).toEqual([]);
  });

  it('an HPA changing replicas is named with its subresource; a field nobody owns says so', () => {
    expect(changedBy(ownerOf(managed, ['spec', 'replicas']))).toBe('changed by kube-controller-manager through the scale subresource');
    expect(driftsOf(deployment(), [{ path: cause, from: 'old', to: 'new' }], managed).map(describeDrift)).toEqual([
      'annotation kubernetes.io/change-cause is (none) now, not old (removed or changed by a manager the object does not name)',
    ]);
  });
});
