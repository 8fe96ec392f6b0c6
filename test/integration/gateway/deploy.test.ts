import { describe, expect, it } from 'vitest';
import type { RolloutProgress } from '../../../src/kube/rollout.ts';
import { adminClients, botGateway } from '../support/cluster.ts';
import { testNamespace } from '../support/namespace.ts';
import { REPO, SIDECAR_IMAGE, createDeployment, pods, waitForRollout, webTemplate } from '../support/workloads.ts';

describe('deploy through the gateway, as the bot', () => {
  it('rolls v1 → v2 to completion, reporting intermediate states read from the apiserver', async () => {
    const ns = await testNamespace();
    const admin = adminClients();
    const ref = await createDeployment(admin, ns.name);
    await waitForRollout(admin, ref);
    const gw = botGateway();

    const set = await gw.setImage({ ...ref, image: `${REPO}:v2`, expectedFrom: `${REPO}:v1`, changeCause: 'deploy v2' });
    expect(set.changed).toBe(true);
    // Only the web container is in the image's repository; the sidecar is left alone.
    expect(set.containers).toEqual([{ container: 'web', from: `${REPO}:v1`, to: `${REPO}:v2` }]);
    expect(set.generation).toBe(2);

    const seen: RolloutProgress[] = [];
    const result = await gw.followRollout(ref, { timeoutMs: 60_000, intervalMs: 250, minGeneration: set.generation, onProgress: (p) => void seen.push(p) });

    expect(result.outcome).toBe('complete');
    expect(result.updates).toBe(seen.length);
    const last = seen.at(-1);
    expect(last).toMatchObject({ observedGeneration: 2, generation: 2, replicas: 3, current: 3, updated: 3, ready: 3, available: 3, unavailable: 0 });
    // Distinct states strictly between "written" and "done": the rollout was watched, not guessed.
    const intermediate = seen.slice(0, -1).filter((p) => p.updated < 3 || p.current > 3 || p.available < 3 || p.observedGeneration < 2);
    const distinct = new Set(intermediate.map((p) => JSON.stringify([p.observedGeneration, p.current, p.updated, p.ready, p.available, p.unavailable])));
    expect(distinct.size).toBeGreaterThanOrEqual(3);
    // `updated` only ever goes up during a rollout.
    const updatedSeq = seen.filter((p) => p.observedGeneration === 2).map((p) => p.updated);
    expect(updatedSeq).toEqual([...updatedSeq].sort((a, b) => a - b));

    expect(await webTemplate(admin, ref)).toEqual({ image: `${REPO}:v2`, release: 'v1', proxy: SIDECAR_IMAGE });
    const running = await pods(admin, ns.name, 'web');
    expect(running.map((p) => p.spec?.containers[0]?.image)).toEqual([`${REPO}:v2`, `${REPO}:v2`, `${REPO}:v2`]);
    const history = await gw.history(ref);
    expect(history.map((h) => [h.revision, h.current, h.images.find((c) => c.name === 'web')?.image])).toEqual([
      [1, false, `${REPO}:v1`],
      [2, true, `${REPO}:v2`],
    ]);
    expect(history[1]?.changeCause).toBe('deploy v2');
  });

  it('a rollout to :broken ends with ProgressDeadlineExceeded, naming CrashLoopBackOff, and diagnose shows the BackOff event', async () => {
    const ns = await testNamespace();
    const admin = adminClients();
    const ref = await createDeployment(admin, ns.name);
    await waitForRollout(admin, ref);
    const gw = botGateway();

    const set = await gw.setImage({ ...ref, image: `${REPO}:broken` });
    const result = await gw.followRollout(ref, { timeoutMs: 60_000, intervalMs: 300, minGeneration: set.generation });

    expect(result.outcome).toBe('failed');
    expect(result.reason).toBe('ProgressDeadlineExceeded');
    expect(result.message).toMatch(/progress deadline/i);
    expect(result.diagnosis?.podReasons).toContain('CrashLoopBackOff');
    const broken = result.diagnosis?.pods.filter((p) => p.images.includes(`${REPO}:broken`)) ?? [];
    expect(broken.length).toBeGreaterThan(0);
    for (const p of broken) expect(p).toMatchObject({ ready: false, phase: 'Running', reason: 'CrashLoopBackOff' });
    expect(broken.every((p) => p.restarts > 0)).toBe(true);
    // The old pods keep serving (maxUnavailable 25% of 3 rounds down to 0).
    expect(result.last.available).toBe(3);

    const d = await gw.diagnose(ref);
    const backOff = d.events.find((e) => e.reason === 'BackOff');
    expect(backOff).toBeDefined();
    expect(backOff?.object).toMatch(/^Pod\/web-/);
    // One entry per reason.
    expect(new Set(d.events.map((e) => e.reason)).size).toBe(d.events.length);

    // What auto-rollback does next: the failed condition of the broken rollout must not be
    // mistaken for the state of the rollback.
    const back = await gw.rollback({ ...ref, expectedRevision: 2 });
    expect([back.from.revision, back.to.revision]).toEqual([2, 1]);
    const healed = await gw.followRollout(ref, { timeoutMs: 60_000, minGeneration: back.generation });
    expect(healed.outcome).toBe('complete');
    expect(await webTemplate(admin, ref)).toMatchObject({ image: `${REPO}:v1`, release: 'v1' });
    expect((await pods(admin, ns.name, 'web')).every((p) => p.spec?.containers[0]?.image === `${REPO}:v1`)).toBe(true);
  });
});
