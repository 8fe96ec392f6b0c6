import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import './support/context.ts';

/**
 * Makes sure the two local control planes (gz, nj) are up before the integration tests (by
 * running scripts/cluster/up.sh, which is idempotent and leaves healthy clusters alone), and
 * tells the tests where their kubeconfig and clusters.json are.
 *
 * At the end it stops the clusters only if this run started all of them, as up.sh reports
 * ("started: gz nj"). Clusters that were already up, or that someone else started while this
 * run waited on up.sh's lock, are left running: a developer's (or another run's) clusters
 * survive a test run.
 */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CLUSTERS = ['gz', 'nj'];

function stateDir(): string {
  const dir = process.env['CHATOPS_CLUSTER_DIR'];
  return dir === undefined || dir === '' ? resolve(ROOT, '.data/cluster') : resolve(ROOT, dir);
}

/** Runs a cluster script, echoing its output (a cold build takes long) and returning it. */
function run(script: string): Promise<{ ok: boolean; output: string }> {
  return new Promise((done) => {
    const child = spawn('bash', [resolve(ROOT, 'scripts/cluster', script)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const echo = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      process.stderr.write(chunk);
    };
    child.stdout.on('data', echo);
    child.stderr.on('data', echo);
    child.on('error', (e) => done({ ok: false, output: `${output}${e.message}` }));
    child.on('close', (code) => done({ ok: code === 0, output }));
  });
}

/** The clusters up.sh says it started ("ready in 21.3s (started: gz nj); …"). Pure. */
export function startedBy(upOutput: string): string[] {
  const m = /\(started: ([^)]*)\)/.exec(upOutput);
  return m?.[1]?.trim().split(/\s+/).filter((s) => s !== '') ?? [];
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const up = await run('up.sh');
  if (!up.ok) throw new Error('scripts/cluster/up.sh failed; see its output above');
  const started = startedBy(up.output);

  const dir = stateDir();
  const kubeconfig = resolve(dir, 'kubeconfig.yaml');
  const clustersJson = resolve(dir, 'clusters.json');
  for (const f of [kubeconfig, clustersJson]) if (!existsSync(f)) throw new Error(`${f} is missing after scripts/cluster/up.sh`);
  project.provide('kubeconfig', kubeconfig);
  project.provide('clustersJson', clustersJson);

  return async () => {
    if (started.length === 0) return;
    if (!CLUSTERS.every((c) => started.includes(c))) {
      process.stderr.write(`[integration] this run started only ${started.join(', ')}; leaving the clusters running (stop them with npm run cluster:down)\n`);
      return;
    }
    process.stderr.write('[integration] stopping the local clusters this run started\n');
    await run('down.sh');
  };
}
