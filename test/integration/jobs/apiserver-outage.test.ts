import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeSlackApi, type FakeSlackApi } from '../../fakes/slack-api.ts';
import { FAKE_TEAM_ID, postSigned, slashCommandBody } from '../../fakes/slack-sign.ts';
import { chatConfig, PEOPLE, slackDirectory, startBot, type Bot } from '../chat/support.ts';
import { adminClients } from '../support/cluster.ts';
import { auditMark, botWrites } from '../support/audit.ts';
import { faultReport } from '../support/report.ts';
import { testNamespace } from '../support/namespace.ts';
import { createDeployment, waitFor, waitForRollout, webTemplate, REPO } from '../support/workloads.ts';

/**
 * Fault: gz's kube-apiserver stopped for 30 s in the middle of a rollout the bot is following
 * (the process ended, as in a control-plane restart; etcd and its data stay). The job must wait
 * instead of failing, resume when the apiserver is back, finish, and say both in chat; and the
 * deploy must have written to Kubernetes exactly once.
 */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const SECRET = `secret-${randomBytes(8).toString('hex')}`;
const TOKEN = 'xoxb-test-0000-token';
const CHANNEL = 'C0OUTAGE1';
const OUTAGE_MS = 30_000;
const run = promisify(execFile);
/**
 * Not in the default suite: in one of five runs the simulated cluster (kwok, controller-manager)
 * took over 3 minutes to finish the rollout after the apiserver came back, and CI must not
 * depend on that. `npm run test:faults` sets CHATOPS_OUTAGE_TEST=1 and runs it.
 */
const ENABLED = process.env['CHATOPS_OUTAGE_TEST'] === '1';

function component(verb: 'stop' | 'start'): Promise<unknown> {
  return run('bash', [resolve(ROOT, 'scripts/cluster/component.sh'), verb, 'gz', 'kube-apiserver'], { cwd: ROOT, env: process.env, timeout: 90_000 });
}

const textOf = (m: { text?: unknown; blocks?: unknown }) => `${typeof m.text === 'string' ? m.text : ''}\n${JSON.stringify(m.blocks ?? [])}`;

let fake: FakeSlackApi;
let bot: Bot;
let ns: string;
let stopped = false;

beforeAll(async () => {
  if (!ENABLED) return;
  ns = (await testNamespace({ clusters: ['gz'], prefix: 'outage', scope: 'file' })).name;
  // Kubernetes' default progress deadline (600 s): the tests' usual 10 s would (rightly) fail a
  // rollout that could make no progress for 30 s.
  await waitForRollout(adminClients('gz'), await createDeployment(adminClients('gz'), ns, 'web', { replicas: 4, tag: 'v1', progressDeadlineSeconds: 600 }));
  fake = await startFakeSlackApi({ token: TOKEN, users: slackDirectory() });
  // A rollout that has to sit out 30 s gets more than the tests' usual 60 s to finish.
  bot = await startBot(chatConfig(ns, { slack: { signingSecret: SECRET, botToken: TOKEN, teamId: FAKE_TEAM_ID, apiUrl: fake.url } }), {}, { rolloutTimeoutMs: 300_000 });
});

afterAll(async () => {
  if (!ENABLED) return;
  // Whatever happened, the shared cluster gets its apiserver back.
  if (stopped) await component('start');
  await bot?.stop();
  await fake?.close();
});

