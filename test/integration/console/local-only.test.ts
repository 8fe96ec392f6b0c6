import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { createServer as createNetServer, type Server as NetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../src/local/port.ts';
import { chatConfig, startBot, type Bot } from '../chat/support.ts';
import { testNamespace } from '../support/namespace.ts';
import { localConfigFile, requestId } from './support.ts';

/**
 * Local mode's console lets whoever reaches it act as any person, so local mode is for one
 * machine. `chatops serve --host 0.0.0.0` and `npm start` with a config that listens on every
 * address refuse to start (real processes, exit code and message); and a console request that
 * reaches the server over something other than loopback (here a Unix socket, the only
 * non-loopback peer this machine may use) is refused even with a loopback Host header.
 */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CLI = join(ROOT, 'src/cli/chatops.ts');
let tmp: string;

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'chatops-local-only-'));
});

afterAll(() => {
  if (tmp !== undefined) rmSync(tmp, { recursive: true, force: true });
});

interface Exit {
  readonly code: number | null;
  readonly output: string;
  /** It was still running after the wait (so it had started), and was stopped by its PID. */
  readonly stopped: boolean;
  /** Whether, while it ran, the server answered on 127.0.0.1:probePort. */
  readonly answered: boolean;
}

/** Runs a command, waits up to `ms` for it to exit on its own, else stops it (its process group, by PID) and says so. */
function runUntilExit(command: string, args: readonly string[], env: Record<string, string | undefined>, ms: number, probePort?: number): Promise<Exit> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'REDIS_URL' && k !== 'CHATOPS_CONFIG'));
  const child = spawn(command, [...args], { cwd: ROOT, env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  child.stdout.on('data', (b: Buffer) => (output += b.toString('utf8')));
  child.stderr.on('data', (b: Buffer) => (output += b.toString('utf8')));
  let stopped = false;
  let answered = false;
  const timer = setTimeout(() => {
    void (async () => {
      if (probePort !== undefined) answered = await answers(probePort);
      stopped = true;
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGINT');
    })();
  }, ms);
  return new Promise((resolve) => {
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output, stopped, answered });
    });
  });
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/healthz', timeout: 2000 }, (res) => {
      res.resume();
      resolve(true);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

describe('local mode listens on loopback only', () => {
  it('`chatops serve --host 0.0.0.0` on the embedded local config refuses to start: exit 2, naming the address and what to do', async () => {
    const port = await freePort();
    const r = await runUntilExit(process.execPath, [CLI, 'serve', '--host', '0.0.0.0', '--port', String(port)], { REDIS_URL: process.env['REDIS_URL'], LOG_LEVEL: 'warn' }, 20_000, port);
    expect(r.answered, `the server answered on port ${port}:\n${r.output}`).toBe(false);
    expect(r.stopped, r.output).toBe(false);
    expect(r.code).toBe(2);
    expect(r.output).toContain('0.0.0.0');
    expect(r.output).toContain('--host 127.0.0.1');
    expect(r.output).toContain('mode: production');
  });

  it('`npm start` with a local config whose server.host is 0.0.0.0 refuses before starting anything (no Redis of its own)', async () => {
    const data = join(tmp, 'data');
    const config = localConfigFile(tmp, '0.0.0.0');
    const r = await runUntilExit('npm', ['start', '--silent'], { CHATOPS_CONFIG: config, CHATOPS_DATA_DIR: data, CHATOPS_REDIS_PREFIX: `local-only-${requestId()}:` }, 30_000);
    try {
      expect(r.stopped, r.output).toBe(false);
      expect(r.code).not.toBe(0);
      expect(r.output).toContain('Refusing to listen on 0.0.0.0 in local mode');
      expect(r.output).toContain('--host 127.0.0.1');
      expect(existsSync(join(data, 'redis', 'redis.pid'))).toBe(false);
    } finally {
      // Had it started one (the bug), its own teardown on SIGINT stopped it; make sure.
      if (existsSync(join(data, 'redis', 'redis.pid'))) spawn('bash', ['scripts/services/redis.sh', 'stop', join(data, 'redis')], { cwd: ROOT, stdio: 'ignore' });
    }
  });
});

describe('a console request from anywhere but loopback is refused in local mode', () => {
  let bot: Bot;
  let unix: NetServer;
  let socketPath: string;

  beforeAll(async () => {
    const ns = (await testNamespace({ clusters: ['gz'], prefix: 'local-only', scope: 'file' })).name;
    bot = await startBot(chatConfig(ns, { mode: 'local' }));
    // Connections on a Unix socket go to the bot's own HTTP server: a peer with no loopback address.
    socketPath = join(tmp, 'console.sock');
    unix = createNetServer((socket) => bot.api.server.emit('connection', socket));
    await new Promise<void>((r) => unix.listen(socketPath, () => r()));
  });

  afterAll(async () => {
    await new Promise<void>((r) => (unix === undefined ? r() : unix.close(() => r())));
    await bot?.stop();
  });

  function call(via: 'loopback' | 'unix', method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> {
    const u = new URL(bot.api.url);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = request(
        {
          ...(via === 'unix' ? { socketPath } : { host: u.hostname, port: u.port }),
          method,
          path,
          // The Host header a browser on this machine would send: only the socket differs.
          headers: { host: u.host, ...(payload === undefined ? {} : { 'content-type': 'application/json', 'x-chatops-console': '1', 'content-length': Buffer.byteLength(payload) }) },
        },
        (res) => {
          let text = '';
          res.on('data', (b: Buffer) => (text += b.toString('utf8')));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  it('reads and commands over loopback work; the same requests from a non-loopback peer get 403 and do nothing', async () => {
    expect((await call('loopback', 'GET', '/console/api/session')).status).toBe(200);
    const before = (await bot.api.s.ops.list(1000)).length;

    const read = await call('unix', 'GET', '/console/api/session');
    expect(read.status).toBe(403);
    expect(read.text).toContain('answers this machine only');
    const asked = await call('unix', 'POST', '/console/api/command', { as: 'bob', channel: 'console:ops', text: '/deploy web v9 to prod', id: requestId() });
    expect(asked.status).toBe(403);
    expect((await bot.api.s.ops.list(1000)).length).toBe(before);
    // The health probe is not the console: it still answers.
    expect((await call('unix', 'GET', '/healthz')).status).toBe(200);
  });
});
