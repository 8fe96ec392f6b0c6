import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { message } from '../core/message.ts';
import { loadOpView, opChannels } from '../service/op-live.ts';
import type { Notification } from '../service/sweeper.ts';
import type { Services } from '../service/services.ts';
import type { Outbox } from './outbox.ts';
import { claim } from '../jobs/dedupe.ts';
import type { OpRecord } from '../jobs/operations.ts';

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

const ENDED: ReadonlySet<string> = new Set(['succeeded', 'failed', 'blocked', 'rejected', 'expired', 'cancelled']);

/**
 * `onEnded` is called once per operation that reached an end, across all replicas (a Redis
 * claim), for metrics: each replica counts the ones it handled, and Prometheus sums them.
 */
export function runOpNotifier(s: Services, outbox: Outbox, opts: { onError?: (e: unknown) => void; blockMs?: number; onEnded?: (op: OpRecord) => void } = {}): { stop(): Promise<void> } {
  const changes = s.ops.changesKey;
  const notifications = `${s.prefix}notifications`;
  // XREADGROUP … BLOCK holds its connection: it gets its own.
  const reader = s.redis.duplicate();
  // Reconnects by itself; without a listener ioredis prints each failed attempt as unhandled.
  reader.on('error', () => undefined);
  const consumer = `notifier-${randomUUID()}`;
  let stopped = false;

  const handle = async (stream: string, entries: Entries): Promise<void> => {
    const ops = new Set<string>();
    for (const [, fields] of entries) {
      if (stream === changes) ops.add(fields[1] ?? '');
      else await remind(s, outbox, JSON.parse(fields[1] ?? '{}') as Notification);
    }
    for (const op of ops) {
      if (op === '') continue;
      await refreshOp(s, outbox, op);
      if (opts.onEnded === undefined) continue;
      const rec = await s.ops.get(op);
      if (rec !== undefined && ENDED.has(rec.status) && (await claim(s.redis, s.prefix, `op-ended:${op}`, rec.status)).first) opts.onEnded(rec);
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
