import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Message } from '../core/message.ts';
import { runLoop, type Loop } from '../loop.ts';
import { channelIdOf, platformOf } from '../chat/channel.ts';
import { CLAIM_UPSERT, COMPLETE, ENQUEUE_POST, ENQUEUE_UPSERT, RELEASE } from './outbox-lua.ts';

/**
 * Every message the bot sends to a chat goes through here: a FIFO per channel in Redis, sent
 * by whichever process holds that channel's lease, one at a time and paced per platform
 * (Slack about 1 per second per channel, Lark at most 5). An item leaves its queue only after
 * the platform took it, so a restart loses nothing; a 429 moves the channel's next turn to
 * after Retry-After; 5xx and timeouts back off and retry; order is kept because the head of a
 * channel's queue blocks the rest.
 *
 * "Upserts" are the live messages (an operation's status, an alert group): one message per
 * (channel, key), posted the first time and edited in place after that. Upserts still waiting
 * for their turn coalesce: a newer one replaces the waiting one's content, so a burst of
 * progress becomes one edit.
 *
 * At least once: a process that dies between the platform's answer and the pop sends that
 * item again on restart (an edit repeats harmlessly; a post may show twice).
 */
export type OutboxItem =
  | {
      readonly id: string;
      readonly channel: string;
      readonly kind: 'upsert';
      readonly key: string;
      readonly message: Message;
      /** Post the message (the first time) into the thread of this platform message. */
      readonly threadRef?: string;
      readonly attempts?: number;
    }
  | {
      readonly id: string;
      readonly channel: string;
      readonly kind: 'post';
      readonly message: Message;
      /** Post into the thread of the upsert with this key (when it has been posted). */
      readonly threadKey?: string;
      /** Post into the thread of this platform message (a mention's ts / message_id). */
      readonly threadRef?: string;
      /** Plain text chunks (overflow of a long message), posted as they are. */
      readonly raw?: string;
      readonly attempts?: number;
    };

export type SendOutcome =
  | { readonly kind: 'sent'; readonly ref?: string | undefined; readonly followUps?: readonly string[] }
  | { readonly kind: 'rate_limited'; readonly retryAfterMs: number }
  | { readonly kind: 'transient'; readonly error: string }
  | { readonly kind: 'permanent'; readonly error: string };

/** One per platform ("slack", "lark", "console"): renders the neutral message and calls the API. */
export interface ChannelSender {
  /** Milliseconds between two sends to one channel. */
  readonly paceMs: number;
  /**
   * `ref` is the platform's id of the upsert's message when it was posted before (update it);
   * `threadRef` the message to reply under. Must not throw for platform errors: classify them.
   */
  deliver(item: OutboxItem, ctx: { readonly ref: string | undefined; readonly threadRef: string | undefined; readonly channelId: string; readonly revision: number }): Promise<SendOutcome>;
}

export interface OutboxOptions {
  readonly redis: Redis;
  readonly prefix: string;
  readonly now?: () => number;
  /** Transient failures back off exponentially from this (ms), capped at maxBackoffMs. */
  readonly backoffMs?: number;
  readonly maxBackoffMs?: number;
  /** After this many transient failures in a row an item is set aside (dead list) so the channel moves on. */
  readonly maxAttempts?: number;
}

export interface OutboxStats {
  readonly queued: number;
  readonly channels: number;
  readonly dead: number;
}

const REF_TTL_SECONDS = 30 * 24 * 3600;
const LEASE_MS = 30_000;

export class Outbox {
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly now: () => number;
  private readonly backoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxAttempts: number;

  constructor(o: OutboxOptions) {
    this.redis = o.redis;
    this.prefix = `${o.prefix}outbox:`;
    this.now = o.now ?? Date.now;
    this.backoffMs = o.backoffMs ?? 500;
    this.maxBackoffMs = o.maxBackoffMs ?? 60_000;
    this.maxAttempts = o.maxAttempts ?? 50;
  }

  private q(channel: string): string {
    return `${this.prefix}q:${channel}`;
  }
  private get itemPrefix(): string {
    return `${this.prefix}item:`;
  }
  private get due(): string {
    return `${this.prefix}due`;
  }
  private refKey(channel: string, key: string): string {
    return `${this.prefix}ref:${channel}:${key}`;
  }
  private revKey(channel: string, key: string): string {
    return `${this.prefix}rev:${channel}:${key}`;
  }

