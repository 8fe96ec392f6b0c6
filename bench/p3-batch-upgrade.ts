import { randomBytes } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { validateConfig } from '../src/config/load.ts';
import type { Config } from '../src/config/schema.ts';
import { createLedger, ledgerKey } from '../src/jobs/ledger.ts';
import { applyRbac } from '../src/kube/rbac-apply.ts';
import { botRbac, rbacForNamespaces } from '../src/kube/rbac.ts';
import { processWatches } from '../src/kube/watch-hub.ts';
import { statKey } from '../src/kube/watch-stats.ts';
import { flushWatchStats, readWatchStats } from '../src/service/watch-metrics.ts';
import { decideApproval, decideUpgrade, submit } from '../src/service/requests.ts';
import { createServices, runWorker } from '../src/service/services.ts';
import { botApps, rawLoop, serialLoop, type Target } from './p3-baselines.ts';
import { localClusters, type ClusterInfo } from './lib/clusters.ts';
import { redisUrl } from './lib/env.ts';
import { auditMark, deploymentPatches, type AuditMark } from './lib/audit-writes.ts';
import { addNodes, admin, countDiff, deleteNodes, deploymentBody, deploymentRequests, fleetPods, pool, requestCounts, settled, until } from './lib/fleet.ts';
import { fmt, type Row } from './lib/stats.ts';

/**
 * P3: a batch upgrade of N one-replica Deployments (default 1,000: 500 on each of the two local
 * clusters), each app in a namespace of its own (the default `{app}-{env}` pattern: N/2
 * namespaces on each cluster, so no two Deployments share a watch, the least flattering case
 * for the bot's shared watches), in 4 gated batches (batches=25%,50%,75%,100%), driven through
 * the bot's real request path (submit → approval → the real BullMQ worker → /continue after
 * each batch) and timed from the approval to the operation's end, against
 *   - the raw loop: @kubernetes/client-node alone with the bot's credentials, the same 4
 *     batches in the same order, the same concurrency, each Deployment patched and then watched
 *     until it is rolled out (p3-baselines.ts);
 *   - the serial loop: set image, wait for the rollout, next; on an evenly spread sample of
 *     P3_SERIAL_SAMPLE Deployments, extrapolated linearly to N (about 2 s each here, so the
 *     full run would take over half an hour), said so in the row.
 *
 * The gate is manual (the default for /upgrade): the operation pauses after each batch and the
 * harness says /continue (as bob, an approver) as soon as it sees the pause, so the time includes
 * what a gate costs the bot (the job ends, the decision is taken, a new job picks up the ledger)
 * but no human; the harness's reaction (20 ms polls) is reported beside it. The 4 batches are
 * cumulative shares of the workloads sorted by region, cluster, app, as the bot cuts them: 250 on
 * gz, 250 on gz, 250 on nj, 250 on nj; the harness checks the bot bound exactly those.
 *
 * Requests: the apiservers' own apiserver_request_total, before and after each timed run (the
 * watches closed first: the apiserver counts a watch when it ends), for the Deployment requests
 * the bot and the raw loop make: reads (GET, LIST, WATCH) and writes (PATCH), per workload. The
 * counter has no user label, so it holds the controllers' requests too; they read through their
 * own long-running watches, which rarely end inside a run.
 *
 * Order: raw, then (bot, raw) P3_ROUNDS times, then serial; the bot's mean is compared with the
 * mean of the raw runs around it, so drift over the run (warming caches, growing ReplicaSet
 * history, other load on the machine) favours neither side. Each run moves every Deployment to
 * a new tag (v2, v3, …) from the same settled state: all Deployments rolled out on the previous
 * tag and no old pod left.
 *
 * Rate limits: the same for all. kube-controller-manager and kube-scheduler run with
 * --kube-api-qps=300 --kube-api-burst=600 (scripts/cluster/up.sh); neither the bot's kube layer
 * nor @kubernetes/client-node has a rate limiter (the bot caps requests in flight at 64 per
 * cluster, which its jobs at concurrency 50 stay under); bot and baselines authenticate as the
 * same user, so the apiserver's priority and fairness puts them in the same flow; both keep their
 * connections open (see p3-baselines.ts).
 *
 * Settings (environment): P3_DEPLOYMENTS (1000, even), P3_CONCURRENCY (50, passed as
 * concurrency=50; at the bot's default of 5 each run would take several minutes),
 * P3_SERIAL_SAMPLE (40), P3_GATE (manual: the harness says /continue as soon as a batch pauses;
 * auto: no pauses, and no per-batch figures), P3_ROUNDS (1; more rounds give steadier means on
 * a busy machine). The clusters: the benchmarks' pair (lib/clusters.ts).
 * Quick check: P3_DEPLOYMENTS=40 P3_CONCURRENCY=10 P3_SERIAL_SAMPLE=4 npm run bench -- p3.
 */
