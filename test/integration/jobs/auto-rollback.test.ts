import { describe, expect, it } from 'vitest';
import { submit } from '../../../src/service/requests.ts';
import { adminClients } from '../support/cluster.ts';
import { testNamespace } from '../support/namespace.ts';
import { REPO, createDeployment, ref, waitForRollout, webTemplate } from '../support/workloads.ts';
import { delivery, harness, jobsConfig, waitForOp } from './support.ts';

/** A deploy whose rollout fails rolls itself back where the environment asks for it, and says both. */
describe('automatic rollback', () => {
  it.each([
    [true, `${REPO}:v1`, 'rolled_back'],
    [false, `${REPO}:broken`, 'failed'],
  ])('autoRollback %s: a broken rollout ends on %s', async (autoRollback, finalImage, targetOutcome) => {
    const ns = await testNamespace({ clusters: ['gz'], prefix: 'arb' });
    const w = await createDeployment(adminClients('gz'), ns.name, 'web', { replicas: 2, tag: 'v1' });
    await waitForRollout(adminClients('gz'), w);
    const t = harness(jobsConfig(ns.name, ['gz'], 1, { autoRollback }));
    const r = await submit(t.s, { text: '/deploy web broken to test', actor: 'bob', deliveryId: delivery() });
    const op = await waitForOp(t.s, r.opId as string, 120_000);
    expect(op.status).toBe('failed');
    const target = op.result?.targets[0];
    expect(target?.outcome).toBe(targetOutcome);
    expect(target?.message).toContain('progress deadline');
    expect(target?.message).toContain('CrashLoopBackOff');
    if (autoRollback) await waitForRollout(adminClients('gz'), w);
    expect((await webTemplate(adminClients('gz'), ref(ns.name, 'Deployment', 'web'))).image).toBe(finalImage);
    const kinds = (await t.s.audit.query({ opId: r.opId as string, limit: 20 })).map((e) => e.kind);
    expect(kinds.includes('rolled_back')).toBe(autoRollback);
  });
});
