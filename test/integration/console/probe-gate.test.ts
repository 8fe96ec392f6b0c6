import { beforeAll, describe, expect, it } from 'vitest';
import { verdictOf } from '../../../src/kube/revision-health.ts';
import { adminClients } from '../support/cluster.ts';
import { REPO, createDeployment, pods, rollTemplate, waitFor, waitForRollout, webTemplate } from '../support/workloads.ts';
import { botMessage, finished, gateWorld, say, type GateWorld } from './gate-support.ts';
import { followSse } from './support.ts';

/**
 * Probe-gated deploys on the real control plane, asked for in the console: after the rollout,
 * the app's probe (the local sample probe, which answers from the image the pods really run)
 * must pass 3 times in a row, 1 s apart, within 15 s. prod rolls a failed deploy back.
 */
let w: GateWorld;

beforeAll(async () => {
  w = await gateWorld({ clusters: ['gz'], prefix: 'gate' });
  await waitForRollout(adminClients('gz'), await createDeployment(adminClients('gz'), w.namespace('prod'), 'web', { replicas: 2, tag: 'v1', progressDeadlineSeconds: 120 }));
});

const prodWeb = () => ({ namespace: w.namespace('prod'), kind: 'Deployment' as const, name: 'web' });

const TIME = /\d\d:\d\d:\d\d/;

