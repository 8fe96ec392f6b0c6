import { createServer } from 'node:net';
import type { Config } from '../config/schema.ts';

/** Whether host:port can be listened on right now (0: any free port, reported back). */
export function tryListen(host: string, port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(undefined));
    srv.listen(port, host, () => {
      const addr = srv.address();
      const got = typeof addr === 'object' && addr !== null ? addr.port : undefined;
      srv.close(() => resolve(got));
    });
  });
}

/** The configured port if it is free, else a free one the system picks. */
export async function pickPort(host: string, wanted: number): Promise<{ port: number; moved: boolean }> {
  if (wanted !== 0) {
    const ok = await tryListen(host, wanted);
    if (ok !== undefined) return { port: wanted, moved: false };
  }
  return { port: await freePort(host), moved: wanted !== 0 };
}

/** A port free on `host` right now, for a program that must be told its port. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const free = await tryListen(host, 0);
  if (free === undefined) throw new Error(`cannot listen on ${host}`);
  return free;
}

/**
 * Local mode's own loopback URLs (the embedded config's job links and the sample apps' probe,
 * http://127.0.0.1:3000/…) follow the port the bot really listens on. Pure.
 */
export function followPort(config: Config, from: number, to: number): Config {
  if (from === to) return config;
  const swap = (url: string) => url.replace(new RegExp(`^(https?://(?:127\\.0\\.0\\.1|localhost)):${from}(?=/|$)`), `$1:${to}`);
  const links = Object.fromEntries(Object.entries(config.links).map(([k, v]) => [k, v === undefined ? v : swap(v)])) as Config['links'];
  const apps = Object.fromEntries(Object.entries(config.apps).map(([name, a]) => [name, a.probe === undefined ? a : { ...a, probe: { ...a.probe, url: swap(a.probe.url) } }]));
  return { ...config, links, apps };
}