  /** The live message for `key` in `channel`: posted once, then edited in place. */
  async upsert(channel: string, key: string, message: Message, opts: { threadRef?: string | undefined } = {}): Promise<void> {
    const item: OutboxItem = { id: randomUUID(), channel, kind: 'upsert', key, message, ...(opts.threadRef === undefined ? {} : { threadRef: opts.threadRef }) };
    await this.redis.eval(ENQUEUE_UPSERT, 3, this.q(channel), `${this.prefix}coalesce:${channel}:${key}`, this.due, item.id, JSON.stringify(item), channel, String(this.now()), this.itemPrefix);
  }

  /** A new message (or a reply in a thread). `dedupeId` makes a repeated call post once. */
  async post(channel: string, message: Message, opts: { dedupeId?: string; threadKey?: string; threadRef?: string } = {}): Promise<void> {
    const id = opts.dedupeId ?? randomUUID();
    const item: OutboxItem = {
      id,
      channel,
      kind: 'post',
      message,
      ...(opts.threadKey === undefined ? {} : { threadKey: opts.threadKey }),
      ...(opts.threadRef === undefined ? {} : { threadRef: opts.threadRef }),
    };
    await this.redis.eval(ENQUEUE_POST, 3, this.q(channel), `${this.prefix}posted:${id}`, this.due, id, JSON.stringify(item), channel, String(this.now()), this.itemPrefix);
  }

  /** The platform id of the upsert's message, once posted. */
  async ref(channel: string, key: string): Promise<string | undefined> {
    return (await this.redis.get(this.refKey(channel, key))) ?? undefined;
  }

  /** Remember a message posted outside the outbox (an ack, a card returned in a callback) as the key's message. */
  async setRef(channel: string, key: string, ref: string): Promise<void> {
    await this.redis.set(this.refKey(channel, key), ref, 'EX', REF_TTL_SECONDS);
  }

  async pending(channel: string): Promise<number> {
    return this.redis.llen(this.q(channel));
  }

  async stats(): Promise<OutboxStats> {
    const channels = await this.redis.zrange(this.due, '0', '-1');
    let queued = 0;
    for (const c of channels) queued += await this.redis.llen(this.q(c));
    return { queued, channels: channels.length, dead: await this.redis.llen(`${this.prefix}dead`) };
  }

  /** Items set aside after permanent errors, newest first. */
  async dead(limit = 50): Promise<{ item: OutboxItem; error: string; at: number }[]> {
    const raw = await this.redis.lrange(`${this.prefix}dead`, 0, limit - 1);
    return raw.map((r) => JSON.parse(r) as { item: OutboxItem; error: string; at: number });
  }

  /**
   * One pass: every channel whose turn has come and whose lease this process gets sends its
   * head item. Returns how long until the next channel is due (ms), for the caller's sleep.
   */
  async drainOnce(senders: Readonly<Record<string, ChannelSender>>, owner: string): Promise<number> {
    const now = this.now();
    const due = await this.redis.zrangebyscore(this.due, '-inf', String(now), 'LIMIT', 0, 64);
    await Promise.all(due.map((channel) => this.sendHead(channel, senders, owner)));
    const next = await this.redis.zrange(this.due, '0', '0', 'WITHSCORES');
    const at = next[1] === undefined ? now + 1000 : Number(next[1]);
    return Math.max(0, at - this.now());
  }

  private async sendHead(channel: string, senders: Readonly<Record<string, ChannelSender>>, owner: string): Promise<void> {
    const lease = `${this.prefix}lease:${channel}`;
    if ((await this.redis.set(lease, owner, 'PX', LEASE_MS, 'NX')) === null) return;
    try {
      const id = await this.redis.lindex(this.q(channel), 0);
      if (id === null) {
        await this.redis.zrem(this.due, channel);
        return;
      }
      const sender = senders[platformOf(channel)];
      if (sender === undefined) {
        // No sender for this platform in this process (e.g. Lark not configured here): leave it for one that has.
        await this.redis.zadd(this.due, String(this.now() + 5000), channel);
        return;
      }
      const raw = await this.readHead(channel, id);
      if (raw === null) {
        await this.complete(channel, id, 0, []);
        return;
      }
      const item = JSON.parse(raw) as OutboxItem;
      const ref = item.kind === 'upsert' ? await this.ref(channel, item.key) : undefined;
      const threadRef = item.kind === 'post' ? (item.threadRef ?? (item.threadKey === undefined ? undefined : await this.ref(channel, item.threadKey))) : item.threadRef;
      const revision = item.kind === 'upsert' ? await this.redis.incr(this.revKey(channel, item.key)) : 0;
      let outcome: SendOutcome;
      try {
        outcome = await sender.deliver(item, { ref, threadRef, channelId: channelIdOf(channel), revision });
      } catch (e) {
        outcome = { kind: 'transient', error: e instanceof Error ? e.message : String(e) };
      }
      await this.settle(channel, item, outcome, sender.paceMs);
    } finally {
      await this.redis.eval(RELEASE, 1, lease, owner);
    }
  }

