import { startChild, rssMb, waitForLine, type Child } from './lib/procs.ts';
import { fakeSlack, redisUrl, SIGNING_SECRET, slackEnv } from './lib/env.ts';
import { fmt, type Row } from './lib/stats.ts';

/**
 * P5: time to ready and idle RSS of the bot's API role (Slack over HTTP, Redis, notifier,
 * outbox), against a bare Bolt app with no handlers, each in its own fresh process. Ready
 * means /readyz answers 200 for the bot (Redis reachable) and listening for the bare app.
 */
async function readyAfter(c: Child, probe: boolean): Promise<number> {
  const url = (await waitForLine(c, /^READY (\S+)/))[1] ?? '';
  if (probe) {
    for (;;) {
      try {
        if ((await fetch(`${url}/readyz`)).status === 200) break;
      } catch {
        // not yet
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  }
  return performance.now() - c.startedAt;
}

export async function p5(opts: { idleSeconds?: number; runs?: number } = {}): Promise<{ rows: Row[]; raw: unknown }> {
  const runs = opts.runs ?? 3;
  const idle = (opts.idleSeconds ?? 5) * 1000;
  const redis = redisUrl();
  const api = await fakeSlack();
  const results = { bot: [] as { readyMs: number; rssMb: number }[], bare: [] as { readyMs: number; rssMb: number }[] };
  try {
    for (let i = 0; i < runs; i++) {
      for (const which of ['bot', 'bare'] as const) {
        const c = which === 'bot' ? startChild('bench/servers/bot-api.ts', [], slackEnv(api, redis)) : startChild('bench/servers/bare-bolt.ts', [], { SLACK_SIGNING_SECRET: SIGNING_SECRET });
        try {
          const readyMs = await readyAfter(c, which === 'bot');
          await new Promise((r) => setTimeout(r, idle));
          results[which].push({ readyMs, rssMb: rssMb(c.proc.pid ?? 0) });
        } finally {
          await c.stop();
        }
      }
    }
  } finally {
    await api.close();
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
  const bot = { ready: med(results.bot.map((r) => r.readyMs)), rss: med(results.bot.map((r) => r.rssMb)) };
  const bare = { ready: med(results.bare.map((r) => r.readyMs)), rss: med(results.bare.map((r) => r.rssMb)) };
  return {
    rows: [
      { measure: `P5 time to ready, median of ${runs} (ms)`, bot: fmt(bot.ready, 0), baseline: fmt(bare.ready, 0), ratio: `${fmt(bot.ready / bare.ready, 2)}x`, target: '<= 2000 ms', met: bot.ready <= 2000 },
      { measure: `P5 idle RSS after ${idle / 1000} s (MB)`, bot: fmt(bot.rss), baseline: fmt(bare.rss), ratio: `${fmt(bot.rss / bare.rss, 2)}x`, target: '<= 120 MB', met: bot.rss <= 120 },
    ],
    raw: results,
  };
}
