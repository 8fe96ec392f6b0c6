import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { stripTypeScriptTypes } from 'node:module';
import { startChild, rssMb, waitForLine, type Child } from './lib/procs.ts';
import { fakeSlack, redisUrl, SIGNING_SECRET, slackEnv } from './lib/env.ts';
import { fmt, type Row } from './lib/stats.ts';

/**
 * P5: time to ready and idle RSS of the bot's API role (Slack over HTTP, Redis, notifier,
 * outbox, console, alerts), against a bare Bolt app with no handlers, each in its own fresh
 * process. Ready means /readyz answers 200 for the bot (Redis reachable) and listening for the
 * bare app.
 *
 * The bot runs as its image runs it: the production build (scripts/build.sh, into
 * .data/build) started with the Node flags of the Dockerfile's ENTRYPOINT, `chatops serve` on
 * the embedded config. The baseline runs as JavaScript with the same flags. The development
 * form (`node src/cli/chatops.ts serve`: type stripping, default flags) is reported beside it.
 */
const BUILD = '.data/build';

/** The Node flags of the image's ENTRYPOINT (["node", <flags…>, "src/cli/chatops.js"]). */
export function imageNodeFlags(dockerfile: string): string[] {
  const m = /^ENTRYPOINT (\[.*\])$/m.exec(dockerfile);
  if (m === null) throw new Error('no ENTRYPOINT in the Dockerfile');
  const argv = JSON.parse(m[1] ?? '[]') as string[];
  return argv.slice(1, -1);
}

async function readyAfter(c: Child, probe: boolean): Promise<number> {
  const url = (await waitForLine(c, /^READY (\S+)|"url":"(http:[^"]+)","msg":"api role running/))[0];
  const base = /(http:\/\/[^\s"]+)/.exec(url)?.[1] ?? '';
  if (probe) {
    for (;;) {
      try {
        if ((await fetch(`${base}/readyz`)).status === 200) break;
      } catch {
        // not yet
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  }
  return performance.now() - c.startedAt;
}

type Which = 'bot' | 'bare' | 'dev';

export async function p5(opts: { idleSeconds?: number; runs?: number } = {}): Promise<{ rows: Row[]; raw: unknown }> {
  const runs = opts.runs ?? 3;
  const idle = (opts.idleSeconds ?? 5) * 1000;
  const redis = redisUrl();
  const flags = imageNodeFlags(readFileSync('Dockerfile', 'utf8'));
  execFileSync('bash', ['scripts/build.sh', BUILD], { stdio: ['ignore', 'ignore', 'inherit'] });
  // The baseline as JavaScript too (it has no types to strip; this only renames it).
  mkdirSync(`${BUILD}/bench`, { recursive: true });
  writeFileSync(`${BUILD}/bench/bare-bolt.js`, stripTypeScriptTypes(readFileSync('bench/servers/bare-bolt.ts', 'utf8')));
  const api = await fakeSlack();
  const results: Record<Which, { readyMs: number; rssMb: number }[]> = { bot: [], bare: [], dev: [] };
  const start = (which: Which): Child => {
    const env = { ...slackEnv(api, redis), CHATOPS_CONFIG: 'deploy/config.example.yaml' };
    if (which === 'bot') return startChild(`${BUILD}/src/cli/chatops.js`, ['serve', '--port', '0'], env, flags);
    if (which === 'dev') return startChild('src/cli/chatops.ts', ['serve', '--port', '0'], env);
    return startChild(`${BUILD}/bench/bare-bolt.js`, [], { SLACK_SIGNING_SECRET: SIGNING_SECRET }, flags);
  };
  try {
    for (let i = 0; i < runs; i++) {
      for (const which of ['bot', 'bare', 'dev'] as const) {
        const c = start(which);
        try {
          const readyMs = await readyAfter(c, which !== 'bare');
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
  const m = (w: Which) => ({ ready: med(results[w].map((r) => r.readyMs)), rss: med(results[w].map((r) => r.rssMb)) });
  const bot = m('bot');
  const bare = m('bare');
  const dev = m('dev');
  const how = `node ${flags.join(' ')}`.trim();
  return {
    rows: [
      { measure: `P5 time to ready, median of ${runs} (ms; image form: ${how})`, bot: fmt(bot.ready, 0), baseline: fmt(bare.ready, 0), ratio: `${fmt(bot.ready / bare.ready, 2)}x`, target: '<= 2000 ms', met: bot.ready <= 2000 },
      { measure: `P5 idle RSS after ${idle / 1000} s (MB; image form)`, bot: fmt(bot.rss), baseline: fmt(bare.rss), ratio: `${fmt(bot.rss / bare.rss, 2)}x`, target: '<= 120 MB', met: bot.rss <= 120 },
      { measure: 'P5 idle RSS, development form (node src/cli/chatops.ts serve) (MB)', bot: fmt(dev.rss), baseline: fmt(bare.rss), ratio: `${fmt(dev.rss / bare.rss, 2)}x`, target: '—', met: undefined },
    ],
    raw: { flags, results },
  };
}
