import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { liveRedisPid } from '../../src/local/services.ts';
import { startFakeSlackApi, type FakeSlackApi } from '../../test/fakes/slack-api.ts';

/** What every benchmark shares: a Redis, a fake Slack Web API, and the Slack settings for the bot. */
export const SIGNING_SECRET = `bench-${randomBytes(8).toString('hex')}`;
export const BOT_TOKEN = 'xoxb-bench-0000';
export const TEAM_ID = 'T000FAKE';

/** Where the benchmarks' own Redis keeps its data (relative to where `npm run bench` runs). */
const REDIS_DIR = '.data/bench-redis';
/** The Redis this run started (none when REDIS_URL names one, or one was already running). */
let ownRedis: { url: string; ours: boolean } | undefined;

/** REDIS_URL, else a Redis of the benchmarks' own, started once per run; stopBenchRedis() stops it. */
export function redisUrl(): string {
  const have = process.env['REDIS_URL'];
  if (have !== undefined && have !== '') return have;
  if (ownRedis === undefined) {
    const before = liveRedisPid(REDIS_DIR);
    // The same script the tests use: Debian's redis-server on a free loopback port, under .data/.
    const url = execFileSync('bash', ['scripts/services/redis.sh', 'start', REDIS_DIR], { encoding: 'utf8' }).trim();
    ownRedis = { url, ours: before === undefined };
  }
  return ownRedis.url;
}

/** Stops the Redis redisUrl() started (by its PID, through the same script); one it found running is left alone. */
export function stopBenchRedis(): void {
  if (ownRedis?.ours !== true) return;
  execFileSync('bash', ['scripts/services/redis.sh', 'stop', REDIS_DIR], { stdio: 'ignore' });
  ownRedis = undefined;
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
