import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Message } from '../../../src/core/message.ts';
import { adminClients, BOT_USER, cluster } from '../support/cluster.ts';
import { testNamespace } from '../support/namespace.ts';
import { createDeployment, waitFor, waitForRollout, webTemplate } from '../support/workloads.ts';
import { alive, botEntries, consoleClient, requestId, textOf } from './support.ts';

/**
 * `npm start` (node src/main.ts) as a newcomer runs it: one process that starts a Redis of its
 * own when none is configured, finds the local control plane up (and so leaves it alone), runs
 * the API with the console and a worker, prints the console URL, carries out a deploy approved
 * by a second person, and on SIGINT stops what it started (its Redis), and nothing else.
 */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
let ns: string;
let tmp: string;

beforeAll(async () => {
  const n = await testNamespace({ clusters: ['gz'], prefix: 'main', scope: 'file' });
  ns = n.name;
  await waitForRollout(adminClients('gz'), await createDeployment(adminClients('gz'), ns, 'web', { replicas: 1, tag: 'v1' }));
  tmp = mkdtempSync(join(tmpdir(), 'chatops-main-'));
});

afterAll(() => {
  if (tmp !== undefined) rmSync(tmp, { recursive: true, force: true });
});

function configFile(kubeconfig: string): string {
  const doc = {
    mode: 'local',
    operator: 'alice',
    people: { alice: { name: 'Alice' }, bob: { name: 'Bob' } },
    groups: { devs: ['alice'], sre: ['bob'] },
    clusters: { gz: { region: 'gz', kubeconfig, context: cluster('gz').botContext } },
    environments: { prod: { clusters: ['gz'], namespace: ns, registries: ['registry.example.com'] } },
    apps: { web: { image: 'registry.example.com/team/web', container: 'web', maxReplicas: 5 } },
    access: [{ who: ['group:devs'], verbs: ['deploy'], envs: ['prod'], approval: { count: 1, from: ['group:sre'], expires: '30m' } }],
    kubernetes: { identity: { kind: 'User', name: BOT_USER } },
    server: { host: '127.0.0.1', port: 0 },
  };
  const file = join(tmp, `config-${requestId()}.yaml`);
  writeFileSync(file, JSON.stringify(doc));
  return file;
}

interface Running {
  readonly child: ChildProcess;
  out: string;
  readonly exited: Promise<number | null>;
}

function start(env: Record<string, string | undefined>): Running {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'REDIS_URL'));
  const child = spawn(process.execPath, ['src/main.ts'], { cwd: ROOT, env: { ...base, ...env, CHATOPS_REDIS_PREFIX: `main-${requestId()}:` }, stdio: ['ignore', 'pipe', 'pipe'] });
  const r: Running = {
    child,
    out: '',
    exited: new Promise((resolve) => child.on('exit', (code) => resolve(code))),
  };
  child.stdout?.on('data', (b: Buffer) => (r.out += b.toString('utf8')));
  child.stderr?.on('data', (b: Buffer) => (r.out += b.toString('utf8')));
  return r;
}

async function consoleUrl(r: Running): Promise<string> {
  return waitFor('the console URL', () => /Web console: +(http:\/\/\S+)\/console\//.exec(r.out)?.[1] ?? (r.child.exitCode !== null ? `exited: ${r.out}` : undefined), 90_000, 100);
}

describe('npm start', () => {
  it('local mode with nothing configured: starts its own Redis, leaves the running clusters alone, serves the console, runs a deploy, stops only what it started', async () => {
    const data = join(tmp, 'data');
    const run = start({ CHATOPS_CONFIG: configFile(cluster('gz').kubeconfig), CHATOPS_DATA_DIR: data });
    try {
      const url = await consoleUrl(run);
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(run.out).toMatch(/Redis: redis:\/\/127\.0\.0\.1:\d+ \(started, pid \d+/);
      expect(run.out).toContain('Kubernetes: already up; left running on exit');
      const redisPid = Number(readFileSync(join(data, 'redis', 'redis.pid'), 'utf8'));
      expect(alive(redisPid)).toBe(true);
      expect((await fetch(`${url}/readyz`)).status).toBe(200);
      expect((await fetch(`${url}/console/`)).status).toBe(200);

      // The worker in the same process carries out what the console asks for.
      const c = consoleClient(url);
      const asked = await c.post('/console/api/command', { as: 'alice', channel: 'console:ops', text: '/deploy web v2 to prod', id: requestId() });
      expect(asked.status).toBe(200);
      const opId = asked.body['opId'] as string;
      const approval = await waitFor('the approval', async () => botEntries((await c.get('/console/api/messages?channel=console:ops')).body['entries']).find((e) => textOf(e.message).includes(opId)), 15_000, 100);
      const button = approval.message.buttons.find((b) => b.action === 'approve')?.value ?? '';
      expect(textOf((await c.post('/console/api/click', { as: 'bob', channel: 'console:ops', action: 'approve', value: button })).body['reply'] as Message)).toContain('Approved by bob');
      await waitFor(
        'success',
        async () => (botEntries((await c.get('/console/api/messages?channel=console:ops')).body['entries']).find((e) => e.id === approval.id)?.message.status === 'succeeded' ? true : undefined),
        90_000,
        250,
      );
      expect((await webTemplate(adminClients('gz'), { namespace: ns, kind: 'Deployment', name: 'web' })).image).toBe('registry.example.com/team/web:v2');

      run.child.kill('SIGINT');
      expect(await run.exited).toBe(0);
      expect(run.out).toContain('stopped');
      await waitFor('its Redis to stop', () => (alive(redisPid) ? undefined : true), 10_000, 100);
      // The clusters it found running are still there.
      expect((await adminClients('gz').core.listNamespace()).items.length).toBeGreaterThan(0);
    } finally {
      if (run.child.exitCode === null) run.child.kill('SIGKILL');
    }
  });

  it('with REDIS_URL and clusters elsewhere: starts neither, and SIGTERM stops it', async () => {
    const own = join(tmp, 'elsewhere.kubeconfig');
    copyFileSync(cluster('gz').kubeconfig, own);
    const data = join(tmp, 'data2');
    const run = start({ CHATOPS_CONFIG: configFile(own), CHATOPS_DATA_DIR: data, REDIS_URL: process.env['REDIS_URL'] });
    try {
      const url = await consoleUrl(run);
      expect(run.out).toContain('(REDIS_URL)');
      expect(run.out).toContain(`Kubernetes: as configured (gz: ${own} context gz)`);
      expect(run.out).not.toContain('scripts/cluster/up.sh');
      expect(existsSync(join(data, 'redis'))).toBe(false);
      expect((await fetch(`${url}/console/api/session`)).status).toBe(200);
      run.child.kill('SIGTERM');
      expect(await run.exited).toBe(0);
    } finally {
      if (run.child.exitCode === null) run.child.kill('SIGKILL');
    }
  });
});
