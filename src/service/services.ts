import type { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { createApprovalStore, type ApprovalStore } from '../approvals/store.ts';
import { createAuditLog, type AuditLog } from '../audit/log.ts';
import type { Config } from '../config/schema.ts';
import type { GatewayFor } from '../jobs/bind.ts';
import { leaseKey, createLeases, type Leases } from '../jobs/leases.ts';
import { createOpQueue, type OpQueue } from '../jobs/op-queue.ts';
import { Operations } from '../jobs/operations.ts';
import { createRevisionHealth, type RevisionHealthStore } from '../jobs/revision-health.ts';
import { createQueue } from '../jobs/queue.ts';
import type { Workload } from '../jobs/spec.ts';
import { gateDeps, startWorker, type AuditInput, type WorkerDeps } from '../jobs/worker.ts';
import type { GateDeps } from '../jobs/queue-gate.ts';
import { lazyGatewayFor, preloadGateway } from '../kube/lazy-gateway.ts';
import { createFreezes, type Freezes } from '../state/freezes.ts';
import { createLocks, type Locks } from '../state/locks.ts';
import { keepWatchStats } from './watch-metrics.ts';
import type { AdhocFreeze, Lock } from '../core/policy.ts';

/**
 * Everything the request side and the worker share, built once from the config and a Redis
 * URL. Tests build it with their own key prefix so that runs never see each other's state.
 */
export interface Services {
  readonly config: Config;
  readonly redis: Redis;
  readonly prefix: string;
  readonly clock: () => Date;
  readonly ops: Operations;
  readonly queue: Queue;
  readonly approvals: ApprovalStore;
  readonly audit: AuditLog;
  readonly locks: Locks;
  readonly freezes: Freezes;
  readonly leases: Leases;
  /** Who changes which workload next (jobs/op-queue.ts). */
  readonly opQueue: OpQueue;
  /** What the bot saw of each revision's health (jobs/revision-health.ts). */
  readonly health: RevisionHealthStore;
  readonly gatewayFor: GatewayFor;
  /** For the apps' HTTP probes (a promotion's source, the probe gate); tests pass one that refuses anything but loopback. */
  readonly fetch: typeof globalThis.fetch;
  policyState(now: Date): Promise<{ locks: Lock[]; freezes: AdhocFreeze[] }>;
  close(): Promise<void>;
}

export interface ServicesOptions {
  readonly redisUrl: string;
  readonly prefix?: string;
  readonly clock?: () => Date;
  readonly gatewayFor?: GatewayFor;
  readonly fetch?: typeof globalThis.fetch;
  /** Connection errors (Redis down, restarting), for a log; reconnecting is automatic. */
  readonly onRedisError?: (e: Error) => void;
}

export function createServices(config: Config, options: ServicesOptions): Services {
  // BullMQ's blocking connections need maxRetriesPerRequest: null; one client serves all here.
  const redis = new Redis(options.redisUrl, { maxRetriesPerRequest: null, lazyConnect: false });
  // ioredis reconnects by itself (a restarted Redis is picked up again); commands issued
  // meanwhile fail or wait and their callers handle that. The event only needs a listener, or
  // ioredis prints every failed reconnect as an unhandled error.
  redis.on('error', (e: Error) => options.onRedisError?.(e));
  const prefix = options.prefix ?? 'chatops:';
  const clock = options.clock ?? (() => new Date());
  const approvals = createApprovalStore(redis, prefix, { clock });
  const locks = createLocks(redis, prefix);
  const freezes = createFreezes(redis, prefix);
  const queue = createQueue(redis, prefix);
  const audit = createAuditLog(redis, prefix);
  return {
    config,
    redis,
    prefix,
    clock,
    ops: new Operations(redis, prefix),
    queue,
    approvals,
    audit,
    locks,
    freezes,
    leases: createLeases(redis, prefix),
    opQueue: createOpQueue(redis, prefix),
    health: createRevisionHealth(redis, prefix, async ({ dedupeKey, ...entry }) => {
      await audit.append(entry, { dedupeKey });
    }),
    gatewayFor: options.gatewayFor ?? lazyGatewayFor(config),
    fetch: options.fetch ?? globalThis.fetch,
    async policyState(now) {
      const [l, f] = await Promise.all([locks.active(now), freezes.active(now)]);
      return { locks: l, freezes: f };
    },
    async close() {
      await queue.close();
      await approvals.close();
      redis.disconnect();
    },
  };
}

/** How long a workload lease lives without renewal: a crashed worker's lease lapses by then. */
export const LEASE_TTL_MS = 15_000;

export class LeaseBusy extends Error {
  override readonly name = 'LeaseBusy';
}

export function workerDeps(s: Services, extra: Partial<Pick<WorkerDeps, 'rolloutTimeoutMs' | 'concurrency' | 'lockDurationMs'>> = {}): WorkerDeps {
  return {
    config: s.config,
    connection: s.redis,
    prefix: s.prefix,
    ops: s.ops,
    gatewayFor: s.gatewayFor,
    fetch: s.fetch,
    clock: s.clock,
    jobs: s.queue,
    opQueue: s.opQueue,
    health: s.health,
    policyState: (now) => s.policyState(now),
    audit: async (e: AuditInput) => {
      const { dedupeKey, ...entry } = e;
      await s.audit.append({ ...entry, at: s.clock() }, dedupeKey === undefined ? {} : { dedupeKey });
    },
    withLease: async <T>(w: Workload, owner: string, fn: () => Promise<T>): Promise<T> => {
      const r = await s.leases.hold(leaseKey(w), owner, LEASE_TTL_MS, () => fn());
      // Busy is transient: the job retries with backoff until the other operation lets go.
      if (!r.acquired) throw new LeaseBusy(`${w.app} on ${w.cluster} is being changed by ${r.holder}; waiting for it to finish`);
      return r.value;
    },
    ...extra,
  };
}

/** The operation queue's gate as the request side uses it (queue-gate.ts). */
export function queueGate(s: Services): GateDeps {
  return gateDeps(workerDeps(s));
}

export function runWorker(s: Services, extra: Parameters<typeof workerDeps>[1] = {}) {
  // Every job talks to a cluster: load the client now rather than during the first one.
  preloadGateway();
  const worker = startWorker(workerDeps(s, extra));
  // The shared rollout watches: their counts to /metrics, and no lingering once the worker closes.
  keepWatchStats(worker, s.redis, s.prefix);
  return worker;
}
