import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import '../support/context.ts';
import { liveRedisPid } from '../../../src/local/services.ts';
import { waitFor } from '../support/workloads.ts';

/**
 * `npm run bench` (node bench/run.ts) with no REDIS_URL starts a Redis of its own under
 * .data/bench-redis; it must stop it however the run ends. Run as a real process in a scratch
 * folder (scripts/ and bench/ linked in, so its .data is the scratch folder's own): a run that
 * fails (P2 with no local clusters) and a run interrupted with SIGINT (P1 while it measures)
 * leave no Redis and no server of theirs running.
 */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
let tmp: string;

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'chatops-bench-'));
  symlinkSync(join(ROOT, 'scripts'), join(tmp, 'scripts'));
  symlinkSync(join(ROOT, 'bench'), join(tmp, 'bench'));
  mkdirSync(join(tmp, 'no-clusters'));
});

afterAll(() => {
  // Had a run left its Redis behind (the bug), stop it by its PID file.
  if (tmp === undefined) return;
  spawnSync('bash', [join(ROOT, 'scripts/services/redis.sh'), 'stop', join(tmp, '.data/bench-redis')], { stdio: 'ignore' });
  rmSync(tmp, { recursive: true, force: true });
});

const redisDir = () => join(tmp, '.data/bench-redis');

/** Pids of the processes whose parent is `pid`. */
/** A process's command line; '' once it has exited (a child can end between the listing and the read). */
function cmdlineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(e));
    } catch {
      // Gone meanwhile.
    }
  }
  return out;
}

/** Whether a process runs (a zombie, dead but not yet reaped, does not). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** `clusterDir`: where the run finds its clusters (none by default: P2 then fails for want of them). */
function bench(args: readonly string[], clusterDir = join(tmp, 'no-clusters')) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'REDIS_URL'));
  const child = spawn(process.execPath, [join(ROOT, 'bench/run.ts'), ...args], { cwd: tmp, env: { ...env, CHATOPS_CLUSTER_DIR: clusterDir }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString('utf8')));
  child.stderr.on('data', (b: Buffer) => (out += b.toString('utf8')));
  const exited = new Promise<number | null>((r) => child.on('exit', (code, signal) => r(code ?? (signal === null ? null : -1))));
  return { child, exited, output: () => out };
}

describe('npm run bench and the Redis it starts', () => {
  it('a run that fails stops its Redis', async () => {
    const run = bench(['p2']);
    // The Redis is up before P2 finds there are no clusters; record it to check on it after.
    const pid = await waitFor('the bench Redis', () => liveRedisPid(redisDir()), 60_000, 50);
    const code = await run.exited;
    expect(code, run.output()).not.toBe(0);
    expect(run.output()).toContain('clusters.json');
    expect(alive(pid), `the bench's Redis (pid ${pid}) is still running`).toBe(false);
    expect(liveRedisPid(redisDir())).toBeUndefined();
  });

  it('a run interrupted with SIGINT stops its Redis and its servers', async () => {
    // P1 reads the clusters' kubeconfig for its /status commands: the test run's own pair, which
    // is up (it is interrupted before it sends anything).
    const run = bench(['p1'], dirname(inject('clustersJson')));
    const redis = await waitFor('the bench Redis', () => liveRedisPid(redisDir()), 60_000, 50);
    // P1 has started the bot and the bare server once both are children of the run.
    const servers = await waitFor('the servers under test', () => {
      const kids = childrenOf(run.child.pid ?? -1).filter((p) => cmdlineOf(p).includes('bench/servers/'));
      return kids.length >= 2 ? kids : undefined;
    }, 60_000, 100);
    run.child.kill('SIGINT');
    const code = await run.exited;
    const left = servers.filter(alive);
    try {
      expect(code, run.output()).toBe(130);
      expect(alive(redis), `the bench's Redis (pid ${redis}) is still running`).toBe(false);
      expect(left, 'servers of the run still running').toEqual([]);
    } finally {
      // Had the run left them (the bug), they are ours to stop.
      for (const p of left) process.kill(p, 'SIGKILL');
    }
  });
});
