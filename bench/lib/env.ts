import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { startFakeSlackApi, type FakeSlackApi } from '../../test/fakes/slack-api.ts';

/** What every benchmark shares: a Redis, a fake Slack Web API, and the Slack settings for the bot. */
export const SIGNING_SECRET = `bench-${randomBytes(8).toString('hex')}`;
export const BOT_TOKEN = 'xoxb-bench-0000';
export const TEAM_ID = 'T000FAKE';

export function redisUrl(): string {
  const have = process.env['REDIS_URL'];
  if (have !== undefined && have !== '') return have;
  // The same script the tests use: Debian's redis-server on a free loopback port, under .data/.
  return execFileSync('bash', ['scripts/services/redis.sh', 'start', '.data/bench-redis'], { encoding: 'utf8' }).trim();
}

/** The workspace's members the benchmarks type as (the embedded config's people): users.info answers for them. */
export async function fakeSlack(): Promise<FakeSlackApi> {
  return startFakeSlackApi({ token: BOT_TOKEN, users: { U0ALICE01: { email: 'alice@example.com', team_id: TEAM_ID, name: 'alice' }, U0BOB0001: { email: 'bob@example.com', team_id: TEAM_ID, name: 'bob' } } });
}

export function slackEnv(api: FakeSlackApi, redis: string): Record<string, string> {
  return {
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_TEAM_ID: TEAM_ID,
    SLACK_API_URL: api.url,
    REDIS_URL: redis,
    CHATOPS_REDIS_PREFIX: `bench-${randomBytes(3).toString('hex')}:`,
  };
}