export const REPO = 'registry.example.com/bench/p3';
const SHARES = [25, 50, 75, 100];

export interface Settings {
  readonly deployments: number;
  readonly concurrency: number;
  readonly serialSample: number;
  readonly gate: 'manual' | 'auto';
  readonly rounds: number;
}

function envInt(name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${name} must be a whole number from ${min} to ${max}, not "${v}"`);
  return n;
}

export function settings(): Settings {
  const deployments = envInt('P3_DEPLOYMENTS', 1000, 8);
  if (deployments % 2 !== 0) throw new Error('P3_DEPLOYMENTS must be even (half on each cluster)');
  const gate = process.env['P3_GATE'] ?? 'manual';
  if (gate !== 'manual' && gate !== 'auto') throw new Error('P3_GATE is manual or auto');
  return {
    deployments,
    // /upgrade takes concurrency=1…100.
    concurrency: envInt('P3_CONCURRENCY', 50, 1, 100),
    serialSample: Math.min(deployments, envInt('P3_SERIAL_SAMPLE', 40, 1)),
    gate,
    rounds: envInt('P3_ROUNDS', 1, 1, 10),
  };
}

export function appNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `d${String(i).padStart(4, '0')}`);
}

/** The environment's namespace pattern: every app in a namespace of its own. */
export const ENV = 'bench';
export const namespaceOf = (app: string): string => `${app}-${ENV}`;

export function configFor(clusters: readonly ClusterInfo[], apps: readonly string[]): Config {
  const doc = {
    mode: 'local',
    people: { alice: {}, bob: {} },
    groups: { devs: ['alice'], sre: ['bob'] },
    clusters: Object.fromEntries(clusters.map((c) => [c.name, { region: c.region, kubeconfig: c.kubeconfig, context: c.botContext }])),
    environments: { [ENV]: { clusters: clusters.map((c) => c.name), namespace: '{app}-{env}', registries: ['registry.example.com'] } },
    apps: Object.fromEntries(apps.map((a) => [a, { image: REPO }])),
    access: [
      { name: 'sre', who: ['group:sre'], verbs: ['upgrade'], envs: ['bench'] },
      { name: 'devs', who: ['group:devs'], verbs: ['upgrade'], envs: ['bench'], approval: { count: 1, from: ['group:sre'] } },
    ],
    kubernetes: { identity: { kind: 'User', name: 'chatops-bot' } },
  };
  const v = validateConfig(doc, {});
  if (!v.ok) throw new Error(JSON.stringify(v.error));
  return v.value;
}

/** The bot's batches, worked out independently: sorted by region, cluster, app; cumulative shares rounded up. */
export function batchesOf(clusters: readonly ClusterInfo[], apps: readonly string[]): Target[][] {
  const all = clusters.flatMap((c) => apps.map((name) => ({ region: c.region, cluster: c.name, name })));
  all.sort((a, b) => a.region.localeCompare(b.region) || a.cluster.localeCompare(b.cluster) || a.name.localeCompare(b.name));
  const out: Target[][] = [];
  let from = 0;
  for (const p of SHARES) {
    const to = Math.ceil((p * all.length) / 100);
    if (to > from) out.push(all.slice(from, to).map((t) => ({ cluster: t.cluster, name: t.name })));
    from = Math.max(from, to);
  }
  return out;
}

/** What a timed run cost besides its time: requests each apiserver counted, CPU of this process, event-loop delay. */
interface Cost {
  readonly requests: Record<string, number>;
  readonly cpuMs: number;
  readonly loopDelayP99Ms: number;
  readonly loopDelayMaxMs: number;
}

/** Starts counting; the function it returns stops and tells what the window cost. */
async function meter(clusters: readonly ClusterInfo[]): Promise<(beforeCount?: () => Promise<void>) => Promise<Cost>> {
  const before = await Promise.all(clusters.map((c) => requestCounts(c)));
  const cpu = process.cpuUsage();
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  return async (beforeCount) => {
    loop.disable();
    const used = process.cpuUsage(cpu);
    // Watches are counted when they end: close them, give the apiservers a moment to record it.
    await beforeCount?.();
    await new Promise((r) => setTimeout(r, 1000));
    const after = await Promise.all(clusters.map((c) => requestCounts(c)));
    const requests: Record<string, number> = {};
    for (const [i, a] of after.entries()) {
      for (const [k, v] of Object.entries(countDiff(before[i] ?? new Map<string, number>(), a))) requests[k] = (requests[k] ?? 0) + v;
    }
    return { requests, cpuMs: Math.round((used.user + used.system) / 1000), loopDelayP99Ms: loop.percentile(99) / 1e6, loopDelayMaxMs: loop.max / 1e6 };
  };
}

async function measured<T>(clusters: readonly ClusterInfo[], run: () => Promise<T>): Promise<{ value: T; cost: Cost }> {
  const stop = await meter(clusters);
  const value = await run();
  return { value, cost: await stop() };
}

/** Per batch, from its start to its first and to its last accepted Deployment patch, read from the audit logs. */
interface Writes {
  readonly firstWriteMs: number[];
  readonly lastWriteMs: number[];
  readonly patches: number;
}

function auditMarks(clusters: readonly ClusterInfo[]): AuditMark[] {
  return clusters.map((c) => auditMark(c.auditLog));
}

function writesOf(clusters: readonly ClusterInfo[], marks: readonly AuditMark[], image: string, batches: readonly (readonly Target[])[], startAt: readonly number[]): Writes {
  const batchOf = new Map(batches.flatMap((b, i) => b.map((t) => [`${t.cluster}/${t.name}`, i] as const)));
  const at: number[][] = batches.map(() => []);
  let patches = 0;
  for (const [i, c] of clusters.entries()) {
    const mark = marks[i];
    if (mark === undefined) continue;
    for (const p of deploymentPatches(mark, { suffix: `-${ENV}` })) {
      const b = batchOf.get(`${c.name}/${p.name}`);
      if (p.image !== image || b === undefined) continue;
      at[b]?.push(p.at);
      patches++;
    }
  }
  const from = (i: number) => startAt[i] ?? Number.NaN;
  return { firstWriteMs: at.map((xs, i) => Math.min(...xs) - from(i)), lastWriteMs: at.map((xs, i) => Math.max(...xs) - from(i)), patches };
}

function redisCalls(info: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) out.set(m[1] ?? '?', Number(m[2]));
  return out;
}

interface BotRun {
  readonly totalMs: number;
  /** Per batch: from the approval or the /continue that started it to the operation's pause or end. */
  readonly batchMs: number[];
  /** Per pause: from the operation's pause to the harness's /continue. */
  readonly gateReactionMs: number[];
  /** When each batch began (epoch ms): the approval, then each /continue. */
  readonly batchStartAt: number[];
  readonly submitMs: number;
  readonly opId: string;
  readonly batchesMatch: boolean;
  readonly progressChanges: number;
  readonly redisCalls: Record<string, number>;
  /** What the bot's shared watches counted (events by type, restarts by reason, state reads). */
  readonly watches: Record<string, number>;
  /** From the approval to the end only (the request's binding reads are left out). */
  readonly cost: Cost;
}

export async function botRun(clusters: readonly ClusterInfo[], config: Config, url: string, image: string, set: Settings, batches: readonly (readonly Target[])[]): Promise<BotRun> {
  const prefix = `bench-p3-${randomBytes(3).toString('hex')}:`;
  const s = createServices(config, { redisUrl: url, prefix });
  const worker = runWorker(s);
  // The harness's own connection: its polling doesn't queue behind the bot's commands.
  const watch = new Redis(url, { maxRetriesPerRequest: null });
  try {
    await worker.waitUntilReady();
    const ts = performance.now();
    const asked = await submit(s, { text: `/upgrade ${image} apps=* env=bench batches=${SHARES.map((p) => `${p}%`).join(',')} gate=${set.gate} concurrency=${set.concurrency}`, actor: 'alice', deliveryId: `bench-p3-${randomBytes(6).toString('hex')}` });
    const submitMs = performance.now() - ts;
    if (asked.approvalId === undefined || asked.opId === undefined) throw new Error(`the upgrade was not sent for approval: ${asked.message.title}: ${asked.message.text ?? ''}`);
    const opId = asked.opId;
    const opKey = `${prefix}op:${opId}`;
    const gateKey = ledgerKey(prefix, opId);
    const statsBefore = redisCalls(await watch.info('commandstats'));
    let polls = 0;

    const stop = await meter(clusters);
    const t0 = Date.now();
    await decideApproval(s, asked.approvalId, 'approve', 'bob');
    const batchMs: number[] = [];
    const gateReactionMs: number[] = [];
    const batchStartAt = [t0];
    let started = t0;
    let end = 0;
    for (let done = 1; end === 0; done++) {
      const seen = await until(
        `batch ${done} of ${opId}`,
        async () => {
          polls++;
          const res = await watch.pipeline().hmget(gateKey, 'state', 'batch', 'reason').hmget(opKey, 'status', 'updatedAt', 'summary').exec();
          const [state, batch, reason] = (res?.[0]?.[1] ?? []) as (string | null)[];
          const [status, updatedAt, summary] = ((res?.[1]?.[1] ?? []) as (string | null)[]).map((v) => (v === null ? undefined : (JSON.parse(v) as string)));
          const at = Date.parse(updatedAt ?? '');
          if (state === 'done' && status === 'succeeded') return { end: true, at };
          if (state === 'waiting_decision' && Number(batch) === done && status === 'paused') return { end: false, at };
          if (['paused_failed', 'aborted', 'rolled_back'].includes(state ?? '') || ['failed', 'cancelled', 'blocked'].includes(status ?? '')) {
            throw new Error(`the upgrade stopped: gate ${state ?? '?'} (${reason ?? ''}), operation ${status ?? '?'}: ${summary ?? ''}`);
          }
          return undefined;
        },
        30 * 60_000,
        20,
      );
      batchMs.push(seen.at - started);
      if (seen.end) {
        end = seen.at;
        break;
      }
      const pressed = Date.now();
      const reply = await decideUpgrade(s, opId, 'continue', 'bob');
      if (reply.message.text?.startsWith('Queued') !== true) throw new Error(`/continue was not taken: ${reply.message.text ?? reply.message.title}`);
      gateReactionMs.push(pressed - seen.at);
      batchStartAt.push(pressed);
      started = pressed;
    }
    // The operation is over: every watch is idle; close them so the apiservers count them.
    const cost = await stop(() => Promise.resolve(processWatches().stopIdle()));
    await flushWatchStats(s.redis, s.prefix);
    const watches = Object.fromEntries((await readWatchStats(s.redis, s.prefix)).map((c) => [statKey(c), c.value]));
    const statsAfter = redisCalls(await watch.info('commandstats'));
    const calls: Record<string, number> = {};
    for (const [k, v] of statsAfter) {
      // The harness's own polls (one pipeline of two HMGETs each) and INFO are not the bot's.
      const d = v - (statsBefore.get(k) ?? 0) - (k === 'hmget' ? 2 * polls : 0) - (k === 'info' ? 1 : 0);
      if (d > 0) calls[k] = d;
    }
    const snap = await createLedger(s.redis, s.prefix).read(opId);
    const bound = snap?.payload.spec.kind === 'upgrade' ? snap.payload.spec.batches.map((b) => b.map((t) => `${t.workload.cluster}/${t.workload.name}`)) : [];
    const ours = batches.map((b) => b.map((t) => `${t.cluster}/${t.name}`));
    const notDone = [...(snap?.workloads.values() ?? [])].filter((w) => w.step !== 'done').length + (set.deployments - (snap?.workloads.size ?? 0));
    if (notDone > 0) throw new Error(`${notDone} workload(s) of ${opId} are not done`);
    return {
      totalMs: end - t0,
      batchMs,
      gateReactionMs,
      batchStartAt,
      submitMs,
      opId,
      batchesMatch: JSON.stringify(bound) === JSON.stringify(ours),
      progressChanges: await s.redis.xlen(s.ops.changesKey),
      redisCalls: calls,
      watches,
      cost,
    };
  } finally {
    watch.disconnect();
    await worker.close();
    await s.close();
  }
}

export async function setupFleet(clusters: readonly ClusterInfo[], config: Config, id: string, apps: readonly string[], nodes: Map<string, string[]>): Promise<void> {
  // An earlier run's namespaces of the same names may still be going (3,000 take the namespace
  // controller minutes): a Role can't be made in a namespace being deleted, so wait them out.
  const names = new Set(apps.map(namespaceOf));
  for (const c of clusters) {
    await until(`${c.name}: an earlier run's namespaces to be gone`, async () => ((await admin(c).core.listNamespace()).items.some((n) => names.has(n.metadata?.name ?? '') && n.status?.phase === 'Terminating') ? undefined : true), 20 * 60_000, 5000);
  }
  for (const c of clusters) nodes.set(c.name, await addNodes(c, id, apps.length * 2));
  // A namespace, Role and RoleBinding per app: applied in slices side by side.
  for (const plan of botRbac(config)) {
    const c = clusters.find((x) => x.name === plan.cluster);
    if (c === undefined) continue;
    const slices = Array.from({ length: Math.ceil(plan.namespaces.length / 50) }, (_, i) => plan.namespaces.slice(i * 50, i * 50 + 50));
    await pool(slices, 8, (nss) => applyRbac(admin(c), rbacForNamespaces(plan.cluster, nss, config.kubernetes.identity), { createNamespaces: true }));
  }
  await Promise.all(clusters.map((c) => pool(apps, 25, (a) => admin(c).apps.createNamespacedDeployment({ namespace: namespaceOf(a), body: deploymentBody(a, `${REPO}:v1`, id) }))));
  await Promise.all(clusters.map((c) => settled(c, id, apps.length, `${REPO}:v1`, 30 * 60_000)));
}

