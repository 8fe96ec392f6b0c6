import { execFile } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { firstSignal } from '../../../src/cli/serve-command.ts';

/**
 * `chatops serve`, the API role of the image (its CMD): how it stops, and how it refuses to
 * start. Starting and stopping it for real, with Redis and the probes, is in
 * test/integration/deploy/in-cluster.test.ts.
 */
const run = promisify(execFile);
const cli = new URL('../../../src/cli/chatops.ts', import.meta.url).pathname;

async function chatops(args: string[], env: Record<string, string> = {}): Promise<{ code: number; err: string }> {
  try {
    const r = await run(process.execPath, [cli, ...args], { env: { PATH: process.env['PATH'] ?? '', ...env } });
    return { code: 0, err: r.stderr };
  } catch (e) {
    const x = e as { code: number; stderr: string };
    return { code: x.code, err: x.stderr };
  }
}

function fakeProcess(): NodeJS.Process & { exits: number[] } {
  const p = new EventEmitter() as unknown as NodeJS.Process & { exits: number[] };
  p.exits = [];
  (p as unknown as { exit: (code: number) => void }).exit = (code: number) => void p.exits.push(code);
  return p;
}

describe('chatops serve', () => {
  it.each([
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const)('stops on the first %s, and exits at once (%i) on a second signal while stopping', async (signal, code) => {
    const p = fakeProcess();
    const stopping = firstSignal(p);
    p.emit(signal);
    await expect(stopping).resolves.toBe(signal);
    expect(p.exits).toEqual([]);
    p.emit('SIGTERM');
    expect(p.exits).toEqual([code]);
    expect(p.listenerCount('SIGTERM') + p.listenerCount('SIGINT')).toBe(1);
  });

  it('needs Redis, and says so (exit 2)', async () => {
    const r = await chatops(['serve']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('The API role needs Redis: set REDIS_URL or redis.url in the config.');
  });

  it.each(['x', '70000'])('refuses --port %s (exit 2)', async (port) => {
    const r = await chatops(['serve', '--port', port], { REDIS_URL: 'redis://127.0.0.1:1' });
    expect(r.code).toBe(2);
    expect(r.err).toContain('--port: a number from 0 to 65535');
  });

  it('reports a config with problems (exit 78)', async () => {
    const r = await chatops(['serve', '--config', '/nonexistent/config.yaml'], { REDIS_URL: 'redis://127.0.0.1:1' });
    expect(r.code).toBe(78);
    expect(r.err).toContain('no such file');
  });
});
