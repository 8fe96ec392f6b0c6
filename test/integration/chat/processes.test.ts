import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it, onTestFinished } from 'vitest';
import { validateConfig } from '../../../src/config/load.ts';
import { createServices } from '../../../src/service/services.ts';
import { createSweepQueue, SWEEP_EVERY_MS } from '../../../src/service/sweeper.ts';
import { workerName } from '../../../src/jobs/worker.ts';
import { startFakeSlackApi } from '../../fakes/slack-api.ts';
import { FAKE_TEAM_ID, signSlack, slashCommandBody } from '../../fakes/slack-sign.ts';
import { BOT_USER, adminClients, cluster } from '../support/cluster.ts';
import { auditMark, botWrites, type AuditMark } from '../support/audit.ts';
import { testNamespace } from '../support/namespace.ts';
import { faultReport } from '../support/report.ts';
import { REPO, createDeployment, waitFor, waitForRollout } from '../support/workloads.ts';
import { PEOPLE, slackDirectory } from './support.ts';

/**
 * The bot as the image runs it, in four OS processes on one Redis: two `chatops serve` (the API
 * role) and two `chatops worker`, started from the CLI with a config file and the Slack
 * secrets in the environment. 100 deploys are sent as signed slash commands, each to one API
 * and again to the other (a redelivery); one worker is killed with SIGKILL in the middle. Every
 * deploy must run exactly once (the apiservers' audit logs: one accepted patch per
 * Deployment), both workers must have done some, the deploys the dead worker had in hand must be
 * finished by the other, and the sweeper must tick once per 5 s for both workers together.
 */
const CLI = resolve(import.meta.dirname, '../../../src/cli/chatops.ts');
const SECRET = `secret-${randomBytes(8).toString('hex')}`;
const TOKEN = 'xoxb-test-0000-token';
const DEPLOYS = 100;
/** Half the apps in env east (cluster gz), half in west (nj): 50 pods per cluster. */
const APPS = Array.from({ length: DEPLOYS }, (_, i) => `d${String(i).padStart(2, '0')}`);
const envOf = (i: number) => (i < DEPLOYS / 2 ? 'east' : 'west');
const clusterOf = (i: number) => (i < DEPLOYS / 2 ? 'gz' : 'nj');

interface Proc {
  readonly name: string;
  readonly proc: ChildProcess;
  readonly lines: string[];
}

function start(name: string, args: readonly string[], env: Record<string, string>): Proc {
  const proc = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const take = (d: Buffer) => lines.push(...d.toString('utf8').split('\n').filter((l) => l !== ''));
  proc.stdout?.on('data', take);
  proc.stderr?.on('data', take);
  return { name, proc, lines };
}

async function stop(p: Proc, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (p.proc.exitCode !== null || p.proc.signalCode !== null) return;
  const gone = new Promise((done) => p.proc.once('exit', done));
  p.proc.kill(signal);
  const force = setTimeout(() => p.proc.kill('SIGKILL'), 20_000);
  await gone;
  clearTimeout(force);
}

function line(p: Proc, re: RegExp, timeoutMs = 180_000): Promise<RegExpExecArray> {
  return waitFor(`${p.name} to print ${String(re)}; it printed:\n${p.lines.slice(-20).join('\n')}`, () => {
    for (const l of p.lines) {
      const m = re.exec(l);
      if (m !== null) return m;
    }
    if (p.proc.exitCode !== null) throw new Error(`${p.name} exited (${p.proc.exitCode}):\n${p.lines.join('\n')}`);
    return undefined;
  }, timeoutMs, 50);
}

/**
 * A signed slash command on a connection of its own, as Slack sends each one: with four busy
 * processes on two cores, a pooled keep-alive connection can be closed by the server's idle
 * timer just as the next request goes out on it (a reset no real delivery would see).
 */
