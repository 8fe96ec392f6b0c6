/**
 * What a Kubernetes API request does, read from its method and URL the way the apiserver reads
 * it (k8s.io/apiserver RequestInfo): verb, resource and subresource, namespace, object name.
 * For span names and attributes: bounded values (the verb, the resource) name the span, the
 * rest are attributes. Pure.
 */
export interface KubeRequest {
  /** get, list, watch, create, update, patch, delete, deletecollection; else the method in lower case. */
  readonly verb: string;
  /** Plural resource ("deployments"); undefined for a non-resource path (/version, /healthz). */
  readonly resource: string | undefined;
  readonly subresource: string | undefined;
  readonly namespace: string | undefined;
  readonly name: string | undefined;
  /** "apps/v1", "v1" (the core group). */
  readonly groupVersion: string | undefined;
  /** The object kind for the resources the bot touches ("Deployment"); undefined for others. */
  readonly kind: string | undefined;
}

/** Namespace subresources: /api/v1/namespaces/{name}/status is the namespace's, not a resource in it. */
const NAMESPACE_SUBRESOURCES: ReadonlySet<string> = new Set(['status', 'finalize']);

const KINDS: Readonly<Record<string, string>> = {
  deployments: 'Deployment',
  statefulsets: 'StatefulSet',
  replicasets: 'ReplicaSet',
  controllerrevisions: 'ControllerRevision',
  pods: 'Pod',
  events: 'Event',
  namespaces: 'Namespace',
  roles: 'Role',
  rolebindings: 'RoleBinding',
  selfsubjectaccessreviews: 'SelfSubjectAccessReview',
};

export function describeKubeRequest(method: string, url: string): KubeRequest {
  const u = new URL(url, 'http://apiserver.invalid');
  let parts = u.pathname.split('/').filter((p) => p !== '').map(decodeURIComponent);
  let groupVersion: string | undefined;
  if (parts[0] === 'api' && parts.length >= 2) {
    groupVersion = parts[1];
    parts = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 3) {
    groupVersion = `${parts[1]}/${parts[2]}`;
    parts = parts.slice(3);
  } else {
    return { verb: method.toLowerCase(), resource: undefined, subresource: undefined, namespace: undefined, name: undefined, groupVersion: undefined, kind: undefined };
  }
  // The old /watch/ path prefix, still served.
  let watch = u.searchParams.get('watch') === 'true' || u.searchParams.get('watch') === '1';
  if (parts[0] === 'watch') {
    watch = true;
    parts = parts.slice(1);
  }
  let namespace: string | undefined;
  if (parts[0] === 'namespaces' && parts.length > 1) {
    namespace = parts[1];
    if (parts.length > 2 && !NAMESPACE_SUBRESOURCES.has(parts[2] ?? '')) parts = parts.slice(2);
  }
  const resource = parts[0];
  const name = parts[1];
  const subresource = parts[2];
  return { verb: verbOf(method.toUpperCase(), name !== undefined, watch), resource, subresource, namespace, name, groupVersion, kind: resource === undefined ? undefined : KINDS[resource] };
}

function verbOf(method: string, named: boolean, watch: boolean): string {
  switch (method) {
    case 'GET':
    case 'HEAD':
      return watch ? 'watch' : named ? 'get' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return named ? 'delete' : 'deletecollection';
    default:
      return method.toLowerCase();
  }
}

/** "k8s patch deployments", "k8s get deployments/scale", "k8s get /version": a low-cardinality span name. */
export function kubeSpanName(r: KubeRequest, path: string): string {
  if (r.resource === undefined) return `k8s ${r.verb} ${path}`;
  return `k8s ${r.verb} ${r.subresource === undefined ? r.resource : `${r.resource}/${r.subresource}`}`;
}
