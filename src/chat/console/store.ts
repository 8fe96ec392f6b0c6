import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Message } from '../../core/message.ts';
import { redactMessage } from '../../core/redact.ts';

/**
 * The web console's "chat platform": what is in each console channel, kept in Redis so every
 * API process serves the same channels and a restart loses nothing. An entry is a message the
 * bot sent (through the outbox, like any platform), or a line a person typed. Upserts replace
 * an entry's content in place, keeping its place in the channel; replies in a thread point at
 * their parent. Every change is also appended to one stream, which the live pages follow.
 */
/** What every console entry has: where it is, its order, and its version. */
interface EntryBase {
  readonly id: string;
  readonly channel: string;
  readonly seq: number;
  readonly at: string;
  readonly updatedAt: string;
  readonly revision: number;
}

export type ConsoleEntry =
  | (EntryBase & {
      readonly kind: 'bot';
      readonly message: Message;
      /** Plain text instead of a message (a platform's overflow chunk; the console has none). */
      readonly raw?: string;
      /** The entry this one replies to. */
      readonly threadOf?: string;
    })
  | (EntryBase & {
      readonly kind: 'said';
      /** The config person who typed it. */
      readonly person: string;
      readonly text: string;
    });

/** Console channel names, as the config's channel rule allows them. */
export const CONSOLE_CHANNEL = /^console:[A-Za-z0-9_.-]{1,64}$/;
export const DEFAULT_CHANNEL = 'console:ops';
/** Entries kept per channel; older ones drop off. */
export const KEEP_PER_CHANNEL = 500;
const STREAM_MAX = 10_000;

export interface ConsoleStore {
  readonly streamKey: string;
  /** A bot message: new, or (with `replace`, an id posted before) the same entry with new content. */
  putBot(channel: string, message: Message, opts?: { replace?: string | undefined; threadOf?: string | undefined; raw?: string | undefined }): Promise<ConsoleEntry>;
  putSaid(channel: string, person: string, text: string): Promise<ConsoleEntry>;
  get(channel: string, id: string): Promise<ConsoleEntry | undefined>;
  /** The newest `limit` entries of a channel, oldest first. */
  list(channel: string, limit?: number): Promise<ConsoleEntry[]>;
  /** Channels that have had an entry, most recently active first. */
  channels(): Promise<string[]>;
}

export function createConsoleStore(redis: Redis, prefix: string, now: () => Date = () => new Date()): ConsoleStore {
  const p = `${prefix}console:`;
  const msgs = (c: string) => `${p}msgs:${c}`;
  const order = (c: string) => `${p}order:${c}`;
  const streamKey = `${p}changes`;

  const get = async (channel: string, id: string): Promise<ConsoleEntry | undefined> => {
    const raw = await redis.hget(msgs(channel), id);
    return raw === null ? undefined : (JSON.parse(raw) as ConsoleEntry);
  };

  const write = async (e: ConsoleEntry, isNew: boolean): Promise<void> => {
    const m = redis.multi().hset(msgs(e.channel), e.id, JSON.stringify(e));
    if (isNew) m.zadd(order(e.channel), e.seq, e.id);
    m.zadd(`${p}channels`, Date.parse(e.updatedAt), e.channel);
    m.xadd(streamKey, 'MAXLEN', '~', String(STREAM_MAX), '*', 'channel', e.channel, 'id', e.id);
    await m.exec();
    if (isNew) await trim(e.channel);
  };

  const trim = async (channel: string): Promise<void> => {
    const n = await redis.zcard(order(channel));
    if (n <= KEEP_PER_CHANNEL) return;
    const old = await redis.zrange(order(channel), '0', String(n - KEEP_PER_CHANNEL - 1));
    if (old.length === 0) return;
    await redis.multi().hdel(msgs(channel), ...old).zrem(order(channel), ...old).exec();
  };

  const fresh = async (channel: string) => ({
    id: `m-${randomBytes(8).toString('hex')}`,
    channel,
    seq: await redis.incr(`${p}seq`),
    at: now().toISOString(),
    updatedAt: now().toISOString(),
    revision: 1,
  });

  return {
    streamKey,
    async putBot(channel, message, opts = {}) {
      if (opts.replace !== undefined) {
        const old = await get(channel, opts.replace);
        if (old !== undefined && old.kind === 'bot') {
          const e: ConsoleEntry = { ...old, message: redactMessage(message), updatedAt: now().toISOString(), revision: old.revision + 1 };
          await write(e, false);
          return e;
        }
      }
      const e: ConsoleEntry = {
        kind: 'bot',
        ...(await fresh(channel)),
        message: redactMessage(message),
        ...(opts.raw === undefined ? {} : { raw: opts.raw }),
        ...(opts.threadOf === undefined ? {} : { threadOf: opts.threadOf }),
      };
      await write(e, true);
      return e;
    },
    async putSaid(channel, person, text) {
      const e: ConsoleEntry = { kind: 'said', ...(await fresh(channel)), person, text };
      await write(e, true);
      return e;
    },
    get,
    async list(channel, limit = 200) {
      const ids = await redis.zrevrange(order(channel), 0, Math.max(1, limit) - 1);
      if (ids.length === 0) return [];
      const raws = await redis.hmget(msgs(channel), ...ids);
      return raws
        .filter((r): r is string => r !== null)
        .map((r) => JSON.parse(r) as ConsoleEntry)
        .reverse();
    },
    async channels() {
      return redis.zrevrange(`${p}channels`, 0, 199);
    },
  };
}
