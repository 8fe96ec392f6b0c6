import { describe, expect, it } from 'vitest';
import { KubeError, admissionReason, statusOf, toKubeError, type CallContext } from '../../../src/kube/errors.ts';

const patchWeb: CallContext = { cluster: 'gz', verb: 'patch', resource: 'deployments', namespace: 'web-prod', name: 'web' };
const scaleWeb: CallContext = { cluster: 'nj', verb: 'update', resource: 'deployments/scale', namespace: 'web-prod', name: 'web' };
const listNs: CallContext = { cluster: 'gz', verb: 'list', resource: 'namespaces' };

/** What client-node 2.x throws: an ApiException with the HTTP code and the body as text. */
function apiException(code: number, reason: string, message: string): unknown {
  return Object.assign(new Error(`HTTP-Code: ${code}`), { code, body: JSON.stringify({ kind: 'Status', status: 'Failure', reason, message, code }), headers: {} });
}

describe('toKubeError', () => {
  it.each([
    [403, 'Forbidden', patchWeb, 'forbidden', false, 'The bot may not patch deployments in namespace web-prod on cluster gz (forbidden)'],
    [403, 'Forbidden', listNs, 'forbidden', false, 'The bot may not list namespaces on cluster gz (forbidden)'],
    [403, 'Forbidden', scaleWeb, 'forbidden', false, 'The bot may not update deployments/scale in namespace web-prod on cluster nj (forbidden)'],
    [401, 'Unauthorized', patchWeb, 'forbidden', false, "Cluster gz did not accept the bot's credentials (unauthorized)"],
    [404, 'NotFound', patchWeb, 'not_found', false, 'Deployment web was not found in namespace web-prod on cluster gz'],
    [404, 'NotFound', scaleWeb, 'not_found', false, 'The scale of deployment web was not found in namespace web-prod on cluster nj'],
    [409, 'Conflict', patchWeb, 'conflict', false, 'Deployment web in namespace web-prod on cluster gz was changed by someone else while the bot was updating it (conflict)'],
    [409, 'AlreadyExists', patchWeb, 'conflict', false, 'Deployment web already exists in namespace web-prod on cluster gz (conflict)'],
    [429, 'TooManyRequests', patchWeb, 'transient', true, 'Cluster gz asked the bot to slow down while it tried to patch deployments in namespace web-prod (transient)'],
    [500, 'InternalError', patchWeb, 'transient', true, 'Cluster gz failed to patch deployments in namespace web-prod (HTTP 500, transient)'],
    [503, 'ServiceUnavailable', listNs, 'transient', true, 'Cluster gz failed to list namespaces (HTTP 503, transient)'],
    [504, 'Timeout', patchWeb, 'transient', true, 'Cluster gz failed to patch deployments in namespace web-prod (HTTP 504, transient)'],
    [410, 'Expired', listNs, 'transient', true, 'Cluster gz expired a read of namespaces; trying again (transient)'],
  ] as const)('HTTP %i %s → %s', (code, reason, ctx, kind, retryable, message) => {
    const e = toKubeError(apiException(code, reason, `a message from the apiserver with token=abc123`), ctx);
    expect(e).toBeInstanceOf(KubeError);
    expect({ kind: e.kind, retryable: e.retryable, status: e.status, message: e.message }).toEqual({ kind, retryable, status: code, message });
  });

  it.each([
    [
      'a ValidatingAdmissionPolicy: its reason whole, the object and binding names dropped',
      'horizontalpodautoscalers.autoscaling "web" is forbidden: ValidatingAdmissionPolicy \'cap-hpa-26bd8608\' with binding \'cap-hpa-26bd8608\' denied request: autoscalers are capped at 20 replicas in dryrun-092206cb',
      "ValidatingAdmissionPolicy 'cap-hpa-26bd8608' denied it: autoscalers are capped at 20 replicas in dryrun-092206cb",
    ],
    ['a webhook', 'admission webhook "policy.example.com" denied the request: image tag latest is not allowed', 'admission webhook "policy.example.com" denied it: image tag latest is not allowed'],
    ['anything else as it is', 'Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1', 'Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1'],
  ])('an admission refusal keeps its reason: %s', (_, message, kept) => {
    expect(admissionReason(message)).toBe(kept);
    expect(toKubeError(apiException(422, 'Invalid', message), patchWeb).message).toBe(`Cluster gz rejected the patch of deployment web in namespace web-prod: ${kept} (invalid)`);
  });

  it('keeps the apiserver validation message (short, one line) for invalid requests, and nothing else of the body', () => {
    const e = toKubeError(apiException(422, 'Invalid', 'Deployment.apps "web" is invalid:\n  spec.replicas: Invalid value: -1: must be greater than or equal to 0'), patchWeb);
    expect(e.kind).toBe('invalid');
    expect(e.retryable).toBe(false);
    expect(e.message).toBe(
      'Cluster gz rejected the patch of deployment web in namespace web-prod: Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0 (invalid)',
    );
    expect(e.message).not.toContain('"kind"');
    const long = toKubeError(apiException(400, 'BadRequest', 'x'.repeat(1000)), patchWeb);
    expect(long.message.length).toBeLessThan(320);
  });

  it.each(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT'])('a network failure (%s, wrapped as fetch does) is transient', (code) => {
    const e = toKubeError(new TypeError('fetch failed', { cause: Object.assign(new Error('connect'), { code }) }), patchWeb);
    expect([e.kind, e.retryable, e.status]).toEqual(['transient', true, undefined]);
    expect(e.message).toBe(`Cluster gz could not be reached to patch deployments in namespace web-prod (${code}, transient)`);
  });

  it('a certificate the bot cannot verify is a setup problem, not retried', () => {
    const e = toKubeError(new TypeError('fetch failed', { cause: Object.assign(new Error('unable to verify the first certificate'), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }) }), patchWeb);
    expect([e.kind, e.retryable]).toEqual(['invalid', false]);
    expect(e.message).toBe("The bot could not verify the certificate of cluster gz (UNABLE_TO_VERIFY_LEAF_SIGNATURE); check the cluster's kubeconfig");
  });

  it('an unknown failure is not retried, and its text stays out of the message (kept as the cause)', () => {
    const original = new Error('Bearer sk-secret-token in a stack trace');
    const e = toKubeError(original, patchWeb);
    expect([e.kind, e.retryable]).toEqual(['invalid', false]);
    expect(e.message).not.toContain('secret');
    expect(e.cause).toBe(original);
  });

  it('passes a KubeError through unchanged', () => {
    const k = new KubeError('conflict', 'already a KubeError');
    expect(toKubeError(k, patchWeb)).toBe(k);
  });
});

describe('statusOf', () => {
  it.each([
    ['{"reason":"NotFound","message":"gone"}', { reason: 'NotFound', message: 'gone' }],
    [{ reason: 'Conflict', message: 'changed' }, { reason: 'Conflict', message: 'changed' }],
    ['<html>bad gateway</html>', { reason: undefined, message: undefined }],
    [undefined, { reason: undefined, message: undefined }],
  ])('%j', (body, want) => {
    expect(statusOf(body)).toEqual(want);
  });
});
