import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { onTestFinished } from 'vitest';

/**
 * A job worker in a process of its own (worker-child.ts), for tests that kill it with SIGKILL
 * in the middle of a job. `env` gives it the test's Redis, key prefix and config file.
 */
const CHILD = resolve(import.meta.dirname, 'worker-child.ts');

export interface Child {
  readonly proc: ChildProcess;
  readonly log: string[];
}

export function startChild(env: Record<string, string>): Promise<Child> {
  const proc = spawn(process.execPath, [CHILD], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const log: string[] = [];
  proc.stderr?.on('data', (d: Buffer) => log.push(d.toString('utf8')));
  return new Promise((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`worker child did not start within 20 s: ${log.join('')}`)), 20_000);
    proc.stdout?.on('data', (d: Buffer) => {
      if (d.toString('utf8').includes('ready')) {
        clearTimeout(timer);
        done({ proc, log });
      }
    });
    proc.once('exit', (code, signal) => {
      clearTimeout(timer);
      fail(new Error(`worker child exited early (${code ?? signal ?? '?'}): ${log.join('')}`));
    });
  });
}

/** SIGKILL: no cleanup, its job lock and workload leases simply stop being renewed. */
export async function kill9(c: Child): Promise<void> {
  if (c.proc.exitCode !== null || c.proc.signalCode !== null) return;
  const gone = new Promise((done) => c.proc.once('exit', done));
  c.proc.kill('SIGKILL');
  await gone;
}

/** A worker child on a config document (written to a temp file) and the test's key prefix, which can be killed and started again. */
export interface ChildWorker {
  /** The worker process running now. */
  readonly current: Child;
  kill9(): Promise<void>;
  start(): Promise<void>;
}

/** Starts it; killed and its temp files removed when the test ends. */
export async function childWorker(doc: unknown, prefix: string): Promise<ChildWorker> {
  const dir = mkdtempSync(join(tmpdir(), 'chatops-worker-'));
  const configFile = join(dir, 'config.json');
  writeFileSync(configFile, JSON.stringify(doc));
  const env = { REDIS_URL: process.env['REDIS_URL'] ?? '', CHATOPS_PREFIX: prefix, CHATOPS_CONFIG: configFile, CHATOPS_LOCK_MS: '5000' };
  let child = await startChild(env);
  onTestFinished(async () => {
    await kill9(child);
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    get current() {
      return child;
    },
    kill9: () => kill9(child),
    async start() {
      child = await startChild(env);
    },
  };
}
