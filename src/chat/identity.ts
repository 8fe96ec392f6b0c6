import type { Config } from '../config/schema.ts';
import type { Redis } from 'ioredis';

/**
 * Who a chat user is, as a person named in the config. Deny by default:
 *
 * - On a platform with teams (Slack), the user's own team must be the one the bot serves: a
 *   Slack Connect guest from another organisation, even in a shared channel of ours, is nobody.
 *   The team comes from the payload when it says (a click's user.team_id, a mention's
 *   user_team); else from the platform's user lookup; a lookup that fails is nobody (for that
 *   request: it is not cached).
 * - The config may name a person's chat id (slack: U…, lark: ou_…): that id is that person.
 * - Otherwise, as a fallback, the email the platform has verified for the user is matched
 *   against the emails of the people who have no id on that platform. A person with an id is
 *   found by it alone, so nobody becomes alice by putting her address in their profile, and an
 *   unverified address never counts.
 *
 * Lookups cost an API call, so what the platform said (team, verified email) is cached in Redis
 * for an hour; who that makes them is worked out from the config each time.
 */
export type Platform = 'slack' | 'lark';

const CACHE_SECONDS = 3600;

/** What the platform says about a user. */
export interface UserFacts {
  /** The user's own team (workspace), when the platform has teams. */
  readonly team?: string | undefined;
  /** An email address the platform has verified as the user's; undefined when none is. */
  readonly verifiedEmail?: string | undefined;
}

export function personById(config: Config, platform: Platform, id: string): string | undefined {
  for (const [name, p] of Object.entries(config.people)) if (p[platform] === id) return name;
  return undefined;
}

/** The person with this email among those the config does not know by an id on `platform`. */
export function personByEmail(config: Config, platform: Platform, email: string): string | undefined {
  const want = email.trim().toLowerCase();
  if (want === '') return undefined;
  for (const [name, p] of Object.entries(config.people)) {
    if (p[platform] === undefined && p.email !== undefined && p.email.trim().toLowerCase() === want) return name;
  }
  return undefined;
}

export interface ResolveOptions {
  /** The team the bot serves; a user of any other team is nobody. Omitted where the platform has none. */
  readonly team?: { readonly serves: string; readonly fromPayload: string | undefined };
  /** Asks the platform about the user; throws when it can't say. */
  readonly lookup: (id: string) => Promise<UserFacts>;
}

export async function resolvePerson(deps: { readonly config: Config; readonly redis: Redis; readonly prefix: string }, platform: Platform, id: string, o: ResolveOptions): Promise<string | undefined> {
  const fromPayload = o.team?.fromPayload;
  if (o.team !== undefined && fromPayload !== undefined && fromPayload !== o.team.serves) return undefined;
  const direct = personById(deps.config, platform, id);
  // The payload vouched for the team (or there are none): an id the config names needs nothing more.
  if (direct !== undefined && (o.team === undefined || fromPayload !== undefined)) return direct;
  const facts = await factsOf(deps, platform, id, o.lookup);
  if (facts === undefined) return undefined;
  if (o.team !== undefined && fromPayload === undefined && facts.team !== o.team.serves) return undefined;
  if (direct !== undefined) return direct;
  return facts.verifiedEmail === undefined ? undefined : personByEmail(deps.config, platform, facts.verifiedEmail);
}

/** The platform's facts about a user, from the cache or a lookup; undefined when the lookup failed. */
async function factsOf(deps: { readonly redis: Redis; readonly prefix: string }, platform: Platform, id: string, lookup: (id: string) => Promise<UserFacts>): Promise<UserFacts | undefined> {
  const key = `${deps.prefix}identity:${platform}:${id}`;
  const cached = await deps.redis.get(key);
  if (cached !== null) {
    try {
      return JSON.parse(cached) as UserFacts;
    } catch {
      // Unreadable: ask again.
    }
  }
  let facts: UserFacts;
  try {
    facts = await lookup(id);
  } catch {
    // A failed lookup is not "nobody": don't cache it; the user is unknown for this request.
    return undefined;
  }
  await deps.redis.set(key, JSON.stringify({ team: facts.team, verifiedEmail: facts.verifiedEmail }), 'EX', CACHE_SECONDS);
  return facts;
}

/** The platform id of a config person, for mentions. */
export function platformIdOf(config: Config, platform: Platform, person: string): string | undefined {
  return Object.hasOwn(config.people, person) ? config.people[person]?.[platform] : undefined;
}

/** `p`'s value, or `fallback` when it fails or takes longer than `ms` (a lookup inside a platform's 3 s answer). */
export function within<T>(ms: number, p: Promise<T>, fallback: T): Promise<T> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(fallback), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      () => {
        clearTimeout(t);
        resolve(fallback);
      },
    );
  });
}
