import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/workloads.ts';
import { alive, botEntries, consoleClient, requestId, textOf } from './support.ts';

/**
 * `npm start` on a machine where nothing runs yet, on the embedded defaults (no config, no
 * REDIS_URL, no KUBECONFIG): it starts its own Redis and its own pair of local control planes
 * (from the cached binaries; a separate state folder and port range so the suite's clusters are
 * not touched), with the sample apps, serves the console, answers a command about a sample app
 * from the cluster it started, and on Ctrl-C stops the clusters and the Redis it started.
 */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'chatops-cold-'));
const clusterDir = join(tmp, 'cluster');

afterAll(async () => {
  // If the test failed half-way, stop whatever is left of what it started, by recorded PIDs:
  // its Redis, and its clusters.
  const redisPidFile = join(tmp, 'data', 'redis', 'redis.pid');
  if (existsSync(redisPidFile)) {
    const pid = Number(readFileSync(redisPidFile, 'utf8'));
    if (pid > 0 && alive(pid)) process.kill(pid, 'SIGTERM');
  }
  if (existsSync(clusterDir)) {
    await new Promise((r) => spawn('bash', ['scripts/cluster/down.sh'], { cwd: ROOT, env: coldEnv(), stdio: 'ignore' }).on('exit', r));
  }
  rmSync(tmp, { recursive: true, force: true });
});

function coldEnv(): Record<string, string> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k, v]) => v !== undefined && !['REDIS_URL', 'KUBECONFIG', 'CHATOPS_CONFIG'].includes(k))) as Record<string, string>;
  return {
    ...base,
    CHATOPS_DATA_DIR: join(tmp, 'data'),
    CHATOPS_CLUSTER_DIR: clusterDir,
    CHATOPS_CLUSTER_PORT_OFFSET: '4000',
    CHATOPS_KUBECONFIG: join(clusterDir, 'kubeconfig.yaml'),
    CHATOPS_REDIS_PREFIX: `cold-${requestId()}:`,
  };
}

/** PIDs recorded under a cluster state folder (<cluster>/pids/<component>.pid). */
function clusterPids(): number[] {
  const out: number[] = [];
  for (const c of ['gz', 'nj']) {
    const dir = join(clusterDir, c, 'pids');
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.pid'))) out.push(Number(readFileSync(join(dir, f), 'utf8')));
  }
  return out;
}

describe('npm start on a cold machine', () => {
  it('starts Redis and both control planes on the embedded defaults, serves the console, and stops all of it on Ctrl-C', { timeout: 300_000 }, async () => {
    const child = spawn(process.execPath, ['src/main.ts'], { cwd: ROOT, env: coldEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString('utf8')));
    child.stderr.on('data', (b: Buffer) => (out += b.toString('utf8')));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    try {
      const url = await waitFor('the console URL', () => /Web console: +(http:\/\/\S+)\/console\//.exec(out)?.[1] ?? (child.exitCode !== null ? `exited: ${out}` : undefined), 240_000, 200);
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(out).toMatch(/Redis: redis:\/\/127\.0\.0\.1:\d+ \(started, pid \d+/);
      expect(out).toContain('Kubernetes: started gz, nj; stopped on exit');
      const pids = clusterPids();
      expect(pids).toHaveLength(14); // etcd, apiserver, controller-manager, scheduler, kwok, metrics-server, Prometheus × 2
      expect(pids.every(alive)).toBe(true);
      const redisPid = Number(readFileSync(join(tmp, 'data', 'redis', 'redis.pid'), 'utf8'));
      expect((await fetch(`${url}/readyz`)).status).toBe(200);
      expect((await fetch(`${url}/console/`)).status).toBe(200);

      // A read about a sample app, answered from the cluster this run started.
      const c = consoleClient(url);
      const asked = await c.post('/console/api/command', { as: 'alice', channel: 'console:ops', text: '/status web in dev', id: requestId() });
      expect(asked.status).toBe(200);
      const answer = await waitFor('the status in the channel', async () => botEntries((await c.get('/console/api/messages?channel=console:ops')).body['entries']).find((e) => e.message.title.startsWith('Status')), 30_000, 100);
      expect(textOf(answer.message)).toMatch(/registry\.example\.com\/web:/);

      child.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(out).toContain('stopping the local clusters this run started');
      await waitFor('the clusters to stop', () => (pids.some(alive) ? undefined : true), 30_000, 200);
      await waitFor('its Redis to stop', () => (alive(redisPid) ? undefined : true), 10_000, 100);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
