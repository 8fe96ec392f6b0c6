import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';

/**
 * Storm mode, per channel: a channel gets at most `limit` new alert-group messages per minute.
 * Past that, new groups go into one summary message that keeps being updated ("37 alert
 * groups firing: …") and is listed in its thread, instead of more messages. The storm lasts
 * until no group was diverted for `quietMs`; then new groups get their own messages again.
 *
 * The decision is a pure function; the state it reads and writes sits in Redis under a short
 * per-channel mutex, so two replicas flushing groups of one channel decide one after the other.
 */
export const WINDOW_MS = 60_000;

export interface StormState {
  /** When the recent groups of the channel got their own message (ms). */
  readonly recent: readonly number[];
  /** The storm in progress: its summary's epoch and when it last took a group. */
  readonly storm?: { readonly epoch: number; readonly lastDivertAt: number } | undefined;
}

export interface StormInput {
  readonly now: number;
  readonly limit: number;
  readonly quietMs: number;
}

export type StormDecision =
  | { readonly kind: 'own' }
  /** Into the summary of storm `epoch`; `started` when this group starts the storm. */
  | { readonly kind: 'storm'; readonly epoch: number; readonly started: boolean };

export function decideStorm(state: StormState, input: StormInput): StormDecision {
  const { now, limit, quietMs } = input;
  if (state.storm !== undefined && now - state.storm.lastDivertAt < quietMs) return { kind: 'storm', epoch: state.storm.epoch, started: false };
  const inWindow = state.recent.filter((t) => t > now - WINDOW_MS).length;
  if (inWindow < limit) return { kind: 'own' };
  return { kind: 'storm', epoch: (state.storm?.epoch ?? 0) + 1, started: true };
}

export class StormGate {
  private readonly redis: Redis;
  private readonly p: string;
  constructor(redis: Redis, prefix: string) {
    this.redis = redis;
    this.p = `${prefix}alerts:storm:`;
  }

  /** The summary's outbox key of a storm in a channel. */
  static summaryKey(epoch: number): string {
    return `alert-storm:${epoch}`;
  }

  membersKey(channel: string, epoch: number): string {
    return `${this.p}${channel}:${epoch}:groups`;
  }

  /** Decides for one new group of `channel` and records the decision. */
  async decide(channel: string, groupId: string, input: StormInput): Promise<StormDecision> {
    return this.withMutex(channel, async () => {
      const rate = `${this.p}${channel}:recent`;
      const cur = `${this.p}${channel}:current`;
      await this.redis.zremrangebyscore(rate, '-inf', String(input.now - WINDOW_MS));
      const [recent, current] = await Promise.all([this.redis.zrange(rate, '0', '-1', 'WITHSCORES'), this.redis.hgetall(cur)]);
      const times = recent.filter((_, i) => i % 2 === 1).map(Number);
      const storm = current['epoch'] === undefined ? undefined : { epoch: Number(current['epoch']), lastDivertAt: Number(current['lastDivertAt'] ?? 0) };
      const d = decideStorm({ recent: times, storm }, input);
      if (d.kind === 'own') {
        await this.redis.zadd(rate, String(input.now), groupId);
        await this.redis.expire(rate, 120);
      } else {
        await this.redis.hset(cur, 'epoch', String(d.epoch), 'lastDivertAt', String(input.now));
        await this.redis.expire(cur, 30 * 24 * 3600);
        await this.redis.zadd(this.membersKey(channel, d.epoch), 'NX', String(input.now), groupId);
        await this.redis.expire(this.membersKey(channel, d.epoch), 30 * 24 * 3600);
      }
      return d;
    });
  }

  /** The groups a storm took, oldest first. */
  async members(channel: string, epoch: number): Promise<string[]> {
    return this.redis.zrange(this.membersKey(channel, epoch), '0', '-1');
  }

  private async withMutex<T>(channel: string, fn: () => Promise<T>): Promise<T> {
    const key = `${this.p}${channel}:mutex`;
    const me = randomUUID();
    for (let i = 0; ; i++) {
      if ((await this.redis.set(key, me, 'PX', 5000, 'NX')) !== null) break;
      if (i > 400) throw new Error(`storm state of ${channel} stayed locked`);
      await sleep(10 + Math.floor(Math.random() * 15));
    }
    try {
      return await fn();
    } finally {
      await this.redis.eval(`if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`, 1, key, me);
    }
  }
}
