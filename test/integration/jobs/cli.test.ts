import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it, onTestFinished } from 'vitest';
import { stringify } from 'yaml';
import { adminClients, BOT_USER, cluster } from '../support/cluster.ts';
import { testNamespace } from '../support/namespace.ts';
import { REPO, createDeployment, ref, waitFor, waitForRollout, webTemplate } from '../support/workloads.ts';

/**
 * The CLI as an operator uses it, in local mode: `chatops worker` in its own process, a
 * request as one person, the approval as another, and the deploy carried out.
 */
const exec = promisify(execFile);
const cli = new URL('../../../src/cli/chatops.ts', import.meta.url).pathname;

describe('chatops CLI with the job engine', () => {
  it('requests as alice, refuses her own approval, approves as bob, and deploys', async () => {
    const ns = await testNamespace({ clusters: ['gz', 'nj'], prefix: 'cli' });
    for (const c of ['gz', 'nj']) await waitForRollout(adminClients(c), await createDeployment(adminClients(c), ns.name, 'web', { replicas: 2, tag: 'v1' }));
    const dir = mkdtempSync(join(tmpdir(), 'chatops-cli-'));
    const file = join(dir, 'config.yaml');
    writeFileSync(
      file,
      stringify({
        mode: 'local',
        people: { alice: {}, bob: {} },
        groups: { devs: ['alice'], sre: ['bob'] },
        clusters: Object.fromEntries(['gz', 'nj'].map((c) => [c, { region: cluster(c).region, kubeconfig: cluster(c).kubeconfig, context: cluster(c).botContext }])),
        environments: { prod: { clusters: ['gz', 'nj'], namespace: ns.name, registries: ['registry.example.com'] } },
        apps: { web: { image: 'registry.example.com/team/web', container: 'web' } },
        access: [{ who: ['group:devs', 'group:sre'], verbs: ['deploy'], envs: ['prod'], approval: { count: 1, from: ['group:sre'] } }],
        kubernetes: { identity: { kind: 'User', name: BOT_USER } },
      }),
    );
    const env = { PATH: process.env['PATH'] ?? '', REDIS_URL: process.env['REDIS_URL'] ?? '', CHATOPS_REDIS_PREFIX: `cli-${randomBytes(4).toString('hex')}:` };
    const chatops = async (...args: string[]) => {
      try {
        const r = await exec(process.execPath, [cli, ...args], { env });
        return { code: 0, out: r.stdout };
      } catch (e) {
        const x = e as { code: number; stdout: string; stderr: string };
        return { code: x.code, out: x.stdout + x.stderr };
      }
    };

    const worker: ChildProcess = spawn(process.execPath, [cli, 'worker', '--config', file], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    worker.stdout?.on('data', (d: Buffer) => (log += d.toString()));
    worker.stderr?.on('data', (d: Buffer) => (log += d.toString()));
    const exited = new Promise<number | null>((r) => worker.on('exit', (code) => r(code)));
    onTestFinished(async () => {
      if (worker.exitCode === null) worker.kill('SIGKILL');
      await exited;
    });
    await waitFor('the worker to start', () => Promise.resolve(log.includes('worker running') ? true : undefined), 20_000);

    const asked = await chatops('run', '--config', file, '--as', 'alice', '/deploy web v2 to prod');
    expect(asked.code).toBe(0);
    expect(asked.out).toContain('Approval needed');
    const approvalId = /request (apr-[0-9a-f]+)/.exec(asked.out)?.[1];
    expect(approvalId).toBeDefined();

    const self = await chatops('run', '--config', file, '--as', 'alice', `/approve ${approvalId ?? ''}`);
    expect(self.out).toContain('cannot approve or reject your own request');

    const approved = await chatops('run', '--config', file, '--as', 'bob', '--wait', `/approve ${approvalId ?? ''}`);
    expect(approved.out).toContain('Approved by bob');
    expect(approved.out).toMatch(/succeeded: deploy finished on 2 of 2 workload/);
    expect(approved.code).toBe(0);
    for (const c of ['gz', 'nj']) expect((await webTemplate(adminClients(c), ref(ns.name, 'Deployment', 'web'))).image).toBe(`${REPO}:v2`);

    worker.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(log).toContain('stopping: finishing the current steps');
  });
});