describe('probe gate after a deploy', () => {
  it.each([
    ['probe500', '500 (fail) at', 'answered 500, expected 200'],
    ['probe-error', '200 (fail) at', 'answered with "ERROR" in the body'],
  ])('/deploy web %s to prod: the rollout completes, the probe fails, the deploy fails and is rolled back; every probe result is in the message and the audit log', async (tag, shown, why) => {
    const admin = adminClients('gz');
    const ns = w.namespace('prod');
    const ref = prodWeb();
    await waitForRollout(admin, ref);
    const before = (await webTemplate(admin, ref)).image;
    const channel = `console:gate-${tag}`;
    const live = await followSse(`${w.bot.api.url}/console/api/events?channel=${encodeURIComponent(channel)}`);
    try {
      const opId = await say(w, 'bob', channel, `/deploy web ${tag} to prod`);
      expect(opId).toMatch(/^op-/);
      const op = await finished(w, opId ?? '');
      expect(op.status, op.summary).toBe('failed');
      const target = op.result?.targets[0];
      expect(target?.outcome).toBe('rolled_back');
      expect(target?.message).toContain('probe did not pass 3 time(s) in a row within 15s');
      expect(target?.message).toContain(why);
      expect(target?.message).toContain(`rolled back to ${before ?? ''}`);

      // The rollout itself had completed: the new image ran on every pod before the probe judged it.
      const audit = await w.bot.api.s.audit.query({ opId: opId ?? '', limit: 100 });
      const probes = audit.filter((e) => e.kind === 'step' && e.detail['probe'] !== undefined).reverse();
      expect(probes.length).toBeGreaterThanOrEqual(3);
      for (const p of probes) {
        const d = p.detail['probe'] as { ok: boolean; status: number; at: string };
        expect(d).toMatchObject({ ok: false, status: tag === 'probe500' ? 500 : 200 });
        expect(p.summary).toMatch(new RegExp(`probe \\d+: ${shown.replace(/[()]/g, '\\$&')} ${TIME.source}`));
      }
      const verdict = audit.find((e) => e.detail['probeVerdict'] !== undefined);
      expect(verdict?.detail['probeVerdict']).toMatchObject({ passed: false, image: `${REPO}:${tag}`, probes: probes.length });
      expect(audit.some((e) => e.kind === 'rolled_back')).toBe(true);

      // The live message ends failed and lists every probe result, each with its status and time.
      const msg = await botMessage(w, channel, opId ?? '', (m) => m.status === 'failed');
      const line = (msg.sections ?? []).find((x) => x.heading === 'Workloads')?.lines.find((l) => l.startsWith('gz ')) ?? '';
      expect(line.match(new RegExp(`${shown.replace(/[()]/g, '\\$&')} ${TIME.source}`, 'g'))?.length).toBe(probes.length);
      // While it ran, the message showed the probe results as they came.
      expect(live.events.some((e) => JSON.stringify(e.data).includes(`probe 1: ${shown}`))).toBe(true);

      // Back on the old image, and the pods run it.
      await waitForRollout(admin, ref);
      expect((await webTemplate(admin, ref)).image).toBe(before);
      expect((await pods(admin, ns, 'web')).every((p) => p.spec?.containers[0]?.image === before)).toBe(true);
    } finally {
      live.close();
    }
  });

  it('/deploy web probe-slow-3 to prod: the probe fails while the app starts, then passes 3 times in a row inside the window, and the deploy succeeds', async () => {
    const admin = adminClients('gz');
    const ref = prodWeb();
    await waitForRollout(admin, ref);
    const channel = 'console:gate-slow';
    const opId = await say(w, 'bob', channel, '/deploy web probe-slow-3 to prod');
    const op = await finished(w, opId ?? '');
    expect(op.status, op.summary).toBe('succeeded');
    const target = op.result?.targets[0];
    expect(target?.outcome).toBe('done');
    expect(target?.message).toContain('probe passed 3 time(s) in a row');
    expect(target?.message).toMatch(new RegExp(`503 \\(fail\\) at ${TIME.source}.*200 at ${TIME.source}, 200 at ${TIME.source}, 200 at ${TIME.source}\\)$`));
    const audit = await w.bot.api.s.audit.query({ opId: opId ?? '', limit: 100 });
    const results = audit.filter((e) => e.detail['probe'] !== undefined).reverse().map((e) => (e.detail['probe'] as { status: number }).status);
    expect(results.slice(-3)).toEqual([200, 200, 200]);
    expect(results[0]).toBe(503);
    // Inside the window: from the first probe to the third pass in a row took at most 15 s.
    const times = audit.filter((e) => e.detail['probe'] !== undefined).map((e) => Date.parse((e.detail['probe'] as { at: string }).at));
    expect(Math.max(...times) - Math.min(...times)).toBeLessThanOrEqual(15_000);
    expect(audit.find((e) => e.detail['probeVerdict'] !== undefined)?.detail['probeVerdict']).toMatchObject({ passed: true, image: `${REPO}:probe-slow-3` });
    expect((await webTemplate(admin, ref)).image).toBe(`${REPO}:probe-slow-3`);
    const msg = await botMessage(w, channel, opId ?? '', (m) => m.status === 'succeeded');
    expect(JSON.stringify(msg)).toContain('probe passed 3 time(s) in a row');
  });

  it('a rollback is never rolled back automatically: /rollback onto a revision whose probe fails succeeds and stays', async () => {
    const admin = adminClients('gz');
    const ref = prodWeb();
    await waitForRollout(admin, ref);
    // Revisions made outside the bot: one whose probe answers 500 (a tag the earlier tests never
    // deployed, so the bot knows nothing bad of it), then v8 on top.
    await rollTemplate(admin, ref, 'outside-probe500');
    await waitForRollout(admin, ref);
    // A request bound while outside-probe500 is live and rolled out records it as seen complete (a dry
    // run of a rollback binds), so the plain rollback below lands on it: the last known-good
    // revision as far as the bot can tell, whose probe now fails.
    // Asked again until the bot's read found its rollout complete (a loaded controller may
    // still be settling the status when waitForRollout is satisfied).
    const outside = (await w.bot.api.s.gatewayFor('gz').history(ref)).find((r) => r.current);
    expect(outside?.images[0]?.image).toBe(`${REPO}:outside-probe500`);
    await waitFor('the bot to see outside-probe500 complete', async () => {
      await say(w, 'bob', 'console:gate-rollback-look', '/rollback web in prod --dry-run');
      const health = await w.bot.api.s.health.read({ cluster: 'gz', ...ref });
      return verdictOf(health.get(outside?.key ?? '')).kind === 'good' ? true : undefined;
    });
    await rollTemplate(admin, ref, 'v8');
    await waitForRollout(admin, ref);
    const opId = await say(w, 'bob', 'console:gate-rollback', '/rollback web in prod');
    const op = await finished(w, opId ?? '');
    expect(op.status, op.summary).toBe('succeeded');
    await waitForRollout(admin, ref);
    expect((await webTemplate(admin, ref)).image).toBe(`${REPO}:outside-probe500`);
    const audit = await w.bot.api.s.audit.query({ opId: opId ?? '', limit: 50 });
    expect(audit.some((e) => e.kind === 'rolled_back' || e.detail['probe'] !== undefined)).toBe(false);
    // It is still there, answering 500, after the operation ended.
    expect((await fetch(`${w.bot.api.url}/sample-probe/gz/prod/web`)).status).toBe(500);
  });

  it('the sample probe answers from what runs: 200 for a plain tag, and it follows a change made outside the bot', async () => {
    const admin = adminClients('gz');
    const ns = w.namespace('staging');
    const ref = await createDeployment(admin, ns, 'web', { replicas: 1, tag: 'v7', progressDeadlineSeconds: 120 });
    await waitForRollout(admin, ref);
    const url = `${w.bot.api.url}/sample-probe/gz/staging/web`;
    const ok = await fetch(url);
    expect([ok.status, await ok.text()]).toEqual([200, expect.stringContaining(`${REPO}:v7`)]);
    await rollTemplate(admin, ref, 'probe500');
    await waitForRollout(admin, ref);
    const bad = await waitFor('the probe to answer 500', async () => {
      const r = await fetch(url);
      return r.status === 500 ? r : undefined;
    });
    expect(await bad.text()).toContain(`${REPO}:probe500`);
    expect((await fetch(`${w.bot.api.url}/sample-probe/gz/nowhere/web`)).status).toBe(404);
  });
});
