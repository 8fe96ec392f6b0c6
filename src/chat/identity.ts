import type { Config } from '../config/schema.ts';
import type { Redis } from 'ioredis';

/**
 * Who a chat user is, as a person named in the config. The config may name a person's chat id
 * directly (slack: U…, lark: ou_…); otherwise the platform's email for the user is matched
 * against the people's emails. Email lookups cost an API call, so answers (including "nobody")
 * are cached in Redis for an hour; a person added to the config is found by id at once.
 */
export type Platform = 'slack' | 'lark';

const CACHE_SECONDS = 3600;

export function personById(config: Config, platform: Platform, id: string): string | undefined {
  for (const [name, p] of Object.entries(config.people)) if (p[platform] === id) return name;
  return undefined;
}

export function personByEmail(config: Config, email: string): string | undefined {
  const want = email.trim().toLowerCase();
  for (const [name, p] of Object.entries(config.people)) if (p.email !== undefined && p.email.toLowerCase() === want) return name;
  return undefined;
}

export async function resolvePerson(
  deps: { readonly config: Config; readonly redis: Redis; readonly prefix: string },
  platform: Platform,
  id: string,
  emailOf: (id: string) => Promise<string | undefined>,
): Promise<string | undefined> {
  const direct = personById(deps.config, platform, id);
  if (direct !== undefined) return direct;
  const key = `${deps.prefix}ident:${platform}:${id}`;
  const cached = await deps.redis.get(key);
  if (cached !== null) return cached === '' ? undefined : cached;
  let email: string | undefined;
  try {
    email = await emailOf(id);
  } catch {
    // A failed lookup is not "nobody": don't cache it, and treat the user as unknown for now.
    return undefined;
  }
  const person = email === undefined ? undefined : personByEmail(deps.config, email);
  await deps.redis.set(key, person ?? '', 'EX', CACHE_SECONDS);
  return person;
}

/** The platform id of a config person, for mentions. */
export function platformIdOf(config: Config, platform: Platform, person: string): string | undefined {
  return Object.hasOwn(config.people, person) ? config.people[person]?.[platform] : undefined;
}
