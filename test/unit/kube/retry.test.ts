import { describe, expect, it } from 'vitest';
import { KubeError } from '../../../src/kube/errors.ts';
import { StaleRequest, retryOnConflict } from '../../../src/kube/retry.ts';

function failing(errors: Error[]): { fn: () => Promise<string>; calls: () => number } {
  let n = 0;
  return {
    fn: () => {
      const e = errors[n++];
      return e === undefined ? Promise.resolve('done') : Promise.reject(e);
    },
    calls: () => n,
  };
}

const conflict = () => new KubeError('conflict', 'changed', { status: 409 });

describe('retryOnConflict', () => {
  it('re-runs (re-read, re-apply) after a 409 until it succeeds', async () => {
    const f = failing([conflict(), conflict()]);
    await expect(retryOnConflict(5, f.fn)).resolves.toBe('done');
    expect(f.calls()).toBe(3);
  });

  it('gives up after the last attempt with the conflict', async () => {
    const f = failing([conflict(), conflict(), conflict()]);
    await expect(retryOnConflict(3, f.fn)).rejects.toMatchObject({ kind: 'conflict' });
    expect(f.calls()).toBe(3);
  });

  it.each([
    ['a stale request (never replayed)', new StaleRequest('not what you expected')],
    ['a forbidden error', new KubeError('forbidden', 'no', { status: 403 })],
    ['a transient error (the job layer backs off, not this loop)', new KubeError('transient', 'later', { status: 503 })],
    ['anything else', new Error('bug')],
  ])('does not retry %s', async (_what, error) => {
    const f = failing([error]);
    await expect(retryOnConflict(5, f.fn)).rejects.toBe(error);
    expect(f.calls()).toBe(1);
  });
});
