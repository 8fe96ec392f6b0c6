import { reminderDue, waitingOn } from '../core/approval.ts';
import { claim } from '../jobs/dedupe.ts';
import { jobPayload } from '../jobs/spec.ts';
import { endedOrOrphaned, leaveQueue } from '../jobs/queue-gate.ts';
import { queueGate, type Services } from './services.ts';

/**
 * Time-driven duties, run every few seconds by the worker process: expire approvals whose time
 * is up (the operation is marked expired and audited once), and remind the people an approval
 * still waits on shortly before it expires (once per approval). Reminders go to the
 * notifications stream, which the chat adapters deliver to the request's channel.
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
