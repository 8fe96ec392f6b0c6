import { Queue, Worker } from 'bullmq';
import { reminderDue, waitingOn } from '../core/approval.ts';
import { claim } from '../jobs/dedupe.ts';
import { jobPayload } from '../jobs/spec.ts';
import { endedOrOrphaned, leaveQueue } from '../jobs/queue-gate.ts';
import { queueGate, type Services } from './services.ts';

/**
 * Time-driven duties, run every 5 s: expire approvals whose time is up (the operation is marked
 * expired and audited once), and remind the people an approval still waits on shortly before it
 * expires (once per approval). Reminders go to the notifications stream, which the chat adapters
 * deliver to the request's channel.
 *
 * The 5 s tick is a BullMQ job scheduler on a queue of its own: every worker process upserts the
 * same scheduler and serves the queue, and BullMQ makes one job per tick, which one of them takes.
 * So the sweep runs once per tick for the whole deployment however many workers there are (it
 * used to run in each), and keeps running as long as any worker does.
 */
export interface Notification {
  readonly kind: 'approval_reminder' | 'approval_expired';
  readonly approvalId: string;
  readonly opId: string | undefined;
  /** People to mention (config names). */
  readonly mentions: readonly string[];
  readonly text: string;
}

export async function notify(s: Services, n: Notification): Promise<void> {
  await s.redis.xadd(`${s.prefix}notifications`, 'MAXLEN', '~', '10000', '*', 'notification', JSON.stringify(n));
}

export async function readNotifications(s: Services, afterId = '0'): Promise<{ id: string; notification: Notification }[]> {
  const rows = await s.redis.xrange(`${s.prefix}notifications`, afterId === '0' ? '-' : `(${afterId}`, '+');
  return rows.map(([id, fields]) => ({ id, notification: JSON.parse(fields[1] ?? '{}') as Notification }));
}

async function opIdOf(s: Services, approvalId: string): Promise<string | undefined> {
  const raw = await s.redis.get(`${s.prefix}pending:${approvalId}`);
  if (raw === null) return undefined;
  const p = jobPayload.safeParse(JSON.parse(raw));
  return p.success ? p.data.opId : undefined;
}

/** Remind when this much of an approval's time is left (at least a minute, at most ten). */
export function reminderLead(totalSeconds: number): number {
  return Math.min(600, Math.max(60, Math.round(totalSeconds * 0.2)));
}

export async function sweep(s: Services, now: Date): Promise<{ expired: string[]; reminded: string[] }> {
  const expired: string[] = [];
  for (const a of await s.approvals.expireDue(now)) {
    const opId = await opIdOf(s, a.id);
    if (opId !== undefined) {
      await s.ops.update(opId, { status: 'expired', summary: `approval ${a.id} expired without enough approvals`, queuedBehind: '' }, now);
      await leaveQueue(queueGate(s), opId);
    }
    await s.audit.append({ at: now, kind: 'expired', actor: 'bot', approvalId: a.id, opId, summary: `approval ${a.id} expired (${a.approvals.length} of ${a.required} approvals)`, detail: {} }, { dedupeKey: `${a.id}:expired` });
    await notify(s, { kind: 'approval_expired', approvalId: a.id, opId, mentions: [a.requester], text: `Request ${a.id} expired before enough people approved it.` });
    expired.push(a.id);
  }
  const reminded: string[] = [];
  for (const a of await s.approvals.listPending(now)) {
    const total = (a.expiresAt.getTime() - a.createdAt.getTime()) / 1000;
    if (!reminderDue(a, now, reminderLead(total))) continue;
    if (!(await claim(s.redis, s.prefix, `reminded:${a.id}`, now.toISOString(), Math.max(60, Math.ceil(total)))).first) continue;
    const left = Math.max(0, Math.round((a.expiresAt.getTime() - now.getTime()) / 60_000));
    await notify(s, { kind: 'approval_reminder', approvalId: a.id, opId: await opIdOf(s, a.id), mentions: waitingOn(a), text: `Request ${a.id} from ${a.requester} still needs ${a.required - a.approvals.length} approval(s); it expires in ${left} min.` });
    reminded.push(a.id);
  }
  await tidyQueue(s);
  return { expired, reminded };
}

/**
 * Entries of the operation queue whose operation ended (or vanished) are taken off it, in case
 * whoever ended it died before saying so; the gate does the same whenever someone waits on one.
 */
async function tidyQueue(s: Services): Promise<void> {
  for (const e of await s.opQueue.all()) {
    const op = await s.ops.get(e.opId);
    if (endedOrOrphaned(e, op, s.clock().getTime())) await leaveQueue(queueGate(s), e.opId);
  }
}

export const SWEEP_QUEUE = 'sweeper';
export const SWEEP_EVERY_MS = 5000;
const SCHEDULER_ID = 'sweep';

export function createSweepQueue(s: Pick<Services, 'redis' | 'prefix'>): Queue {
  return new Queue(SWEEP_QUEUE, { connection: s.redis, prefix: `${s.prefix}bull` });
}

export interface Sweeper {
  readonly worker: Worker;
  close(): Promise<void>;
}

export interface SweeperOptions {
  readonly everyMs?: number;
  readonly onSwept?: (r: { expired: string[]; reminded: string[] }) => void;
  readonly onError?: (e: Error) => void;
}

/** Joins the deployment-wide sweep: the scheduler (idempotent) and a worker for its jobs. */
export async function startSweeper(s: Services, o: SweeperOptions = {}): Promise<Sweeper> {
  const queue = createSweepQueue(s);
  await queue.upsertJobScheduler(SCHEDULER_ID, { every: o.everyMs ?? SWEEP_EVERY_MS }, { name: SCHEDULER_ID, opts: { removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } } });
  const worker = new Worker(SWEEP_QUEUE, () => sweep(s, s.clock()), { connection: s.redis, prefix: `${s.prefix}bull`, concurrency: 1 });
  worker.on('completed', (_job, r: { expired: string[]; reminded: string[] }) => o.onSwept?.(r));
  worker.on('failed', (_job, e) => o.onError?.(e));
  worker.on('error', (e) => o.onError?.(e));
  return {
    worker,
    async close() {
      await worker.close();
      await queue.close();
    },
  };
}
