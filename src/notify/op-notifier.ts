import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { message } from '../core/message.ts';
import { loadOpView, opChannels } from '../service/op-live.ts';
import type { Notification } from '../service/sweeper.ts';
import type { Services } from '../service/services.ts';
import type { Outbox } from './outbox.ts';
import { claim } from '../jobs/dedupe.ts';
import type { OpRecord } from '../jobs/operations.ts';
import { opEvents, type ApprovalEvent } from './op-events.ts';

/**
 * Keeps each operation's live chat message current: follows the stream of operation changes
 * (and the sweeper's reminders) through a Redis consumer group, so with several API processes
 * each change is handled once, and one that dies leaves its unacknowledged entries to be
 * claimed by another. A change is turned into an outbox upsert of the whole message, rebuilt
 * from the stored state, so handling one twice does no harm.
 */
const GROUP = 'chat-notifier';
const CLAIM_IDLE_MS = 30_000;

export function opKey(opId: string): string {
  return `op:${opId}`;
}

/** Upserts the operation's message in every channel that shows it. */
export async function refreshOp(s: Services, outbox: Outbox, opId: string): Promise<void> {
  const channels = await opChannels(s, opId);
  if (channels.length === 0) return;
  const view = await loadOpView(s, opId);
  if (view === undefined) return;
  for (const c of channels) await outbox.upsert(c.channel, opKey(opId), view, { threadRef: c.threadRef });
}

async function remind(s: Services, outbox: Outbox, n: Notification): Promise<void> {
  if (n.opId === undefined) return;
  for (const c of await opChannels(s, n.opId)) {
    const m = message(n.kind === 'approval_expired' ? 'Request expired' : 'Approval reminder', n.kind === 'approval_expired' ? 'denied' : 'needs_approval', { text: n.text, mentions: n.mentions });
    await outbox.post(c.channel, m, { dedupeId: `${n.kind}:${n.approvalId}:${c.channel}`, threadKey: opKey(n.opId) });
  }
}

async function ensureGroup(redis: Redis, stream: string): Promise<void> {
  try {
    await redis.xgroup('CREATE', stream, GROUP, '$', 'MKSTREAM');
  } catch (e) {
    if (!(e instanceof Error) || !e.message.includes('BUSYGROUP')) throw e;
  }
}

type Entries = [string, string[]][];

/** Claims of counted events outlive any approval wait (they are a few bytes each). */
const EVENT_CLAIM_TTL_SECONDS = 30 * 24 * 3600;
/** Event keys this replica already claimed or saw claimed: most changes need no Redis call. */
const SEEN_MAX = 20_000;

export interface OpNotifierOptions {
  readonly onError?: (e: unknown) => void;
  readonly blockMs?: number;
  /** Once per operation that reached an end, across all replicas. */
  readonly onEnded?: (op: OpRecord) => void;
  /** Once per approval request and once for what became of it, across all replicas. */
  readonly onApproval?: (event: ApprovalEvent, op: OpRecord) => void;
}

/**
 * The callbacks are for metrics: each event is counted by the replica that claims it first (a
 * Redis claim), so each replica counts the ones it handled and Prometheus sums them.
 */
export function runOpNotifier(s: Services, outbox: Outbox, opts: OpNotifierOptions = {}): { stop(): Promise<void> } {
  const changes = s.ops.changesKey;
  const notifications = `${s.prefix}notifications`;
  // XREADGROUP … BLOCK holds its connection: it gets its own.
  const reader = s.redis.duplicate();
  // Reconnects by itself; without a listener ioredis prints each failed attempt as unhandled.
  reader.on('error', () => undefined);
  const consumer = `notifier-${randomUUID()}`;
  let stopped = false;
  const seen = new Set<string>();

  const countEvents = async (rec: OpRecord): Promise<void> => {
    for (const e of opEvents(rec)) {
      if (seen.has(e.key)) continue;
      const first = (await claim(s.redis, s.prefix, e.key, rec.status, EVENT_CLAIM_TTL_SECONDS)).first;
      if (seen.size >= SEEN_MAX) seen.clear();
      seen.add(e.key);
      if (!first) continue;
      if (e.kind === 'ended') opts.onEnded?.(rec);
      else opts.onApproval?.(e.event, rec);
    }
  };

  const handle = async (stream: string, entries: Entries): Promise<void> => {
    const ops = new Set<string>();
    for (const [, fields] of entries) {
      if (stream === changes) ops.add(fields[1] ?? '');
      else await remind(s, outbox, JSON.parse(fields[1] ?? '{}') as Notification);
    }
    for (const op of ops) {
      if (op === '') continue;
      await refreshOp(s, outbox, op);
      if (opts.onEnded === undefined && opts.onApproval === undefined) continue;
      const rec = await s.ops.get(op);
      if (rec !== undefined) await countEvents(rec);
    }
    if (entries.length > 0) await s.redis.xack(stream, GROUP, ...entries.map(([id]) => id));
  };

  const loop = (async () => {
    await ensureGroup(s.redis, changes);
    await ensureGroup(s.redis, notifications);
    let lastClaim = 0;
    while (!stopped) {
      try {
        if (Date.now() - lastClaim > CLAIM_IDLE_MS / 2) {
          lastClaim = Date.now();
          for (const stream of [changes, notifications]) {
            const r = (await s.redis.xautoclaim(stream, GROUP, consumer, CLAIM_IDLE_MS, '0-0', 'COUNT', 200)) as [string, Entries, string[]];
            await handle(stream, r[1]);
          }
        }
        const res = (await reader.xreadgroup('GROUP', GROUP, consumer, 'COUNT', 200, 'BLOCK', opts.blockMs ?? 500, 'STREAMS', changes, notifications, '>', '>')) as [string, Entries][] | null;
        for (const [stream, entries] of res ?? []) await handle(stream, entries);
      } catch (e) {
        if (stopped) break;
        opts.onError?.(e);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      reader.disconnect();
    },
  };
}