function deliver(url: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/slack/events`, { method: 'POST', agent: false, headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body), ...signSlack(SECRET, body) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Job ids a worker printed as started and as done. */
function jobsOf(p: Proc): { started: Set<string>; done: Set<string> } {
  const started = new Set<string>();
  const done = new Set<string>();
  for (const l of p.lines) {
    const m = /^\[worker\] (started|done) (\S+)$/.exec(l);
    if (m?.[1] === 'started') started.add(m[2] ?? '');
    if (m?.[1] === 'done') done.add(m[2] ?? '');
  }
  return { started, done };
}

function configDoc(namespace: string): Record<string, unknown> {
  const where = (c: string) => ({ region: cluster(c).region, kubeconfig: cluster(c).kubeconfig, context: cluster(c).botContext });
  return {
    mode: 'production',
    people: PEOPLE,
    groups: { devs: ['alice'], sre: ['bob', 'carol'] },
    clusters: { gz: where('gz'), nj: where('nj') },
    environments: {
      east: { clusters: ['gz'], namespace, registries: ['registry.example.com'] },
      west: { clusters: ['nj'], namespace, registries: ['registry.example.com'] },
    },
    apps: Object.fromEntries(APPS.map((a, i) => [a, { image: REPO, container: 'web', workload: { kind: 'Deployment', name: a }, envs: [envOf(i)] }])),
    access: [{ name: 'sre', who: ['group:sre'], verbs: ['deploy'], envs: ['east', 'west'] }],
    kubernetes: { identity: { kind: 'User', name: BOT_USER } },
  };
}

/** Accepted patches of each Deployment by the bot since the marks, by name. */
async function patchesByName(marks: readonly AuditMark[], namespace: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const m of marks) {
    for (const w of await botWrites(m, { namespace, successfulOnly: true })) {
      if (w.verb !== 'patch' || w.resource !== 'deployments') continue;
      out.set(w.name ?? '?', (out.get(w.name ?? '?') ?? 0) + 1);
    }
  }
  return out;
}

describe('two `chatops serve` and two `chatops worker` processes on one Redis', () => {
  it(`run each of ${DEPLOYS} deploys once, share them, and lose nothing when a worker is killed with SIGKILL`, { timeout: 420_000 }, async () => {
    const ns = await testNamespace({ clusters: ['gz', 'nj'], prefix: 'procs' });
    await Promise.all(
      APPS.map(async (a, i) => {
        const admin = adminClients(clusterOf(i));
        await waitForRollout(admin, await createDeployment(admin, ns.name, a, { replicas: 1, tag: 'v1' }), 120_000);
      }),
    );
    const fake = await startFakeSlackApi({ token: TOKEN, users: slackDirectory() });
    const dir = mkdtempSync(join(tmpdir(), 'chatops-procs-'));
    const configFile = join(dir, 'config.json');
    writeFileSync(configFile, JSON.stringify(configDoc(ns.name)));
    const checked = validateConfig(configDoc(ns.name), {});
    if (!checked.ok) throw new Error(JSON.stringify(checked.error));
    const url = process.env['REDIS_URL'] ?? '';
    const prefix = `procs-${randomBytes(4).toString('hex')}:`;
    const env = { REDIS_URL: url, CHATOPS_REDIS_PREFIX: prefix, SLACK_SIGNING_SECRET: SECRET, SLACK_BOT_TOKEN: TOKEN, SLACK_TEAM_ID: FAKE_TEAM_ID, SLACK_API_URL: fake.url };
    const procs = [
      start('api-1', ['serve', '--config', configFile, '--host', '127.0.0.1', '--port', '0'], env),
      start('api-2', ['serve', '--config', configFile, '--host', '127.0.0.1', '--port', '0'], env),
      start('worker-1', ['worker', '--config', configFile], env),
      start('worker-2', ['worker', '--config', configFile], env),
    ];
    const s = createServices(checked.value, { redisUrl: url, prefix });
    const sweeps = createSweepQueue(s);
    onTestFinished(async () => {
      await Promise.all(procs.map((p) => stop(p)));
      await sweeps.close();
      await s.close();
      await fake.close();
      rmSync(dir, { recursive: true, force: true });
    });
    const [api1, api2, w1, w2] = procs as [Proc, Proc, Proc, Proc];
    const apis = await Promise.all([api1, api2].map(async (p) => (await line(p, /"url":"(http:\/\/127\.0\.0\.1:\d+)"/))[1] ?? ''));
    await Promise.all([w1, w2].map((p) => line(p, /^\[worker\] worker running/)));
    const sweepStart = { at: Date.now(), done: await sweeps.getCompletedCount() };

    const marks = [auditMark('gz'), auditMark('nj')];
    const sent: Promise<number>[] = [];
    for (const [i, app] of APPS.entries()) {
      const body = slashCommandBody({ command: '/deploy', text: `${app} v2 to ${envOf(i)}`, user_id: PEOPLE.bob.slack, team_id: FAKE_TEAM_ID, channel_id: 'C0PROCS01', response_url: fake.responseUrl(`p${i}`), trigger_id: `procs-${prefix}-${i}` });
      // To one API, and again to the other as a redelivery: it must still run once.
      const [first, second] = i % 2 === 0 ? [apis[0], apis[1]] : [apis[1], apis[0]];
      sent.push(deliver(first ?? '', body));
      sent.push(deliver(second ?? '', body));
      await sleep(100); // ten commands a second, each delivered twice
    }
    const statuses = await Promise.all(sent.map((r) => r.catch((e: unknown) => String(e))));
    const state = [api1, api2].map((p) => `${p.name}: exit ${String(p.proc.exitCode ?? p.proc.signalCode)}; last lines:\n${p.lines.slice(-15).join('\n')}`).join('\n');
    // Every command acknowledged by at least one API. (On a machine this busy an API may miss
    // Slack's 3 s for a delivery now and then, and Bolt answers it 404; the other delivery
    // stands, which is what redelivery is for.)
    const unacked = APPS.filter((_, i) => statuses[2 * i] !== 200 && statuses[2 * i + 1] !== 200);
    expect(unacked, state).toEqual([]);
    const missed = statuses.filter((st) => st !== 200).length;

    // Kill worker-2 while it has deploys in hand, once some of the work is done.
    const victim = w2;
    const inHand = await waitFor('worker-2 to be in the middle of deploys', () => {
      const j = jobsOf(victim);
      const open = [...j.started].filter((id) => !j.done.has(id));
      return j.done.size >= 5 && open.length >= 2 ? open : undefined;
    }, 120_000, 20);
    await stop(victim, 'SIGKILL');
    const killedAt = Date.now();
    const killedWith = jobsOf(victim);

    const ops = await waitFor(`${DEPLOYS} finished operations`, async () => {
      const all = await s.ops.list(500);
      return all.length >= DEPLOYS && all.every((o) => ['succeeded', 'failed', 'blocked'].includes(o.status)) ? all : undefined;
    }, 300_000, 1000);
    expect(ops).toHaveLength(DEPLOYS);
    expect(ops.filter((o) => o.status !== 'succeeded').map((o) => `${o.id} ${o.status}: ${o.summary}`)).toEqual([]);
    const sweepEnd = { at: Date.now(), done: await sweeps.getCompletedCount() };

    // Exactly once, whoever received it and whichever worker ran it.
    const patches = await patchesByName(marks, ns.name);
    expect(Object.fromEntries([...patches].sort())).toEqual(Object.fromEntries(APPS.map((a) => [a, 1])));
    // Both did work; what the dead one had in hand was finished by the other. Who ran each job
    // is read from Redis (BullMQ's processedBy and finishedOn), not from the processes' output:
    // a job the victim finished just before the kill may never have had its `done` line read.
    const names = { victim: workerName(victim.proc.pid), survivor: workerName(w1.proc.pid) };
    const jobs = await Promise.all(ops.map(async (o) => {
      const job = await s.queue.getJob(o.id);
      return { id: o.id, by: job?.processedBy, finishedOn: job?.finishedOn, completed: (await job?.isCompleted()) ?? false };
    }));
    expect(jobs.filter((j) => !j.completed || (j.by !== names.victim && j.by !== names.survivor))).toEqual([]);
    const byVictim = jobs.filter((j) => j.by === names.victim);
    const bySurvivor = jobs.filter((j) => j.by === names.survivor);
    expect(byVictim.length).toBeGreaterThan(0);
    expect(bySurvivor.length).toBeGreaterThan(0);
    // Nothing the victim is on record for finished after it was dead.
    expect(byVictim.filter((j) => (j.finishedOn ?? Infinity) > killedAt)).toEqual([]);
    // What it had started and not finished (by Redis' record) was taken over and finished by
    // the survivor, and there was some.
    const interrupted = [...killedWith.started].filter((id) => !byVictim.some((j) => j.id === id));
    expect(interrupted.length).toBeGreaterThan(0);
    expect(interrupted.filter((id) => !bySurvivor.some((j) => j.id === id))).toEqual([]);
    const survivor = jobsOf(w1);
    // One sweep per tick for the whole deployment (it used to run in each worker).
    const ticks = (sweepEnd.at - sweepStart.at) / SWEEP_EVERY_MS;
    const swept = sweepEnd.done - sweepStart.done;
    expect(swept).toBeGreaterThanOrEqual(Math.floor(ticks) - 2);
    expect(swept).toBeLessThanOrEqual(Math.ceil(ticks) + 1);

    faultReport('two-serve-two-worker-processes', {
      deploys: DEPLOYS,
      deliveries: sent.length,
      deliveries_not_acked: missed,
      operations_succeeded: ops.length,
      bot_patches: [...patches.values()].reduce((a, b) => a + b, 0),
      done_by_worker_1: bySurvivor.length,
      done_by_worker_2_before_kill_9: byVictim.length,
      done_lines_printed_by_worker_1: survivor.done.size,
      in_hand_at_kill: inHand.length,
      finished_by_survivor: interrupted.length,
      sweeps: swept,
      sweep_ticks: Math.round(ticks),
    });
  });
});