export async function teardown(clusters: readonly ClusterInfo[], id: string, apps: readonly string[], nodes: ReadonlyMap<string, string[]>): Promise<void> {
  await Promise.all(clusters.map((c) => pool(apps, 25, (a) => admin(c).core.deleteNamespace({ name: namespaceOf(a) }).catch(() => undefined))));
  // The nodes go once their pods are gone (deleted with the namespaces), so none is orphaned.
  await Promise.all(
    clusters.map(async (c) => {
      await until('the fleet pods to be deleted', async () => ((await fleetPods(c, id)) === 0 ? true : undefined), 600_000, 2000).catch(() => undefined);
      await deleteNodes(c, nodes.get(c.name) ?? []);
    }),
  );
}

const secs = (ms: number) => fmt(ms / 1000);
const say = (line: string) => process.stderr.write(`  p3: ${line}\n`);

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const listed = (xs: readonly number[]) => xs.map(secs).join(' / ');

export async function p3(): Promise<{ rows: Row[]; raw: unknown }> {
  const set = settings();
  const url = redisUrl();
  const clusters = localClusters().slice(0, 2);
  if (clusters.length < 2) throw new Error('P3 needs the two local clusters (gz, nj)');
  const id = `p3-${randomBytes(3).toString('hex')}`;
  const apps = appNames(set.deployments / clusters.length);
  const config = configFor(clusters, apps);
  const nsOf = (t: Target) => namespaceOf(t.name);
  const batches = batchesOf(clusters, apps);
  const all = batches.flat();
  const step = all.length / set.serialSample;
  const sample = Array.from({ length: set.serialSample }, (_, i) => all[Math.floor(i * step)] as Target);
  const apis = botApps(clusters);
  const nodes = new Map<string, string[]>();
  let tag = 1;
  const next = () => `${REPO}:v${++tag}`;
  const settle = (image: string) => Promise.all(clusters.map((c) => settled(c, id, apps.length, image, 20 * 60_000)));
  // Each run's requests as soon as it ends, so a run stopped early (a large N on a busy machine) still tells them.
  const requestsLine = (cost: Cost) => {
    const q = deploymentRequests(cost.requests);
    const per = (n: number) => fmt(n / set.deployments, 2);
    return `Deployment requests per workload: reads ${per(q.reads)} (GET ${per(q.get)}, LIST ${per(q.list)}, WATCH ${per(q.watch)}), PATCH ${per(q.patch)}; CPU here ${secs(cost.cpuMs)} s`;
  };
  const raw = async () => {
    const image = next();
    const marks = auditMarks(clusters);
    const r = await measured(clusters, () => rawLoop(apis, nsOf, batches, image, set.concurrency));
    await settle(image);
    const writes = writesOf(clusters, marks, image, batches, r.value.batchStartAt);
    say(`raw loop: ${secs(r.value.totalMs)} s (batches ${listed(r.value.batchMs)} s); ${requestsLine(r.cost)}`);
    return { ...r.value, perDeploymentMs: undefined, perDeploymentMeanMs: mean(r.value.perDeploymentMs), cost: r.cost, writes };
  };
  const bot = async () => {
    const image = next();
    const marks = auditMarks(clusters);
    const r = await botRun(clusters, config, url, image, set, batches);
    await settle(image);
    say(`bot: ${secs(r.totalMs)} s (batches ${listed(r.batchMs)} s); ${requestsLine(r.cost)}`);
    return { ...r, writes: writesOf(clusters, marks, image, batches, r.batchStartAt) };
  };
  try {
    const ts = performance.now();
    await setupFleet(clusters, config, id, apps, nodes);
    say(`${set.deployments} Deployments in ${apps.length} namespaces on each of ${clusters.map((c) => c.name).join(', ')} available after ${secs(performance.now() - ts)} s`);
    const raws = [await raw()];
    const bots: Awaited<ReturnType<typeof bot>>[] = [];
    for (let i = 0; i < set.rounds; i++) {
      bots.push(await bot());
      raws.push(await raw());
    }
    const serialImage = next();
    const serial = await measured(clusters, () => serialLoop(apis, nsOf, sample, serialImage));
    say(`serial loop: ${secs(serial.value.totalMs)} s for ${sample.length}`);

    const rawMs = mean(raws.map((r) => r.totalMs));
    const botMs = mean(bots.map((b) => b.totalMs));
    const serialMs = (serial.value.totalMs / sample.length) * set.deployments;
    const scaled = sample.length === set.deployments ? 'all measured' : `${sample.length} of ${set.deployments} measured, ×${fmt(set.deployments / sample.length)} extrapolated`;
    const perBatch = (runs: readonly { batchMs: readonly number[] }[]) => batches.map((_, i) => mean(runs.map((r) => r.batchMs[i] ?? Number.NaN)));
    const botBatch = perBatch(bots);
    const rawBatch = perBatch(raws);
    const botFirst = batches.map((_, i) => mean(bots.map((b) => b.writes.firstWriteMs[i] ?? Number.NaN)));
    const rawFirst = batches.map((_, i) => mean(raws.map((r) => r.writes.firstWriteMs[i] ?? Number.NaN)));
    const runsOf = (xs: readonly { totalMs: number }[]) => (xs.length > 1 ? ` (runs ${listed(xs.map((x) => x.totalMs))})` : '');
    // Requests per workload, by verb, over the runs of each side.
    const perWorkload = (runs: readonly { cost: Cost }[]) => {
      const r = runs.map((x) => deploymentRequests(x.cost.requests));
      const avg = (k: keyof (typeof r)[number]) => mean(r.map((x) => x[k])) / set.deployments;
      return { get: avg('get'), list: avg('list'), watch: avg('watch'), patch: avg('patch'), reads: avg('reads') };
    };
    const botReq = perWorkload(bots);
    const rawReq = perWorkload(raws);
    const verbs = (q: typeof botReq) => `${fmt(q.reads, 2)} (GET ${fmt(q.get, 2)}, LIST ${fmt(q.list, 2)}, WATCH ${fmt(q.watch, 2)}); PATCH ${fmt(q.patch, 2)}`;
    const rows: Row[] = [
      {
        measure: `P3 upgrade of ${set.deployments} Deployments, ${batches.length} batches (gate=${set.gate}), c=${set.concurrency}: approval → done (s)`,
        bot: `${secs(botMs)}${runsOf(bots)}`,
        baseline: `${secs(rawMs)} (raw client-node loop, same batches and c; runs ${listed(raws.map((r) => r.totalMs))})`,
        ratio: `${fmt(botMs / rawMs, 2)}x`,
        target: '<= 1.3x raw loop',
        met: botMs <= 1.3 * rawMs,
      },
      {
        measure: `P3 apiserver requests per workload, ${set.deployments} Deployments in ${apps.length * clusters.length} namespaces: reads (by verb); writes`,
        bot: verbs(botReq),
        baseline: `${verbs(rawReq)} (raw loop: PATCH, then a watch of that Deployment)`,
        ratio: `${fmt(botReq.reads / rawReq.reads, 2)}x reads`,
        target: '<= 3 reads per workload',
        met: botReq.reads <= 3,
      },
      {
        measure: 'P3 per batch (s)',
        bot: listed(botBatch),
        baseline: listed(rawBatch),
        ratio: botBatch.map((b, i) => `${fmt(b / (rawBatch[i] ?? Number.NaN), 2)}x`).join(' / '),
        target: '—',
        met: undefined,
      },
      {
        measure: 'P3 batch start (approval, /continue) → its first write (ms)',
        bot: botFirst.map((x) => fmt(x, 0)).join(' / '),
        baseline: rawFirst.map((x) => fmt(x, 0)).join(' / '),
        ratio: '—',
        target: '—',
        met: undefined,
      },
      {
        measure: 'P3 vs serial set-image-then-wait loop (s)',
        bot: secs(botMs),
        baseline: `${secs(serialMs)} (serial loop, ${scaled})`,
        ratio: `${fmt(serialMs / botMs)}x faster`,
        target: '>= 10x faster',
        met: serialMs >= 10 * botMs,
      },
    ];
    return {
      rows,
      raw: {
        settings: set,
        clusters: clusters.map((c) => c.server),
        batches: batches.map((b) => `${b.length} on ${[...new Set(b.map((t) => t.cluster))].join('+')}`),
        bot: bots,
        raw: raws,
        serial: { ...serial.value, cost: serial.cost, sample: sample.map((t) => `${t.cluster}/${t.name}`) },
      },
    };
  } finally {
    await teardown(clusters, id, apps, nodes);
  }
}
