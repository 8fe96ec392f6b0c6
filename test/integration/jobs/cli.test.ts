import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it, onTestFinished } from 'vitest';
import { stringify } from 'yaml';
import { freePort } from '../../../src/local/port.ts';
import { adminClients, BOT_USER, cluster } from '../support/cluster.ts';
import { testNamespace } from '../support/namespace.ts';
import { REPO, createDeployment, ref, waitFor, waitForRollout, webTemplate } from '../support/workloads.ts';

/**
 * The CLI as an operator uses it, in local mode: `chatops worker` in its own process, a
 * request as one person, the approval as another, and the deploy carried out.
 */
const exec = promisify(execFile);
const cli = new URL('../../../src/cli/chatops.ts', import.meta.url).pathname;

/** Writes a config file; runs the CLI and a `chatops worker` on it with their own Redis prefix. */
function cliOn(doc: Record<string, unknown>) {
  const dir = mkdtempSync(join(tmpdir(), 'chatops-cli-'));
  const file = join(dir, 'config.yaml');
  writeFileSync(file, stringify(doc));
  const env = { PATH: process.env['PATH'] ?? '', REDIS_URL: process.env['REDIS_URL'] ?? '', CHATOPS_REDIS_PREFIX: `cli-${randomBytes(4).toString('hex')}:` };
  const chatops = async (...args: string[]) => {
    try {
      const r = await exec(process.execPath, [cli, ...args, ...(args[0] === 'run' ? ['--config', file] : [])], { env });
      return { code: 0, out: r.stdout };
    } catch (e) {
      const x = e as { code: number; stdout: string; stderr: string };
      return { code: x.code, out: x.stdout + x.stderr };
    }
  };
  const startWorker = async () => {
    const worker: ChildProcess = spawn(process.execPath, [cli, 'worker', '--config', file], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const w = { log: '', exited: new Promise<number | null>((r) => worker.on('exit', (code) => r(code))), kill: (sig: NodeJS.Signals) => worker.kill(sig) };
    worker.stdout?.on('data', (d: Buffer) => (w.log += d.toString()));
    worker.stderr?.on('data', (d: Buffer) => (w.log += d.toString()));
    onTestFinished(async () => {
      if (worker.exitCode === null) worker.kill('SIGKILL');
      await w.exited;
    });
    await waitFor('the worker to start', () => Promise.resolve(w.log.includes('worker running') ? true : undefined), 20_000);
    return w;
  };
  return { chatops, startWorker };
}

const clustersDoc = (names: readonly string[]) => Object.fromEntries(names.map((c) => [c, { region: cluster(c).region, kubeconfig: cluster(c).kubeconfig, context: cluster(c).botContext }]));

describe('chatops CLI with the job engine', () => {
  it('requests as alice, refuses her own approval, approves as bob, and deploys', async () => {
    const ns = await testNamespace({ clusters: ['gz', 'nj'], prefix: 'cli' });
    for (const c of ['gz', 'nj']) await waitForRollout(adminClients(c), await createDeployment(adminClients(c), ns.name, 'web', { replicas: 2, tag: 'v1' }));
    const { chatops, startWorker } = cliOn({
      mode: 'local',
      people: { alice: {}, bob: {} },
      groups: { devs: ['alice'], sre: ['bob'] },
      clusters: clustersDoc(['gz', 'nj']),
      environments: { prod: { clusters: ['gz', 'nj'], namespace: ns.name, registries: ['registry.example.com'] } },
      apps: { web: { image: 'registry.example.com/team/web', container: 'web' } },
      access: [{ who: ['group:devs', 'group:sre'], verbs: ['deploy'], envs: ['prod'], approval: { count: 1, from: ['group:sre'] } }],
      kubernetes: { identity: { kind: 'User', name: BOT_USER } },
    });
    const worker = await startWorker();

    const asked = await chatops('run', '--as', 'alice', '/deploy web v2 to prod');
    expect(asked.code).toBe(0);
    expect(asked.out).toContain('Approval needed');
    const approvalId = /request (apr-[0-9a-f]+)/.exec(asked.out)?.[1];
    expect(approvalId).toBeDefined();

    const self = await chatops('run', '--as', 'alice', `/approve ${approvalId ?? ''}`);
    expect(self.out).toContain('cannot approve or reject your own request');

    const approved = await chatops('run', '--as', 'bob', '--wait', `/approve ${approvalId ?? ''}`);
    expect(approved.out).toContain('Approved by bob');
    expect(approved.out).toMatch(/succeeded: deploy finished on 2 of 2 workload/);
    expect(approved.code).toBe(0);
    for (const c of ['gz', 'nj']) expect((await webTemplate(adminClients(c), ref(ns.name, 'Deployment', 'web'))).image).toBe(`${REPO}:v2`);

    worker.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
    expect(worker.log).toContain('stopping: finishing the current steps');
  });

  it('a lone worker in local mode answers the sample probe itself (no server listens there): v2 passes its probe gate, probe500 fails it and is rolled back', async () => {
    const ns = await testNamespace({ clusters: ['gz'], prefix: 'cliprobe' });
    await waitForRollout(adminClients('gz'), await createDeployment(adminClients('gz'), ns.name, 'web', { replicas: 2, tag: 'v1', progressDeadlineSeconds: 120 }));
    const nobody = await freePort();
    const { chatops, startWorker } = cliOn({
      mode: 'local',
      people: { bob: {} },
      clusters: clustersDoc(['gz']),
      environments: { prod: { clusters: ['gz'], namespace: ns.name, registries: ['registry.example.com'], autoRollback: true } },
      apps: { web: { image: 'registry.example.com/team/web', container: 'web', probe: { url: `http://127.0.0.1:${nobody}/sample-probe/{cluster}/{env}/{app}`, interval: '1s', successes: 2, window: '10s' } } },
      access: [{ who: ['bob'], verbs: ['deploy'], envs: ['prod'] }],
      kubernetes: { identity: { kind: 'User', name: BOT_USER } },
    });
    await startWorker();
    const good = await chatops('run', '--as', 'bob', '--wait', '/deploy web v2 to prod');
    expect(good.out).toMatch(/succeeded: deploy finished on 1 of 1 workload/);
    expect(good.out).toMatch(/gz web probe: probe 1: 200 at \d\d:\d\d:\d\d\n.*gz web probe: probe 2: 200 at /);
    const bad = await chatops('run', '--as', 'bob', '--wait', '/deploy web probe500 to prod');
    expect(bad.out).toMatch(/failed: deploy failed on 1 of 1 workload\(s\): gz: probe did not pass 2 time\(s\) in a row within 10s: http:\/\/127\.0\.0\.1:\d+\/sample-probe\/gz\/prod\/web answered 500/);
    expect(bad.out).toContain(`rolled back to ${REPO}:v2`);
  });
});