  private async readHead(channel: string, id: string): Promise<string | null> {
    const raw = await this.redis.get(this.itemPrefix + id);
    if (raw === null) return null;
    const item = JSON.parse(raw) as OutboxItem;
    if (item.kind !== 'upsert') return raw;
    return (await this.redis.eval(CLAIM_UPSERT, 1, `${this.prefix}coalesce:${channel}:${item.key}`, id, this.itemPrefix)) as string | null;
  }

  private async settle(channel: string, item: OutboxItem, outcome: SendOutcome, paceMs: number): Promise<void> {
    const now = this.now();
    switch (outcome.kind) {
      case 'sent': {
        if (item.kind === 'upsert' && outcome.ref !== undefined) await this.setRef(channel, item.key, outcome.ref);
        const follow = (outcome.followUps ?? []).map((raw, i): OutboxItem => ({
          id: `${item.id}-f${i}`,
          channel,
          kind: 'post',
          message: item.message,
          raw,
          ...(outcome.ref === undefined ? {} : { threadRef: outcome.ref }),
        }));
        await this.complete(channel, item.id, now + paceMs, follow);
        return;
      }
      case 'rate_limited':
        await this.redis.zadd(this.due, String(now + Math.max(outcome.retryAfterMs, paceMs)), channel);
        return;
      case 'transient': {
        const attempts = (item.attempts ?? 0) + 1;
        if (attempts >= this.maxAttempts) {
          await this.setAside(channel, item, `gave up after ${attempts} attempts: ${outcome.error}`, now + paceMs);
          return;
        }
        await this.redis.set(this.itemPrefix + item.id, JSON.stringify({ ...item, attempts }));
        // A waiting upsert takes newer content again, unless a newer item for its key already exists.
        if (item.kind === 'upsert') await this.redis.set(`${this.prefix}coalesce:${channel}:${item.key}`, item.id, 'NX');
        const wait = Math.min(this.maxBackoffMs, this.backoffMs * 2 ** Math.min(attempts - 1, 16));
        await this.redis.zadd(this.due, String(now + wait), channel);
        return;
      }
      case 'permanent':
        await this.setAside(channel, item, outcome.error, now + paceMs);
        return;
    }
  }

  private async setAside(channel: string, item: OutboxItem, error: string, nextAt: number): Promise<void> {
    await this.redis.lpush(`${this.prefix}dead`, JSON.stringify({ item, error, at: this.now() }));
    await this.redis.ltrim(`${this.prefix}dead`, 0, 999);
    await this.complete(channel, item.id, nextAt, []);
  }

  private async complete(channel: string, id: string, nextAt: number, followUps: readonly OutboxItem[]): Promise<void> {
    await this.redis.eval(COMPLETE, 2, this.q(channel), this.due, id, channel, String(nextAt), this.itemPrefix, String(followUps.length), ...followUps.flatMap((f) => [f.id, JSON.stringify(f)]));
  }
}

/**
 * Drains the outbox until stopped: each pass sends what is due, then sleeps until the next
 * channel's turn (at most `idleMs`, so new items are picked up soon).
 */
export function runOutbox(outbox: Outbox, senders: Readonly<Record<string, ChannelSender>>, opts: { idleMs?: number; onError?: (e: unknown) => void } = {}): Loop {
  const owner = `outbox-${randomUUID()}`;
  const idle = opts.idleMs ?? 100;
  return runLoop(async () => Math.max(5, Math.min(idle, await outbox.drainOnce(senders, owner))), { errorWaitMs: idle, ...(opts.onError === undefined ? {} : { onError: opts.onError }) });
}
