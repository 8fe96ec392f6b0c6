import type { Redis } from 'ioredis';

/**
 * "Have I seen this before?" for at-least-once deliveries: the first caller to claim a key
 * stores its value (an operation id, a job id); everyone after gets that value back and
 * answers with it instead of starting the work twice. Used for chat delivery id → operation
 * id and approval id → job id.
 *
 * One SET … NX EX … GET, so the check and the write are a single atomic step (Redis ≥ 7.0).
 */

/**
 * 48 hours. A key must outlive every redelivery of the same event: Slack retries an event up
 * to three times within minutes, Lark/Feishu keeps retrying a failed push for hours, Socket
 * Mode and long connections redeliver after a reconnect, and a queue redelivers after a worker
 * crash. Two days cover the slowest of them with room for an outage over a night. Keys are
 * tiny, so keeping them longer costs little; keeping them shorter risks a double deploy.
 */
export const DEFAULT_DEDUPE_TTL_SECONDS = 48 * 3600;

export type Claim = { readonly first: true } | { readonly first: false; readonly value: string };

export function dedupeKey(prefix: string, key: string): string {
  return `${prefix}dedupe:${key}`;
}

export async function claim(redis: Redis, prefix: string, key: string, value: string, ttlSeconds: number = DEFAULT_DEDUPE_TTL_SECONDS): Promise<Claim> {
  if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0) throw new RangeError(`dedupe ttl must be a positive whole number of seconds, got ${ttlSeconds}`);
  // With GET, SET NX replies with the old value when the key existed (and sets nothing), or nil when it set it.
  const existing = await redis.set(dedupeKey(prefix, key), value, 'EX', ttlSeconds, 'NX', 'GET');
  return existing === null ? { first: true } : { first: false, value: existing };
}
