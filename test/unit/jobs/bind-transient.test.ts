import { describe, expect, it } from 'vitest';
import type { Config } from '../../../src/config/schema.ts';
import type { Plan } from '../../../src/core/resolve.ts';
import { bindSpec, type BindDeps } from '../../../src/jobs/bind.ts';
import { KubeError } from '../../../src/kube/errors.ts';
import type { ClusterGateway } from '../../../src/kube/gateway.ts';
import { retryTransientRead } from '../../../src/kube/retry.ts';
import type { WorkloadStatus } from '../../../src/kube/status.ts';

const slowDown = () => new KubeError('transient', 'Cluster gz asked the bot to slow down while it tried to get deployments in namespace web-staging (transient)', { status: 429 });

/** A read that fails with the given errors first, then answers. */
function flaky<T>(errors: readonly Error[], value: T): { read: () => Promise<T>; calls: () => number } {
  let n = 0;
  const read = (): Promise<T> => {
    const e = errors[n++];
    return e === undefined ? Promise.resolve(value) : Promise.reject(e);
  };
  return { read, calls: () => n };
}

const noWait = () => Promise.resolve();

describe('retryTransientRead', () => {
  it.each([
    ['answers at once', [], 'ok', 1],
    ['a 429, then an answer', [slowDown()], 'ok', 2],
    ['three transient errors, then an answer', [slowDown(), new KubeError('transient', '503', { status: 503 }), slowDown()], 'ok', 4],
    ['four transient errors: gives up with the last', [slowDown(), slowDown(), slowDown(), slowDown()], 'transient', 4],
    ['forbidden: thrown at once', [new KubeError('forbidden', 'no', { status: 403 })], 'forbidden', 1],
    ['not found: thrown at once', [new KubeError('not_found', 'gone', { status: 404 })], 'not_found', 1],
    ['a bug: thrown at once', [new TypeError('x is undefined')], 'TypeError', 1],
  ] as const)('%s', async (_name, errors, outcome, calls) => {
    const f = flaky(errors, 'ok');
    const got = await retryTransientRead(f.read, [250, 1000, 3000], noWait).then(
      (v) => v,
      (e: unknown) => (e instanceof KubeError ? e.kind : e instanceof Error ? e.name : 'other'),
    );
    expect(got).toBe(outcome);
    expect(f.calls()).toBe(calls);
  });
});

describe('binding a request', () => {
  // A scale binds on each workload's status and HPA: one 429 from a busy apiserver must not be the answer.
  it('waits out a 429 from the cluster instead of refusing the request', async () => {
    const status = flaky([slowDown()], { replicas: { desired: 2 } } as unknown as WorkloadStatus);
    const gw = { status: () => status.read(), hpa: () => Promise.resolve(undefined) } as unknown as ClusterGateway;
    const plan = {
      verb: 'scale',
      env: 'staging',
      apps: ['web'],
      replicas: 3,
      dryRun: false,
      targets: [{ app: 'web', env: 'staging', cluster: 'gz', region: 'gz', namespace: 'web-staging', kind: 'Deployment', workload: 'web', container: undefined }],
    } as unknown as Plan;
    const bound = await bindSpec({ environments: {} } as unknown as Config, plan, () => gw, 'op-1', {} as BindDeps);
    expect(bound.spec).toMatchObject({ kind: 'scale', replicas: 3, targets: [{ fromReplicas: 2 }] });
    expect(status.calls()).toBe(2);
  });
});
