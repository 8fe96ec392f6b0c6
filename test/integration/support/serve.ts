import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * `chatops serve` as its own process, as it runs in production: a config file written by the
 * test, the test's Redis on a key prefix of its own, port 0. A test that can stall the bot's
 * event loop needs this: the test's own loop (its timers, its timeouts, its /healthz poll)
 * keeps running whatever the bot does. Stopped by PID (SIGTERM, then SIGKILL when a blocked
 * process cannot even take the signal).
 */
const CLI = resolve(import.meta.dirname, '../../../src/cli/chatops.ts');

export interface ServeProcess {
  readonly proc: ChildProcess;
  readonly prefix: string;
  /** Everything it printed so far (stdout and stderr). */
  log(): string;
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
  stop(): Promise<void>;
}

export function spawnServe(configDoc: unknown, env: Record<string, string> = {}): ServeProcess {
  const redisUrl = process.env['REDIS_URL'];
  if (redisUrl === undefined) throw new Error('REDIS_URL is not set: run the tests with scripts/test.sh, which starts Redis');
  const dir = mkdtempSync(join(tmpdir(), 'chatops-serve-'));
  const file = join(dir, 'config.yaml');
  writeFileSync(file, `${JSON.stringify(configDoc, null, 2)}\n`);
  const prefix = `serve-${randomBytes(4).toString('hex')}:`;
  const proc = spawn(process.execPath, [CLI, 'serve', '--config', file, '--host', '127.0.0.1', '--port', '0'], {
    env: { PATH: process.env['PATH'] ?? '', REDIS_URL: redisUrl, CHATOPS_REDIS_PREFIX: prefix, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  return {
    proc,
    prefix,
    log: () => out,
    exited,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(t);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The URL the process listens on, from its "api role running" log line. */
export async function serveUrl(p: ServeProcess, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = /"url":"(http:\/\/127\.0\.0\.1:\d+)"[^\n]*api role running/.exec(p.log());
    if (m?.[1] !== undefined) return m[1];
    if (p.proc.exitCode !== null) throw new Error(`chatops serve exited with ${p.proc.exitCode}:\n${p.log()}`);
    if (Date.now() > deadline) throw new Error(`chatops serve did not start within ${timeoutMs} ms:\n${p.log()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
