import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { formatMatcher, sameMatchers, sortMatchers, type Matcher } from '../core/matchers.ts';
import type { Subscription } from './routing.ts';

/**
 * Chat subscriptions (`/subscribe severity=critical env=prod`), one Redis hash for all of them:
 * a handful per channel, read by every ingest (cached for a second by the engine). The id is
 * derived from the channel and the matchers, so subscribing twice keeps one subscription.
 */
export function subscriptionId(channel: string, matchers: readonly Matcher[]): string {
  const text = [channel, ...sortMatchers(matchers).map(formatMatcher)].join('\n');
  return `sub-${createHash('sha256').update(text).digest('hex').slice(0, 10)}`;
}

export class Subscriptions {
  private readonly redis: Redis;
  private readonly key: string;
  constructor(redis: Redis, prefix: string) {
    this.redis = redis;
    this.key = `${prefix}alerts:subs`;
  }

  async all(): Promise<Subscription[]> {
    const h = await this.redis.hgetall(this.key);
    return Object.values(h)
      .map((v) => JSON.parse(v) as Subscription)
      .sort((a, b) => a.at.localeCompare(b.at) || a.id.localeCompare(b.id));
  }

  async of(channel: string): Promise<Subscription[]> {
    return (await this.all()).filter((s) => s.channel === channel);
  }

  /** Adds one; `created` false when the channel already had exactly these matchers. */
  async add(channel: string, matchers: readonly Matcher[], by: string, now: Date): Promise<{ created: boolean; sub: Subscription }> {
    const id = subscriptionId(channel, matchers);
    const sub: Subscription = { id, channel, matchers: sortMatchers(matchers), by, at: now.toISOString() };
    const created = (await this.redis.hsetnx(this.key, id, JSON.stringify(sub))) === 1;
    if (!created) return { created, sub: JSON.parse((await this.redis.hget(this.key, id)) ?? JSON.stringify(sub)) as Subscription };
    return { created, sub };
  }

  /** Removes the channel's subscription with exactly these matchers, or all of them when none are given. */
  async remove(channel: string, matchers: readonly Matcher[] | undefined): Promise<Subscription[]> {
    const gone = (await this.of(channel)).filter((s) => matchers === undefined || sameMatchers(s.matchers, matchers));
    if (gone.length > 0) await this.redis.hdel(this.key, ...gone.map((s) => s.id));
    return gone;
  }
}
