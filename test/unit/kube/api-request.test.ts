import { describe, expect, it } from 'vitest';
import { describeKubeRequest, kubeSpanName, type KubeRequest } from '../../../src/kube/api-request.ts';

/** Method and URL → what the apiserver would call the request, and the span name made of it. */
type Row = [string, string, string, Partial<KubeRequest>, string];

const S = 'https://127.0.0.1:22443';
const rows: Row[] = [
  ['read a deployment', 'GET', `${S}/apis/apps/v1/namespaces/shop/deployments/web`, { verb: 'get', resource: 'deployments', namespace: 'shop', name: 'web', groupVersion: 'apps/v1', kind: 'Deployment' }, 'k8s get deployments'],
  ['patch a statefulset', 'PATCH', `${S}/apis/apps/v1/namespaces/shop/statefulsets/db`, { verb: 'patch', resource: 'statefulsets', namespace: 'shop', name: 'db', kind: 'StatefulSet' }, 'k8s patch statefulsets'],
  ['replace a scale subresource', 'PUT', `${S}/apis/apps/v1/namespaces/shop/deployments/web/scale`, { verb: 'update', resource: 'deployments', subresource: 'scale', name: 'web' }, 'k8s update deployments/scale'],
  ['list pods by label (query ignored)', 'GET', `${S}/api/v1/namespaces/shop/pods?labelSelector=app%3Dweb`, { verb: 'list', resource: 'pods', namespace: 'shop', groupVersion: 'v1', kind: 'Pod' }, 'k8s list pods'],
  ['watch by query', 'GET', `${S}/api/v1/namespaces/shop/events?watch=true&fieldSelector=type%3DWarning`, { verb: 'watch', resource: 'events', namespace: 'shop' }, 'k8s watch events'],
  ['watch by the old path prefix', 'GET', `${S}/api/v1/watch/namespaces/shop/pods`, { verb: 'watch', resource: 'pods', namespace: 'shop' }, 'k8s watch pods'],
  ['create in a namespace', 'POST', `${S}/apis/rbac.authorization.k8s.io/v1/namespaces/shop/roles`, { verb: 'create', resource: 'roles', namespace: 'shop', groupVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role' }, 'k8s create roles'],
  ['delete one', 'DELETE', `${S}/apis/rbac.authorization.k8s.io/v1/namespaces/shop/rolebindings/bot`, { verb: 'delete', resource: 'rolebindings', name: 'bot' }, 'k8s delete rolebindings'],
  ['delete a collection', 'DELETE', `${S}/api/v1/namespaces/shop/pods`, { verb: 'deletecollection', resource: 'pods' }, 'k8s deletecollection pods'],
  ['a namespace itself', 'GET', `${S}/api/v1/namespaces/shop`, { verb: 'get', resource: 'namespaces', name: 'shop', namespace: 'shop', kind: 'Namespace' }, 'k8s get namespaces'],
  ['a namespace subresource', 'PUT', `${S}/api/v1/namespaces/shop/finalize`, { verb: 'update', resource: 'namespaces', name: 'shop', subresource: 'finalize' }, 'k8s update namespaces/finalize'],
  ['create a namespace', 'POST', `${S}/api/v1/namespaces`, { verb: 'create', resource: 'namespaces' }, 'k8s create namespaces'],
  ['cluster-scoped resource', 'POST', `${S}/apis/authorization.k8s.io/v1/selfsubjectaccessreviews`, { verb: 'create', resource: 'selfsubjectaccessreviews', kind: 'SelfSubjectAccessReview' }, 'k8s create selfsubjectaccessreviews'],
  ['an escaped name', 'GET', `${S}/api/v1/namespaces/shop/pods/web%2D1`, { verb: 'get', name: 'web-1' }, 'k8s get pods'],
  ['a resource with no known kind', 'GET', `${S}/apis/batch/v1/namespaces/shop/jobs`, { verb: 'list', resource: 'jobs', kind: undefined }, 'k8s list jobs'],
  ['non-resource path', 'GET', `${S}/version`, { verb: 'get', resource: undefined }, 'k8s get /version'],
  ['a server URL with a path prefix is not a resource path', 'GET', `${S}/proxy/api`, { verb: 'get', resource: undefined }, 'k8s get /proxy/api'],
];

describe('describeKubeRequest', () => {
  it.each(rows)('%s', (_case, method, url, expected, spanName) => {
    const r = describeKubeRequest(method, url);
    expect(r).toMatchObject(expected);
    expect(kubeSpanName(r, new URL(url).pathname)).toBe(spanName);
  });
});