describe.skipIf(!ENABLED)('the apiserver stopped for 30 s mid-rollout', () => {
  // After the apiserver is back, kwok retries the pod stages it failed to apply with backoff:
  // the rollout may need a minute more (57 s in one CI run), hence the longer limits here.
  it('the job waits, resumes, finishes, writes once, and says so in chat', { timeout: 300_000 }, async () => {
    const mark = auditMark('gz');
    const res = await postSigned(`${bot.api.url}/slack/events`, slashCommandBody({ command: '/deploy', text: 'web v2 to prod', user_id: PEOPLE.bob.slack, team_id: FAKE_TEAM_ID, channel_id: CHANNEL, response_url: fake.responseUrl('outage-1'), trigger_id: `outage-${ns}` }), { secret: SECRET });
    expect(res.status).toBe(200);
    const op = await waitFor('the deploy to be under way', async () => {
      const all = await bot.api.s.ops.list(10);
      const o = all.find((x) => x.kind === 'deploy');
      return o?.status === 'running' ? o : undefined;
    }, 30_000, 20);
    // Mid-rollout: the new image is written and the controller has started replacing pods.
    await waitFor('the rollout to start', async () => {
      const d = await adminClients('gz').apps.readNamespacedDeployment({ namespace: ns, name: 'web' });
      return (d.status?.updatedReplicas ?? 0) >= 1 && (d.status?.updatedReplicas ?? 0) < 4 ? true : undefined;
    }, 30_000, 50);

    const t0 = Date.now();
    await component('stop');
    stopped = true;
    const lost = await waitFor('chat to say contact was lost', () => fake.messages(CHANNEL).find((m) => textOf(m).includes('lost contact with cluster gz')), 20_000, 100);
    expect(textOf(lost)).toMatch(/could not be reached/);
    // Still waiting, not failed, well into the outage.
    await new Promise((r) => setTimeout(r, Math.max(0, OUTAGE_MS - (Date.now() - t0))));
    const mid = await bot.api.s.ops.get(op.id);
    expect(mid?.status, mid?.summary).toBe('running');
    await component('start');
    stopped = false;
    const backAt = Date.now();
    const downS = Math.round((backAt - t0) / 1000);

    const done = await waitFor('the deploy to finish', async () => {
      const o = await bot.api.s.ops.get(op.id);
      return o !== undefined && o.status !== 'running' && o.status !== 'queued' ? o : undefined;
    }, 180_000, 200);
    const resumedS = (Date.now() - backAt) / 1000;
    expect(done.status, done.summary).toBe('succeeded');
    expect(done.result?.targets[0]?.message).toMatch(new RegExp(`^${REPO.replace(/\./g, '\\.')}:v2 is live \\(cluster gz did not answer for \\d+ s on the way\\)$`));
    const said = Number(/did not answer for (\d+) s/.exec(done.result?.targets[0]?.message ?? '')?.[1]);
    expect(said).toBeGreaterThanOrEqual(OUTAGE_MS / 1000 - 2);
    expect(said).toBeLessThanOrEqual(downS + 5);

    // The final message keeps the outage in the workload's line. ("answers again" is a passing
    // state of the live message that the outbox may coalesce away; the audit log keeps it.)
    const final = await waitFor('the final message', () => fake.messages(CHANNEL).find((m) => textOf(m).includes('succeeded') && textOf(m).includes('did not answer for')), 20_000, 100);
    expect(textOf(final)).toContain(op.id);
    expect(fake.violations).toEqual([]);

    // The new image is live, written once by the bot (the patch), not replayed after the outage.
    expect((await webTemplate(adminClients('gz'), { namespace: ns, kind: 'Deployment', name: 'web' })).image).toBe(`${REPO}:v2`);
    const writes = await botWrites(mark, { namespace: ns, successfulOnly: true });
    expect(writes.map((w) => `${w.verb} ${w.resource}/${w.name ?? ''}`)).toEqual(['patch deployments/web']);
    // The audit log records the outage and its end.
    const history = (await bot.api.s.audit.query({ opId: op.id, limit: 100 })).reverse();
    expect(history.map((e) => e.summary).filter((s) => s.includes('contact') || s.includes('answers again'))).toEqual([
      expect.stringMatching(/^lost contact with cluster gz/),
      expect.stringMatching(/^cluster gz answers again after \d+ s/),
    ]);
    faultReport('apiserver-outage', { apiserver_down_s: downS, op_status_mid_outage: 'running', finished_s_after_apiserver_back: resumedS.toFixed(1), outcome: done.status, chat_said_down_s: said, bot_writes: writes.length, audit_notes: 2 });
  });
});
